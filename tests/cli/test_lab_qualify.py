"""`recqual qualify` against a deployed-style correct server, as a customer's QA team runs it.

The server: the emulator in its deployed form (no control plane, 2,000 foreign recordings, 90-day
retention, users of levels 10/2/1/0, two standing-call lines and one line with no call). The run:
from a folder outside the repo, with a relative `--target-file` and `--out`. A correct server must be
QUALIFIED with at most 10% of the checks skipped; in read-only not one non-GET request may reach it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.labs.deployed import SECRETS, DeployedEmulator, deployed_emulator, lab_environment

QUALIFY_TIMEOUT_S = 600


@dataclass(frozen=True)
class LabRun:
    returncode: int
    stdout: str
    stderr: str
    out: Path
    seconds: float
    requests: dict[str, int]

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.out / "summary.json").read_text())


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DeployedEmulator, Path]]:
    workdir = tmp_path_factory.mktemp("lab")
    with deployed_emulator(workdir) as server:
        server.write_target(workdir)
        yield server, workdir


def qualify(lab: tuple[DeployedEmulator, Path], out: str, *extra: str) -> LabRun:
    server, workdir = lab
    mark = server.log_size()
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "recqual",
            "qualify",
            "--target-file",
            "lab.toml",
            "--quick",
            "--out",
            out,
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=QUALIFY_TIMEOUT_S,
        check=False,
        cwd=workdir,
        env=lab_environment(),
    )
    return LabRun(
        result.returncode,
        result.stdout,
        result.stderr,
        workdir / out,
        time.monotonic() - started,
        dict(server.requests(mark)),
    )


@pytest.fixture(scope="module")
def documented_run(lab: tuple[DeployedEmulator, Path]) -> LabRun:
    return qualify(lab, "run1")


@pytest.fixture(scope="module")
def read_only_run(lab: tuple[DeployedEmulator, Path]) -> LabRun:
    return qualify(lab, "run-ro", "--profile", "read-only")


def _failures(run: LabRun) -> list[str]:
    return [f"{c['nodeid']}: {c['message'][:300]}" for c in run.summary["checks"] if c["outcome"] == "failed"]


def test_a_correct_lab_server_is_qualified(documented_run: LabRun) -> None:
    assert documented_run.returncode == 0, (_failures(documented_run), documented_run.stderr[-3000:])
    assert documented_run.stdout.strip().splitlines()[-1].startswith("QUALIFIED: ")
    summary = documented_run.summary
    assert summary["verdict"] == "qualified" and summary["target"]["kind"] == "server"
    assert summary["target"]["profile"] == "documented"


def test_at_most_ten_percent_of_checks_are_skipped_on_a_lab(documented_run: LabRun) -> None:
    checks = documented_run.summary["checks"]
    skipped = [c for c in checks if c["outcome"] == "skipped"]
    assert len(skipped) <= 0.10 * len(checks), [f"{c['nodeid']}: {c['message'][:160]}" for c in skipped]
    families = {c["family"] for c in checks if c["outcome"] in ("passed", "deviation")}
    assert families >= {"schema", "filters", "paging", "transfer", "live-state", "races", "auth"}


def test_the_preflight_saw_the_lab_as_declared(documented_run: LabRun) -> None:
    preflight = json.loads((documented_run.out / "preflight.json").read_text())
    assert preflight["control_plane"] == "absent" and not preflight["control_allowed"]
    assert {r["role"]: r["state"] for r in preflight["roles"]} == {r: "ok" for r in ("l10", "l2", "l1", "l0")}
    states = {ln["line"]: ln["state"] for ln in preflight["lines"]}
    assert states == {
        "SEP000000000301/301": "standing call",
        "SEP000000000302/302": "standing call",
        "SEP000000000999/999": "no call",
        "SEP000000000303/303": "no call",
    }


def test_the_load_pass_used_the_declared_lines(documented_run: LabRun) -> None:
    for scenario in ("call-control", "races"):
        load = json.loads((documented_run.out / "load" / scenario / "summary.json").read_text())
        assert load["exit_code"] == 0 and load["slo"]["passed"], load["slo"]
        requests = load["totals"]["requests"]
        assert requests >= 50, f"{scenario}: only {requests} requests on two standing-call lines"
    races = json.loads((documented_run.out / "load" / "races" / "summary.json").read_text())["races"]
    assert races["rounds"] > 0 and races["violations"] == 0


def test_read_only_sends_not_one_non_get_request(read_only_run: LabRun) -> None:
    assert read_only_run.returncode == 0, (_failures(read_only_run), read_only_run.stderr[-3000:])
    assert set(read_only_run.requests) == {"GET"}, read_only_run.requests
    assert read_only_run.requests["GET"] > 100


def test_no_password_reaches_any_output(documented_run: LabRun, read_only_run: LabRun) -> None:
    for run in (documented_run, read_only_run):
        texts = [run.stdout, run.stderr] + [
            p.read_bytes().decode("utf-8", errors="replace") for p in run.out.rglob("*") if p.is_file()
        ]
        for secret in SECRETS:
            assert not [t for t in texts if secret in t], f"{secret} leaked in {run.out.name}"

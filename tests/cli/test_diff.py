"""`recqual diff` flags exactly what got worse between two runs, and nothing that did not.

Invariant: a regression (exit 1) is a check that got worse, a lost verdict, a status code an operation
newly returns, or a p95 that grew beyond ratio and floor with 95% confidence on at least 30 samples a
run; everything else is a note (exit 0). The statistics are checked on synthetic histograms bucketed
as Locust buckets them: identical distributions never flagged, a 20 ms slower operation always.
"""

from __future__ import annotations

import copy
import json
import math
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from recqual.diff import apply_gate, compare, gate
from recqual.errors import UsageError
from recqual.summary import SCHEMA


def summary(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema": SCHEMA,
        "verdict": "qualified",
        "checks": [
            {
                "nodeid": "contract/test_filters.py::test_between",
                "operation": "listRecordings",
                "check": "between",
                "outcome": "passed",
            },
            {
                "nodeid": "contract/test_live.py::test_pause",
                "operation": "pauseRecording",
                "check": "pause",
                "outcome": "passed",
            },
        ],
        "status_codes": {"listRecordings": [200, 400], "pauseRecording": [204, 409, 429]},
        "latency": {},
    }
    base.update(overrides)
    return base


def test_identical_runs_have_no_regression() -> None:
    diff = compare(summary(), summary())
    assert diff.regressions == [] and diff.exit_code == 0


def test_a_check_that_starts_failing_is_a_regression() -> None:
    current = summary()
    current["checks"][0]["outcome"] = "failed"
    diff = compare(summary(), current)
    assert diff.exit_code == 1
    assert diff.regressions == ["check passed -> failed: contract/test_filters.py::test_between"]


def test_a_check_that_starts_passing_is_only_a_note() -> None:
    baseline = summary()
    baseline["checks"][1]["outcome"] = "deviation"
    diff = compare(baseline, summary())
    assert diff.exit_code == 0
    assert diff.notes == ["check deviation -> passed: contract/test_live.py::test_pause"]


def test_losing_the_verdict_is_a_regression() -> None:
    diff = compare(summary(), summary(verdict="not-qualified"))
    assert "verdict: qualified -> not-qualified" in diff.regressions


def test_a_new_status_code_is_a_regression() -> None:
    current = summary()
    current["status_codes"]["listRecordings"] = [200, 400, 500]
    assert compare(summary(), current).regressions == ["listRecordings newly returns 500"]


def bucket(ms: float) -> float:
    """Locust's buckets as recqual sets them: 0.1 ms below 10 ms, two significant digits above."""
    if ms < 10:
        return round(ms, 1)
    digits = len(str(int(ms))) - 2
    return float(round(ms, -digits))


def histogram(samples: list[float]) -> dict[str, int]:
    out: dict[str, int] = {}
    for sample in samples:
        key = f"{bucket(sample):g}"
        out[key] = out.get(key, 0) + 1
    return out


def latency_row(samples: list[float]) -> dict[str, Any]:
    return {
        "count": len(samples),
        "p95": sorted(samples)[int(0.95 * len(samples))],
        "histogram": histogram(samples),
    }


def service_times(rng: random.Random, n: int, *, median: float = 3.0, shift: float = 0.0) -> list[float]:
    """A realistic emulator operation: log-normal around a few ms (p95 about 6 ms), with a 1% tail of
    answers 5-40 ms slower (the quick runs measured p95 4-8 ms, max 7-48 ms)."""
    out = []
    for _ in range(n):
        base = rng.lognormvariate(math.log(median), 0.45)
        if rng.random() < 0.01:
            base += rng.uniform(5, 40)
        out.append(base + shift)
    return out


def with_latency(op: str, samples: list[float]) -> dict[str, Any]:
    return summary(latency={op: latency_row(samples)})


@pytest.mark.parametrize("n", [30, 60, 150, 400])
def test_identical_distributions_are_never_flagged(n: int) -> None:
    """Two runs drawn from one distribution, 60 seeds per size: no regression, ever (the test is
    deterministic, so this is not a flaky bound but a fact about these seeds)."""
    flagged = []
    for seed in range(60):
        rng = random.Random(seed)
        before, after = service_times(rng, n), service_times(rng, n)
        result = compare(with_latency("getRecording", before), with_latency("getRecording", after))
        if result.regressions:
            flagged.append((seed, result.regressions))
    assert flagged == []


@pytest.mark.parametrize("n", [80, 150, 300])
def test_a_20_ms_slower_operation_is_always_flagged(n: int) -> None:
    """At the counts a quick run gathers for reads (getRecording: 155-175). Below about 60 samples a
    baseline with one slow outlier widens the bootstrap interval enough to miss it (9 of 40 seeds at
    30 and at 50 samples, 1 of 40 at 60): the test errs towards "same", never towards crying wolf."""
    for seed in range(40):
        rng = random.Random(1000 + seed)
        before, after = service_times(rng, n), service_times(rng, n, shift=20.0)
        result = compare(with_latency("getRecording", before), with_latency("getRecording", after))
        assert len(result.regressions) == 1 and result.regressions[0].startswith("getRecording p95"), seed
        assert result.exit_code == 1


def test_heavy_tailed_identical_runs_at_low_counts_are_not_flagged() -> None:
    """A race's start (p95 tens of ms, wide spread) with 40 samples: the p95 moves a lot between two
    draws of one distribution; the confidence bound keeps that from reading as a regression."""
    for seed in range(60):
        rng = random.Random(seed)
        before = [rng.lognormvariate(math.log(8), 1.0) for _ in range(40)]
        after = [rng.lognormvariate(math.log(8), 1.0) for _ in range(40)]
        assert (
            compare(with_latency("startRecording", before), with_latency("startRecording", after)).regressions
            == []
        )


def test_too_few_samples_is_not_comparable_never_a_regression() -> None:
    rng = random.Random(3)
    before, after = service_times(rng, 29), service_times(rng, 500, shift=100.0)
    result = compare(with_latency("getRecording", before), with_latency("getRecording", after))
    assert result.regressions == []
    assert result.notes == [
        "getRecording latency not comparable: 29 samples in the baseline, 500 now (at least 30 each)"
    ]


def test_a_summary_without_histograms_is_not_comparable() -> None:
    """A /1 file (or an old /2 one) has bare percentiles: the old ratio rule cried wolf on those."""
    old = summary(schema="recqual.summary/1")
    old["latency"] = {"listRecordings": {"p50": 2.0, "p95": 10.0, "p99": 20.0, "max": 30.0, "count": 100}}
    current = summary(latency=copy.deepcopy(old["latency"]))
    current["latency"]["listRecordings"]["p95"] = 40.0
    result = compare(old, current)
    assert result.exit_code == 0
    assert any("not comparable: no latency histogram in the baseline" in n for n in result.notes)


def test_the_latency_verdict_is_deterministic_and_configurable() -> None:
    rng = random.Random(5)
    before, after = service_times(rng, 200), service_times(rng, 200, shift=8.0)
    a, b = with_latency("getRecording", before), with_latency("getRecording", after)
    first, second = compare(a, b), compare(a, b)
    assert first.regressions == second.regressions and first.latency == second.latency
    assert first.exit_code == 1
    assert compare(a, b, latency_floor_ms=15.0).exit_code == 0  # +8 ms is under a 15 ms floor
    assert compare(a, b, latency_ratio=5.0).exit_code == 0


def test_scenarios_are_compared_apart_when_both_runs_keep_them() -> None:
    rng = random.Random(9)
    calm, slow = service_times(rng, 100), service_times(rng, 100, shift=25.0)

    def doc(races: list[float]) -> dict[str, Any]:
        row = {
            **latency_row(calm + races),
            "by_scenario": {"call-control": latency_row(calm), "races": latency_row(races)},
        }
        return summary(latency={"startRecording": row})

    result = compare(doc(calm), doc(slow))
    assert [r.split(" p95")[0] for r in result.regressions] == ["startRecording (races)"]


def test_checks_are_matched_by_stable_id_when_both_files_have_ids() -> None:
    baseline, current = summary(), summary()
    for doc, nodeid in (
        (baseline, "contract/test_live.py::test_pause[a]"),
        (current, "contract/test_live.py::test_pause[b]"),
    ):
        doc["checks"][1].update(id="live-state/pauseRecording/pause", nodeid=nodeid)
        doc["checks"][0].update(id="filters/listRecordings/between")
    current["checks"][1]["outcome"] = "failed"
    assert compare(baseline, current).regressions == [
        "check passed -> failed: live-state/pauseRecording/pause"
    ]


def test_gate_adds_the_regressions_to_the_runs_verdict(tmp_path: Path) -> None:
    rng = random.Random(11)
    baseline = with_latency("getRecording", service_times(rng, 100))
    current = with_latency("getRecording", service_times(rng, 100, shift=20.0))
    current["coverage"] = {
        "checks": 2,
        "ran": 2,
        "percent": 100.0,
        "failed": 0,
        "deviations": 0,
        "skipped": 0,
    }
    current["reasons"] = []
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(baseline))
    result = gate(path, current)
    assert result.exit_code == 1
    apply_gate(current, result, path)
    assert current["verdict"] == "not-qualified"
    assert current["reasons"][0].startswith("regression: getRecording p95 latency")
    assert (
        current["verdict_line"].startswith("NOT QUALIFIED")
        and "1 regression(s) against" in current["verdict_line"]
    )
    assert current["baseline"]["regressions"] == result.regressions


def test_gate_refuses_an_unreadable_baseline_as_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(UsageError, match="not a recqual summary"):
        gate(bad, summary())


def test_wrong_schema_is_refused() -> None:
    with pytest.raises(ValueError, match=r"recqual\.summary/2"):
        compare(summary(schema="other"), summary())


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recqual", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_cli_diff_exit_codes(tmp_path: Path) -> None:
    baseline, current = tmp_path / "a.json", tmp_path / "b.json"
    baseline.write_text(json.dumps(summary()))
    worse = summary()
    worse["checks"][1]["outcome"] = "failed"
    current.write_text(json.dumps(worse))
    same = run_cli("diff", str(baseline), str(baseline))
    assert same.returncode == 0 and "no regression" in same.stdout
    regressed = run_cli("diff", str(baseline), str(current))
    assert regressed.returncode == 1
    assert "REGRESSION  check passed -> failed: contract/test_live.py::test_pause" in regressed.stdout


def test_cli_diff_of_a_missing_file_is_one_line_exit_2(tmp_path: Path) -> None:
    result = run_cli("diff", str(tmp_path / "nope.json"), str(tmp_path / "nope.json"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "no such summary file" in result.stderr
    assert "Traceback" not in result.stderr


# -- examples/nightly-qualify.yml: the workflow a customer copies must run as written -------------------
NIGHTLY = Path(__file__).resolve().parents[2] / "examples" / "nightly-qualify.yml"
STAGING_SECRETS = {"UCX_QUAL_ADMIN_PASSWORD": "lab-admin-pw", "UCX_QUAL_BASE_PASSWORD": "lab-base-pw"}
"""The workflow's secrets, as the lab emulator (tests/emulator/sites/lab.toml) knows them."""


def nightly_job() -> tuple[dict[str, str], dict[str, str]]:
    """(the job's environment with the secrets filled in, step name -> its shell script)."""
    import yaml

    job = yaml.safe_load(NIGHTLY.read_text())["jobs"]["qualify"]
    env = {name: STAGING_SECRETS[name] for name in job["env"]}  # a KeyError: a secret the lab lacks
    steps = {step["name"]: step["run"] for step in job["steps"] if "name" in step and "run" in step}
    return env, steps


def run_step(script: str, cwd: Path, env: dict[str, str], url: str) -> subprocess.CompletedProcess[str]:
    """One workflow step under bash, in a checkout-like folder, the target's URL overridden to the lab."""
    from tests.labs.deployed import lab_environment

    full = {**lab_environment(), **env, "RECQUAL_TARGET": url}
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def checkout(tmp_path: Path) -> Path:
    """The files the workflow reads, where a checkout puts them."""
    folder = tmp_path / "checkout"
    (folder / "examples").mkdir(parents=True)
    source = NIGHTLY.parent / "staging-target.toml"
    (folder / "examples" / "staging-target.toml").write_text(source.read_text())
    return folder


def test_the_nightly_workflow_names_only_secrets_its_target_file_reads(tmp_path: Path) -> None:
    """The job's env is exactly the target file's password_env names: nothing set that recqual refuses
    (RECQUAL_PASSWORD without RECQUAL_USER was a usage error), nothing the file needs left unset."""
    import tomllib

    env, steps = nightly_job()
    target = tomllib.loads((NIGHTLY.parent / "staging-target.toml").read_text())
    assert set(env) == {role["password_env"] for role in target["credentials"].values()}
    qualify = steps["Qualify staging"]
    assert qualify.startswith(
        "recqual qualify --target-file examples/staging-target.toml --profile documented"
    )
    from tests.labs.deployed import deployed_emulator

    with deployed_emulator(tmp_path) as lab:
        preflight = run_step(
            qualify.replace("recqual qualify", "recqual check-target").split(" --out")[0],
            checkout(tmp_path),
            env,
            lab.url,
        )
    assert preflight.returncode == 0, preflight.stderr


@pytest.mark.slow
def test_the_nightly_workflow_runs_as_written_against_the_lab(tmp_path: Path) -> None:
    """Its qualify step, word for word, then its diff step without and with a baseline (about 3 min)."""
    from tests.labs.deployed import deployed_emulator

    env, steps = nightly_job()
    folder = checkout(tmp_path)
    with deployed_emulator(tmp_path) as lab:
        qualified = run_step(steps["Qualify staging"], folder, env, lab.url)
    assert qualified.returncode == 0, qualified.stdout[-2000:] + qualified.stderr[-2000:]
    first = run_step(steps["Compare with the release baseline"], folder, env, lab.url)
    assert first.returncode == 0 and "no ci/baseline-summary.json yet" in first.stdout
    (folder / "ci").mkdir()
    (folder / "ci" / "baseline-summary.json").write_text(
        (folder / "reports/nightly/summary.json").read_text()
    )
    same = run_step(steps["Compare with the release baseline"], folder, env, lab.url)
    assert same.returncode == 0 and "no regression" in same.stdout, same.stdout

"""`recqual qualify`: conformance suite, then a short load pass, then the report.

Both suites run as child processes. The conformance suite is pytest (Schemathesis and Hypothesis own
the process); the load pass is Locust, which monkey-patches the whole process with gevent and so must
never share one with anything else. The parent only orchestrates, reads their machine-readable
results and writes the report, which keeps a crashing or hanging suite from taking the verdict with it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recqual.embedded import embedded_emulator
from recqual.errors import UsageError
from recqual.html import write_html
from recqual.progress import Progress
from recqual.pytest_progress import PREFIX
from recqual.summary import build_summary, load_json, write_summary
from recqual.targets import Target, child_environment, probe

PROFILES = ("strict", "documented", "read-only")
LOAD_SCENARIOS = ("call-control", "races")
CONTRACT_TIMEOUT_S = 30 * 60
LOAD_TIMEOUT_S = 10 * 60


@dataclass
class QualifyOptions:
    target: str | None
    user: str | None
    profile: str | None
    quick: bool
    out: Path | None
    seed: int | None = None
    target_file: Path | None = None
    tls_verify: bool | str = True
    max_rps: float | None = None
    skip_load: bool = False
    extra_contract_args: list[str] = field(default_factory=list)


@dataclass
class RunContext:
    target: Target
    profile: str
    seed: int
    out: Path
    env: dict[str, str]


def default_out_dir() -> Path:
    return Path("reports") / dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for dist in ("recqual", "schemathesis", "hypothesis", "locust", "pytest"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[dist] = importlib.metadata.version(dist)
    return found


@contextlib.contextmanager
def resolved_target(options: QualifyOptions, given: Target | None, out: Path) -> Iterator[Target]:
    """The target to qualify: the one given, or an embedded emulator for the duration of the block."""
    if given is not None:
        yield given
        return
    with embedded_emulator(log=out / "emulator.log") as url:
        yield Target(url=url, kind="embedded-emulator")


def contract_command(ctx: RunContext, options: QualifyOptions) -> list[str]:
    out = ctx.out
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:locust",
        "-p",
        "no:cacheprovider",
        "-p",
        "recqual.pytest_progress",
        "-p",
        "contract.plugin",
        "--pyargs",
        "contract",
        "--target",
        ctx.target.url,
        "--profile",
        ctx.profile,
        f"--hypothesis-seed={ctx.seed}",
        "--recqual-results",
        str(out / "contract-results.json"),
        "--junitxml",
        str(out / "junit.xml"),
        "--alluredir",
        str(out / "allure-results"),
        "-q",
        "-rN",
        "--color=no",
    ]
    if options.quick:
        command.append("--quick")
    if options.target_file is not None:
        command += ["--target-file", str(options.target_file)]
    if ctx.target.tls_verify is not True:
        command += ["--tls-verify", str(ctx.target.tls_verify).lower()]
    if options.max_rps:
        command += ["--max-rps", str(options.max_rps)]
    return command + options.extra_contract_args


def run_contract(ctx: RunContext, options: QualifyOptions, progress: Progress) -> tuple[int | None, dict]:
    """Run the conformance suite; returns pytest's exit code and its results document."""
    results = ctx.out / "contract-results.json"
    log_path = ctx.out / "contract.log"
    started = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            contract_command(ctx, options),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=ctx.env,
            text=True,
            bufsize=1,
        )
        assert process.stdout is not None
        try:
            for line in process.stdout:
                if line.startswith(PREFIX):
                    done, total, failed = (int(part) for part in line.split()[1:4])
                    progress.count("checks", done, total, failed)
                else:
                    log.write(line)
                if time.monotonic() - started > CONTRACT_TIMEOUT_S:
                    process.kill()
                    minutes = CONTRACT_TIMEOUT_S // 60
                    progress.note(f"the conformance suite ran over {minutes} minutes: stopped")
                    break
        finally:
            if process.poll() is None and sys.exc_info()[0] is not None:
                process.kill()  # interrupted: the suite must not outlive recqual
        code = process.wait()
    progress.note(f"conformance suite finished (pytest exit code {code}); log: {log_path}")
    if not results.is_file():
        return code, {"checks": []}
    return code, load_json(results)


def load_command(ctx: RunContext, scenario: str, options: QualifyOptions, run_dir: Path) -> list[str]:
    run_time = "6s" if options.quick else "20s"
    users = "4" if scenario == "call-control" else "6"  # races: groups of K=3 users share a line
    command = [
        sys.executable,
        "-m",
        "load",
        scenario,
        "--target",
        ctx.target.url,
        "--users",
        users,
        "--spawn-rate",
        users,
        "--run-time",
        run_time,
        "--out-dir",
        str(run_dir),
    ]
    if options.target_file is not None:
        command += ["--target-file", str(options.target_file)]
    return command


def run_load(ctx: RunContext, options: QualifyOptions, progress: Progress) -> dict[str, dict[str, Any]]:
    summaries: dict[str, dict[str, Any]] = {}
    for scenario in LOAD_SCENARIOS:
        run_dir = ctx.out / "load" / scenario
        run_dir.mkdir(parents=True, exist_ok=True)
        progress.note(f"load scenario {scenario} ...")
        with (run_dir / "locust.log").open("w", encoding="utf-8") as log:
            try:
                code = subprocess.run(
                    load_command(ctx, scenario, options, run_dir),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=ctx.env,
                    timeout=LOAD_TIMEOUT_S,
                    check=False,
                ).returncode
            except subprocess.TimeoutExpired:
                code = -1
        summary_path = run_dir / "summary.json"
        summary = load_json(summary_path) if summary_path.is_file() else {}
        summary.setdefault("exit_code", code)
        summary["report_dir"] = str(run_dir)
        summaries[scenario] = summary
        progress.note(f"load scenario {scenario}: exit code {code}")
    return summaries


def qualify(options: QualifyOptions, progress: Progress | None = None) -> tuple[int, Path]:
    """Run a whole qualification; returns the exit code (0 qualified, 1 not) and the report folder.

    A given target is probed before anything is written, so an unreachable one costs one line and
    exit code 2 (`TargetError`), not an empty report folder.
    """
    given = None
    if options.target is not None:
        kind = probe(options.target, tls_verify=options.tls_verify)
        given = Target(url=options.target, kind=kind, tls_verify=options.tls_verify)
        if kind == "server" and not os.environ.get("RECQUAL_PASSWORD") and options.target_file is None:
            raise UsageError(
                "a real server needs credentials: set RECQUAL_PASSWORD (and --user) or use --target-file"
            )
    out = (options.out or default_out_dir()).absolute()  # children run elsewhere: one meaning for all
    out.mkdir(parents=True, exist_ok=True)
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**31)
    progress = progress or Progress(phases=4)
    started = dt.datetime.now(dt.UTC)
    clock = time.monotonic()

    progress.phase("target", options.target or "starting the embedded emulator")
    with resolved_target(options, given, out) as target:
        profile = options.profile or ("strict" if target.is_emulator else "documented")
        ctx = RunContext(
            target=target,
            profile=profile,
            seed=seed,
            out=out,
            env=child_environment(user=options.user, target_file=options.target_file),
        )
        what = "an emulator" if target.is_emulator else "a server"
        progress.note(f"{target.url} is {what}; profile {profile}")

        progress.phase("conformance suite", f"seed {seed}{', quick' if options.quick else ''}")
        contract_exit, contract = run_contract(ctx, options, progress)

        load_skipped = None
        if profile == "read-only":
            load_skipped = "the read-only profile sends only GET requests; the load pass starts recordings"
        elif options.skip_load:
            load_skipped = "skipped with --skip-load"
        if load_skipped:
            progress.phase("load pass", f"skipped: {load_skipped}")
            load_summaries: dict[str, dict[str, Any]] = {}
        else:
            progress.phase("load pass", ", ".join(LOAD_SCENARIOS))
            load_summaries = run_load(ctx, options, progress)

    progress.phase("report", str(out))
    finished = dt.datetime.now(dt.UTC)
    summary = build_summary(
        target={"url": target.url, "kind": target.kind, "profile": profile},
        run={
            "started": started.isoformat(timespec="seconds"),
            "finished": finished.isoformat(timespec="seconds"),
            "duration_s": round(time.monotonic() - clock, 1),
            "seed": seed,
            "quick": options.quick,
            "versions": versions(),
        },
        contract=contract,
        contract_exit=contract_exit,
        load_summaries=load_summaries,
        load_skipped=load_skipped,
    )
    write_summary(summary, out / "summary.json")
    write_html(summary, out / "summary.html")
    verdict = "QUALIFIED" if summary["verdict"] == "qualified" else "NOT QUALIFIED"
    progress.note(f"{verdict}: {out / 'summary.html'}")
    for reason in summary["reasons"]:
        progress.note(f"- {reason}")
    return (0 if summary["verdict"] == "qualified" else 1), out

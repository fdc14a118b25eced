"""Issue #14: a broken or hostile server gets a clear verdict in bounded time and memory, and nothing
recqual writes or prints carries the password.

Twelve misbehaviours on every path end at the preflight (exit 2, one line naming what the server
did); the proxy cases misbehave on one path of a real emulator, so the conformance suite's own reads
must be bounded too (exit 1, a failure naming the operation and what the server sent).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_harness import (
    MEMORY_LIMIT_MB,
    PREFLIGHT_CASES,
    PROXY_CASES,
    RUN_LIMIT_S,
    Measured,
    ProxyCase,
    emulator,
    hostile_server,
    proxy,
    qualify_command,
    run_measured,
)


def assert_bounded_and_silent(run: Measured, codes: set[int], fragments: tuple[str, ...]) -> None:
    """Ends by itself, with a verdict, within bounds, saying what the server did, leaking nothing."""
    tail = run.console[-3000:]
    assert run.returncode in codes, f"exit {run.returncode}:\n{tail}"
    assert run.seconds < RUN_LIMIT_S, tail
    assert run.peak_mb < MEMORY_LIMIT_MB and run.tree_mb < MEMORY_LIMIT_MB, (run.peak_mb, run.tree_mb)
    assert any(fragment in run.console for fragment in fragments), tail
    assert "Traceback" not in run.console and "RecursionError" not in run.console, tail
    assert not run.leaks(), f"secret found in {run.leaks()}"


@pytest.mark.parametrize("mode", sorted(PREFLIGHT_CASES))
def test_hostile_server_gets_a_bounded_verdict(mode: str, tmp_path: Path) -> None:
    with hostile_server(mode, tmp_path) as (url, hits):
        run = run_measured(qualify_command(url), tmp_path)
        other_host_hits = int(hits.read_text() or 0) if hits.exists() else 0
    assert_bounded_and_silent(run, {2}, PREFLIGHT_CASES[mode])
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr  # the preflight's one line
    assert not (tmp_path / "run").exists(), "a target that cannot be qualified writes nothing"
    assert other_host_hits == 0, "a redirect was followed (with the credentials) to another host"


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with emulator(tmp_path_factory.mktemp("emulator")) as url:
        yield url


def _proxy_params() -> list[object]:
    return [
        pytest.param(case, id=case.misbehave, marks=[pytest.mark.slow] if case.slow else [])
        for case in PROXY_CASES
    ]


@pytest.mark.parametrize("case", _proxy_params())
def test_suite_reads_are_bounded_behind_a_proxy(case: ProxyCase, upstream: str, tmp_path: Path) -> None:
    """One path misbehaves, the rest is a correct emulator: NOT QUALIFIED, the failure names the
    operation and what the server sent; the other checks still ran."""
    with proxy(case, upstream, tmp_path) as url:
        run = run_measured(qualify_command(url, "--skip-load", "--allow-reset"), tmp_path)
    assert_bounded_and_silent(run, {1}, ("NOT QUALIFIED",))
    summary = run.files.get("run/summary.json", "")
    assert summary, "the report was written"
    checks = json.loads(summary)["checks"]
    failed = [c["message"] for c in checks if c["outcome"] == "failed"]
    named = [m for m in failed if case.operation in m and any(f in m for f in case.fragments)]
    assert named, failed[:5]
    passed = [c for c in checks if c["outcome"] == "passed"]
    assert len(passed) > 100, "one bad path does not take the whole run down"

"""Robustness of ``recqual qualify`` against hostile servers: verdict, time, memory, leaks (issue #14).

    python benchmarks/robustness_hostile.py [--only MODE ...] [--no-proxy]

Runs ``recqual qualify --quick`` against each misbehaviour of ``tests/hostile/server.py`` (on every
path), then the proxy cases (one path of a real emulator misbehaves, ``--skip-load``), and prints a
Markdown table: misbehaviour, exit code, wall seconds, peak MB (largest single process; the process
tree's sampled sum in brackets), the console line saying what the server did, and whether the
password or its Basic token appeared anywhere (console or any file of the report folder).

``measure()`` returns the same rows as ``(misbehaviour, result, notes)`` string triples, for merging
with the emulator's own robustness rows in the README. Everything runs on 127.0.0.1, each process
started here is stopped by its PID, and every run is killed at 180 s (none should get near it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hostile"))

from hostile_harness import (  # the harness lives with the tests it serves
    PREFLIGHT_CASES,
    PROXY_CASES,
    Measured,
    ProxyCase,
    emulator,
    excerpt,
    hostile_server,
    proxy,
    qualify_command,
    run_measured,
)


@dataclass(frozen=True)
class Row:
    name: str
    run: Measured
    message: str

    @property
    def leaked(self) -> str:
        return "YES: " + ", ".join(self.run.leaks()) if self.run.leaks() else "no"

    def markdown(self) -> str:
        message = self.message.replace("|", "\\|")
        return (
            f"| {self.name} | {self.run.returncode} | {self.run.seconds:.1f} | "
            f"{self.run.peak_mb:.0f} ({self.run.tree_mb:.0f}) | {message} | {self.leaked} |"
        )

    def triple(self) -> tuple[str, str, str]:
        result = f"exit {self.run.returncode} in {self.run.seconds:.1f} s, peak {self.run.peak_mb:.0f} MB"
        return self.name, result, f"{self.message}; secret leaked: {self.leaked}"


def _preflight_row(mode: str, work: Path) -> Row:
    folder = work / mode
    folder.mkdir()
    with hostile_server(mode, folder) as (url, _hits):
        run = run_measured(qualify_command(url), folder)
    return Row(mode, run, excerpt(run, PREFLIGHT_CASES[mode]))


def _proxy_row(case: ProxyCase, upstream: str, work: Path) -> Row:
    folder = work / f"proxy-{case.misbehave}"
    folder.mkdir()
    with proxy(case, upstream, folder) as url:
        run = run_measured(qualify_command(url, "--skip-load", "--allow-reset"), folder)
    summary = json.loads(run.files.get("run/summary.json", "{}") or "{}")
    failed = [c["message"] for c in summary.get("checks", []) if c.get("outcome") == "failed"]
    named = [m for m in failed if case.operation in m and any(f in m for f in case.fragments)]
    said = named[0].splitlines()[0] if named else "(no failure named the operation)"
    verdict = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    return Row(case.name, run, f"{verdict.split(',')[0]}; {said[:120]}")


@contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="recqual-hostile-") as name:
        yield Path(name)


def rows(only: list[str] | None = None, with_proxy: bool = True) -> list[Row]:
    found: list[Row] = []
    with _workdir() as work:
        for mode in PREFLIGHT_CASES:
            if not only or mode in only:
                found.append(_preflight_row(mode, work))
                print(found[-1].markdown(), file=sys.stderr, flush=True)
        cases = [c for c in PROXY_CASES if not only or c.misbehave in only] if with_proxy else []
        if cases:
            (work / "emulator").mkdir()
            with emulator(work / "emulator") as upstream:
                for case in cases:
                    found.append(_proxy_row(case, upstream, work))
                    print(found[-1].markdown(), file=sys.stderr, flush=True)
    return found


def measure(only: list[str] | None = None, with_proxy: bool = True) -> list[tuple[str, str, str]]:
    """(misbehaviour, result, notes) per case: the rows the README merges with the emulator's."""
    return [row.triple() for row in rows(only, with_proxy)]


def table(found: list[Row]) -> str:
    head = [
        "| misbehaviour | exit | wall s | peak MB (tree) | what recqual said | secret leaked |",
        "|---|---|---|---|---|---|",
    ]
    return "\n".join(head + [row.markdown() for row in found])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="misbehaviours to run (default: all)")
    parser.add_argument("--no-proxy", action="store_true", help="skip the proxy cases (about 1-2 min each)")
    args = parser.parse_args()
    print(table(rows(args.only, with_proxy=not args.no_proxy)))


if __name__ == "__main__":
    main()

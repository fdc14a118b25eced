"""A failure's rerun line reproduces it: one check, the same seed, in seconds.

The server is the emulator behind one seeded fault of the catalogue (``tests/faults``): the direction
filter ignored, a bug only the filter oracle sees. ``recqual qualify`` fails; the first failure group's
``rerun`` from summary.json, run as written (plus only ``--out``), fails the same check again.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from tests.faults.harness import start_emulator, start_proxy

FAULT = "direction-filter-ignored"


def _qualify(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECQUAL_")}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "recqual", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    return done, time.monotonic() - started


def test_the_first_failures_rerun_line_reproduces_it(tmp_path: Path) -> None:
    emulator = start_emulator(tmp_path)
    try:
        proxy = start_proxy(FAULT, emulator.url, tmp_path)
        try:
            first, _ = _qualify(
                [
                    "qualify",
                    "--target",
                    proxy.url,
                    "--allow-reset",
                    "--quick",
                    "--skip-load",
                    "--only",
                    "filters",
                    "--out",
                    "run1",
                ],
                tmp_path,
            )
            assert first.returncode == 1, first.stdout[-2000:] + first.stderr[-2000:]
            summary = json.loads((tmp_path / "run1" / "summary.json").read_text())
            group = summary["failures"][0]
            words = shlex.split(group["rerun"])
            assert words[:2] == ["recqual", "qualify"] and "--only" in words and "--seed" in words
            again, seconds = _qualify([*words[1:], "--out", "run2"], tmp_path)
        finally:
            proxy.stop()
    finally:
        emulator.stop()
    assert again.returncode == 1, again.stdout[-2000:] + again.stderr[-2000:]
    assert seconds < 90
    rerun = json.loads((tmp_path / "run2" / "summary.json").read_text())
    assert rerun["coverage"]["checks"] == 1
    assert rerun["failures"][0]["checks"] == [group["id"]]

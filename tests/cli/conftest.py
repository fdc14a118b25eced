"""One real `recqual qualify --quick` run on the embedded emulator, shared by the end-to-end tests.

It is the product's main job exactly as a newcomer runs it (a child process, the installed
`recqual` entry point, a fresh report folder), so the tests below judge what users get.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

QUALIFY_TIMEOUT_S = 600


@dataclass(frozen=True)
class QualifyRun:
    returncode: int
    stdout: str
    stderr: str
    out: Path
    seconds: float


@pytest.fixture(scope="session")
def quick_qualify(tmp_path_factory: pytest.TempPathFactory) -> QualifyRun:
    workdir = tmp_path_factory.mktemp("qualify")
    out = workdir / "report"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECQUAL_")}
    started = time.monotonic()
    result = subprocess.run(
        # A relative --out from a folder outside the repo, as a user types it: every child process
        # (the suite, Locust) must write where the user meant, not relative to its own cwd.
        [sys.executable, "-m", "recqual", "qualify", "--quick", "--out", out.name],
        capture_output=True,
        text=True,
        timeout=QUALIFY_TIMEOUT_S,
        check=False,
        cwd=workdir,
        env=env,
    )
    return QualifyRun(result.returncode, result.stdout, result.stderr, out, time.monotonic() - started)

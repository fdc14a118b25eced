"""Ctrl-C or SIGTERM stops ``recqual qualify`` once and cleanly: the suite stops what it started, a
partial report marked aborted is written, one line says so, exit code 4, and nothing is left running.

The signal goes to recqual's PID only (``kill -INT PID``, a CI runner's SIGTERM); recqual is the one
that signals its children, exactly once each.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from hostile_harness import PASSWORD, USER, emulator, get_json, wait_port_free

MID_RUN = re.compile(r"checks (\d+)/(\d+)")
LIVE = "/fw/Apps/Recorder/WebAPI/LiveRecordings"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECQUAL_")}
    env.update(extra)
    return env


def _start(cwd: Path, *args: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path, Path]:
    out, err = cwd / "stdout.txt", cwd / "stderr.txt"
    cmd = [sys.executable, "-m", "recqual", "qualify", "--quick", "--skip-load", "--out", "run", *args]
    with out.open("wb") as o, err.open("wb") as e:
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=o, stderr=e, start_new_session=True)
    return process, out, err


def _wait_mid_run(process: subprocess.Popen[bytes], err: Path, timeout: float = 120) -> None:
    """Until the suite has run some checks (its first progress line), not at start-up or the end."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, err.read_text()
        counts = [(int(done), int(total)) for done, total in MID_RUN.findall(err.read_text())]
        if counts and 0 < counts[-1][0] < counts[-1][1]:
            return
        time.sleep(0.1)
    raise AssertionError(f"the suite did not get going: {err.read_text()}")


def _leftovers(markers: list[str]) -> list[str]:
    """Processes still running whose command line names this run (its folder or its emulator port)."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        line = " ".join(proc.info["cmdline"] or [])
        if any(marker in line for marker in markers):
            found.append(f"{proc.info['pid']}: {line[:160]}")
    return found


def _assert_aborted(process: subprocess.Popen[bytes], cwd: Path, err: Path, signame: str) -> str:
    try:
        code = process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    stderr = err.read_text()
    assert code == 4, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    said = [line for line in stderr.splitlines() if "interrupted" in line]
    assert len(said) == 1 and signame in said[0], stderr
    summary = json.loads((cwd / "run" / "summary.json").read_text())
    assert summary["verdict"] == "aborted" and summary["aborted"]["signal"] == signame
    assert summary["verdict_line"].startswith("ABORTED")
    assert summary["coverage"]["checks"] > 0, "the checks that ran before the signal are reported"
    return stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stop_signal_on_the_embedded_emulator(signum: signal.Signals, tmp_path: Path) -> None:
    process, _out, err = _start(tmp_path, env=_env())
    try:
        _wait_mid_run(process, err)
        os.kill(process.pid, signum)
        stderr = _assert_aborted(process, tmp_path, err, signum.name)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    port = re.search(r"http://127\.0\.0\.1:(\d+) is recqual's emulator", stderr)
    assert port, stderr
    assert wait_port_free(int(port.group(1))), "the embedded emulator still listens"
    assert not _leftovers([str(tmp_path / "run"), f"--port {port.group(1)}"])


def test_stop_signal_stops_the_recordings_the_run_started(tmp_path: Path) -> None:
    """On a server the run did not start (it stays up), nothing the run started is left recording."""
    with emulator(tmp_path) as url:
        env = _env(RECQUAL_USER=USER, RECQUAL_PASSWORD=PASSWORD)
        process, _out, err = _start(tmp_path, "--target", url, "--allow-reset", env=env)
        try:
            _wait_mid_run(process, err)
            time.sleep(3)  # into the checks that start recordings
            os.kill(process.pid, signal.SIGTERM)
            _assert_aborted(process, tmp_path, err, "SIGTERM")
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        assert get_json(url, LIVE) == [], "a recording the run started is still running"
        assert not _leftovers([str(tmp_path / "run")])

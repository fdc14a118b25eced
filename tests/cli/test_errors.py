"""Bad input to `recqual` is one clear line on stderr and exit 2: never a traceback, never a report."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recqual", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("recqual: error: ") and fragment in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_unreachable_target_exits_2_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    result = run_cli("qualify", "--target", f"http://127.0.0.1:{closed_port()}", cwd=tmp_path)
    assert_one_line_error(result, "target unreachable")
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("qualify", "--target", "ftp://example"), "http(s) URL"),
        (("qualify", "--target", "http://127.0.0.1:1/fw/Apps"), "without an API path"),
        (("qualify", "--profile", "lenient"), "invalid choice"),
        (("qualify", "--password", "hunter2"), "never taken from the command line"),
        (("qualify", "--target-file", "missing.toml"), "target file not found"),
        (("frobnicate",), "invalid choice"),
        (("report", "--allure", "nowhere"), "no Allure results"),
        (("qualify", "--only", "racez"), "'racez' names no check family"),
        (("qualify", "--max-failures", "0"), "--max-failures must be a positive"),
        (("qualify", "--baseline", "missing.json"), "no such summary file"),
    ],
)
def test_usage_errors_are_one_line(args: tuple[str, ...], fragment: str, tmp_path: Path) -> None:
    result = run_cli(*args, cwd=tmp_path)
    assert_one_line_error(result, fragment)
    assert "hunter2" not in result.stderr + result.stdout


def test_report_allure_without_the_allure_command_says_how_to_get_it(tmp_path: Path) -> None:
    (tmp_path / "run" / "allure-results").mkdir(parents=True)
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "recqual", "report", "--allure", "run"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert_one_line_error(result, "`allure` command is not installed")
    assert "npm install" in result.stderr


def test_emulator_command_serves_the_control_plane(tmp_path: Path) -> None:
    """`recqual emulator` is the emulator, bound to loopback, until its process is stopped."""
    import httpx

    port = closed_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "recqual", "emulator", "--port", str(port), "--db", str(tmp_path / "e.db")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("recqual emulator did not answer within 10 s")
        assert response.json()["status"] == "ok" and response.json()["service"] == "recqual-emulator"
        assert (tmp_path / "e.db").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
    # the SIGTERM reached the emulator recqual started: nothing is left listening on its port
    with pytest.raises(httpx.HTTPError):
        for _ in range(50):
            httpx.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=1)
            time.sleep(0.1)


def test_an_only_id_that_matches_no_check_is_exit_2_with_the_suites_line(tmp_path: Path) -> None:
    """A whole id with a typo passes the family test; the suite's collection refuses it, and qualify
    says so in one line with exit 2 instead of a NOT QUALIFIED run of zero checks."""
    result = run_cli("qualify", "--quick", "--only", "races/startRecording/nope", "--out", "r", cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert (
        result.stderr.strip().splitlines()[-1].startswith("recqual: error: --only races/startRecording/nope")
    )


def test_kill_9_of_recqual_contract_leaves_no_emulator_behind(tmp_path: Path) -> None:
    """``recqual contract`` becomes the suite (same PID) and its embedded emulator ends with its parent:
    a SIGKILL, which nothing can forward, still leaves no server holding a port."""
    import os
    import signal

    import psutil

    proc = subprocess.Popen(
        [sys.executable, "-m", "recqual", "contract", "--quick", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("RECQUAL_")},
    )
    try:
        deadline = time.monotonic() + 60
        emulators: list[psutil.Process] = []
        while time.monotonic() < deadline and not emulators:
            time.sleep(0.2)
            kids = psutil.Process(proc.pid).children(recursive=True)
            emulators = [k for k in kids if "emulator" in " ".join(k.cmdline())]
        assert emulators, "the suite started no embedded emulator"
        assert "pytest" in " ".join(psutil.Process(proc.pid).cmdline()), (
            "recqual contract is the suite itself"
        )
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        _gone, alive = psutil.wait_procs(emulators, timeout=5)
        assert not alive, [p.cmdline() for p in alive]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)

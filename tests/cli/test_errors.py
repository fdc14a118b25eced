"""Bad input to `recqual` is one clear line on stderr and exit 2: never a traceback, never a report."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recqual", *args],
        capture_output=True, text=True, timeout=120, check=False, cwd=cwd,
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
    ],
)
def test_usage_errors_are_one_line(args: tuple[str, ...], fragment: str, tmp_path: Path) -> None:
    result = run_cli(*args, cwd=tmp_path)
    assert_one_line_error(result, fragment)
    assert "hunter2" not in result.stderr + result.stdout

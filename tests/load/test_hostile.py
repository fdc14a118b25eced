"""Against a broken or hostile server the load pass leaks nothing and follows nobody (issue #14).

Two servers of ``hostile_server.py``, each its own process on a loopback port, in front of the emulator
(GETs pass, so the preflight and the set-up see a Recording API; the uploads meet the hostility):

- ``echo`` answers every upload 500 with the caller's ``Authorization`` header and decoded password in
  the body. The run reports the failures, yet neither the password nor its Basic token (nor ``user:pass``)
  is in any file of the output folder, nor on the run's stdout/stderr: the failure messages say
  ``[REDACTED]`` where the server quoted them.
- ``redirect`` answers every upload 307 to a third process on another port that counts what reaches it.
  The redirect is a failure of that request, naming where it pointed, and the other host gets nothing.

``python -m load`` runs as ``recqual qualify`` runs it on a lab (no control plane, credentials in the
environment), a few seconds, two users, loopback only.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_server import COOKIE
from load_support import HostileServer

from load.runner import REPO_ROOT


@dataclass(frozen=True)
class User:
    username: str
    password: str

    def leaks(self) -> list[bytes]:
        """Every form of the credential that must not be written anywhere, and the session cookie the echo
        server set (the client sends it back: a credential the run was never given)."""
        pair = f"{self.username}:{self.password}"
        token = base64.b64encode(pair.encode()).decode()
        return [self.password.encode(), token.encode(), pair.encode(), COOKIE.encode()]


@pytest.fixture(scope="module")
def user(emulator) -> User:
    """A level-10 user of the emulator with a password nobody else uses."""
    tag = uuid.uuid4().hex[:8]
    made = User(f"hostile{tag}", f"pw-{uuid.uuid4().hex}")
    status, body = emulator.control(
        "POST",
        "/users",
        {
            "username": made.username,
            "password": made.password,
            "level": 10,
            "extension": f"59{int(tag, 16) % 10**6:06d}",
            "deviceName": f"SEP{tag.upper()}FFFF",
        },
    )
    assert status == 201, body
    return made


@pytest.fixture
def echo_server(emulator, tmp_path) -> Iterator[HostileServer]:
    server = HostileServer("echo", tmp_path / "echo.log", "--upstream", emulator.url)
    try:
        yield server
    finally:
        server.kill()


@dataclass
class Redirecting:
    server: HostileServer
    other: HostileServer
    hits: Path


@pytest.fixture
def redirecting(emulator, tmp_path) -> Iterator[Redirecting]:
    hits = tmp_path / "other-host-hits.txt"
    other = HostileServer("count", tmp_path / "other.log", "--hits", str(hits))
    try:
        server = HostileServer(
            "redirect", tmp_path / "redirect.log", "--upstream", emulator.url, "--redirect-to", other.url
        )
        try:
            yield Redirecting(server, other, hits)
        finally:
            server.kill()
    finally:
        other.kill()


def load_cli(target: str, user: User, out: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECQUAL_")}
    env |= {"RECQUAL_USER": user.username, "RECQUAL_PASSWORD": user.password}
    command = [
        sys.executable, "-m", "load", "uploads", "--target", target, "--users", "2", "--spawn-rate", "2",
        "--run-time", "3s", "--out-dir", str(out), "--timeout", "90",
    ]  # fmt: skip
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, timeout=150)


def test_a_server_echoing_credentials_gets_them_redacted_everywhere(echo_server, user, tmp_path):
    out = tmp_path / "run"
    proc = load_cli(echo_server.url, user, out)
    summary = json.loads((out / "summary.json").read_text())
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert summary["totals"]["requests"] > 0
    assert summary["totals"]["failures"] == summary["totals"]["requests"]
    messages = [failure["message"] for failure in summary["failures"]]
    assert messages and all("got 500" in m and "[REDACTED]" in m for m in messages), messages
    assert all(len(m) <= 600 for m in messages)  # a quoted body is bounded
    assert "[REDACTED]" in (out / "stats_failures.csv").read_text()
    written = sorted(path.name for path in out.iterdir())
    assert {"report.html", "stats_failures.csv", "summary.json", "locust-master.log"} <= set(written)
    for path in out.iterdir():
        data = path.read_bytes()
        for leak in user.leaks():
            assert leak not in data, f"{leak!r} in {path.name}"
    for leak in user.leaks():
        assert leak not in proc.stdout and leak not in proc.stderr


def test_a_redirect_is_a_failure_and_is_not_followed(redirecting, user, tmp_path):
    out = tmp_path / "run"
    proc = load_cli(redirecting.server.url, user, out)
    summary = json.loads((out / "summary.json").read_text())
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert not redirecting.hits.exists() or redirecting.hits.read_text() == "", "the other host was called"
    ops = summary["operations"]["uploadRecording"]
    assert ops["count"] > 0 and ops["failures"] == ops["count"] and ops["outcomes"] == {"307": ops["count"]}
    expected = f"the server redirected to {redirecting.other.url}/fw/Apps/Recorder/WebAPI/Recordings/"
    messages = [failure["message"] for failure in summary["failures"]]
    assert all(expected in m and "recqual follows no redirects" in m for m in messages), messages

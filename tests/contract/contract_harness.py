"""Harness for testing the conformance suite itself over real HTTP (imported by conftest and tests).

An emulator (seeded with a level-10 user whose secret password the redaction tests look for), faulty
proxies in front of it, hostile TCP servers, and a runner for ``pytest contract`` as a child process
(the suite is judged the way people run it: exit code, output, results file).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SECRET_USER = "rq_selftest_admin"
SECRET_PASSWORD = "Sup3r-S3cret-Pa55word-7f3a"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECQUAL_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


@contextmanager
def child(
    cmd: list[str], *, ready: str | None = None, port: int | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A child process we own; waits until ``ready`` answers (HTTP) or ``port`` accepts (TCP)."""
    out = log.open("wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"{cmd} exited early"
            try:
                if ready is not None:
                    httpx.get(ready, timeout=1)
                else:
                    socket.create_connection(("127.0.0.1", port or 0), timeout=1).close()
                break
            except (httpx.TransportError, OSError):
                time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if log:
            out.close()  # type: ignore[union-attr]


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An emulator with the secret level-10 user seeded (seeded users survive /_emulator/reset)."""
    work = tmp_path_factory.mktemp("emulator")
    users = work / "users.json"
    users.write_text(
        json.dumps(
            [
                {
                    "username": SECRET_USER,
                    "password": SECRET_PASSWORD,
                    "level": 10,
                    "extension": "900",
                    "deviceName": "SEP000000000900",
                }
            ]
        )
    )
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "emulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--users",
        str(users),
        "--db",
        str(work / "emulator.db"),
        "--log-level",
        "warning",
    ]
    url = f"http://127.0.0.1:{port}"
    with child(cmd, ready=f"{url}/_emulator/health", log=work / "emulator.log"):
        yield url


@contextmanager
def faulty_proxy(upstream: str, fault: str, *, stall_after: int = 50) -> Iterator[str]:
    port = free_port()
    cmd = [
        sys.executable,
        str(HERE / "faulty_proxy.py"),
        "--upstream",
        upstream,
        "--fault",
        fault,
        "--port",
        str(port),
        "--stall-after",
        str(stall_after),
    ]
    url = f"http://127.0.0.1:{port}"
    with child(cmd, ready=f"{url}/_emulator/health"):
        yield url


@contextmanager
def bad_server(mode: str) -> Iterator[str]:
    port = free_port()
    with child(
        [sys.executable, str(HERE / "bad_servers.py"), "--mode", mode, "--port", str(port)], port=port
    ):
        yield f"http://127.0.0.1:{port}"


@dataclass
class ContractRun:
    returncode: int
    stdout: str
    stderr: str
    results: dict[str, Any] | None
    files: dict[str, str]
    seconds: float

    def rows(self, outcome: str | None = None) -> list[dict[str, Any]]:
        rows = (self.results or {}).get("checks", [])
        return [r for r in rows if outcome is None or r["outcome"] == outcome]

    def everything(self) -> str:
        return "\n".join([self.stdout, self.stderr, json.dumps(self.results), *self.files.values()])


def run_contract(
    target: str,
    *selection: str,
    tmp_path: Path,
    extra: tuple[str, ...] = (),
    credentials: bool = True,
    env_extra: dict[str, str] | None = None,
    timeout: float = 300,
) -> ContractRun:
    """``pytest contract/<selection> --target <target> --quick`` as a child; results, junit, allure."""
    results = tmp_path / "results.json"
    junit = tmp_path / "junit.xml"
    allure_dir = tmp_path / "allure"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        *selection,
        "--target",
        target,
        "--allow-reset",  # the target is an emulator (or a proxy of one) this test started
        "--quick",
        "--recqual-results",
        str(results),
        "--junitxml",
        str(junit),
        "--alluredir",
        str(allure_dir),
        *extra,
    ]
    env = _env(RECQUAL_USER=SECRET_USER, RECQUAL_PASSWORD=SECRET_PASSWORD) if credentials else _env()
    env.update(env_extra or {})
    started = time.monotonic()
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    files = {}
    for path in [junit, *sorted(allure_dir.glob("*"))] if allure_dir.exists() else [junit]:
        if path.is_file():
            files[str(path)] = path.read_text(errors="replace")
    loaded = json.loads(results.read_text()) if results.exists() else None
    return ContractRun(proc.returncode, proc.stdout, proc.stderr, loaded, files, time.monotonic() - started)

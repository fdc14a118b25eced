"""Running ``recqual qualify`` against hostile servers, measured: shared by the tests and the benchmark.

Every process here is started by this module and stopped by its PID (the server, the proxy, the
emulator, recqual itself); peak memory is the largest resident set of recqual or any process it
waited for (``os.wait4``'s rusage), plus the sampled sum of the whole process tree.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[2]
SERVER = Path(__file__).resolve().parent / "server.py"
USER = "rq_hostile_admin"
PASSWORD = "Hostile-Secret-Pa55-q7Zx"
"""Recognisable, so a leak is found by a plain substring search."""
RUN_LIMIT_S = 180.0
MEMORY_LIMIT_MB = 600.0

PREFLIGHT_CASES: dict[str, tuple[str, ...]] = {
    # mode: fragments, one of which the console output must contain (what the server did)
    "always-401": ("answered 401",),
    "invalid-json": ("invalid JSON",),
    "deep-json": ("nested deeper than",),
    "endless-chunked": ("body larger than",),
    "huge-length": ("body larger than",),
    "stall-30s": ("did not answer within",),
    "reset": ("Connection reset",),
    "redirect-loop": ("redirected to",),
    "redirect-other-host": ("redirected to",),
    "many-headers": ("response headers were larger",),
    "html-everywhere": ("text/html",),
    "echo-credentials-500": ("answered 500",),
}


@dataclass(frozen=True)
class ProxyCase:
    """A misbehaviour on one path only, everything else a real emulator: the suite's own reads."""

    name: str
    misbehave: str
    only: str
    operation: str
    fragments: tuple[str, ...]
    slow: bool = False


PROXY_CASES = (
    ProxyCase(
        "proxy: endless MP3 download",
        "endless-chunked",
        r"^GET .*/Recordings/[^/]+/Media$",
        "downloadRecording",
        ("body larger than",),
        slow=True,  # each proxy run is a whole quick suite (~1-2 min): one in the default run
    ),
    ProxyCase(
        "proxy: deep JSON recording detail",
        "deep-json",
        r"^GET .*/Recordings/[0-9a-fA-F-]{36}$",
        "getRecording",
        ("nested deeper than",),
        slow=True,  # its tree peaks at 553-604 MB against the 600 MB bound (Hypothesis shrinking)
    ),
    ProxyCase(
        "proxy: credentials echoed by a 500 on /Mine",
        "echo-credentials-500",
        r"^GET .*/LiveRecordings/Mine$",
        "listMyActiveRecordings",
        ("500",),
        slow=True,
    ),
    ProxyCase(
        "proxy: huge Content-Length on recording detail",
        "huge-length",
        r"^GET .*/Recordings/[0-9a-fA-F-]{36}$",
        "getRecording",
        ("body larger than",),
        slow=True,
    ),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def secrets() -> tuple[str, ...]:
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return (PASSWORD, token)


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECQUAL_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a child this module started (and its own children: it leads its session)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextmanager
def _child(cmd: list[str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as sink:
        process = subprocess.Popen(
            cmd, cwd=ROOT, env=_clean_env(), stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, f"{cmd} exited early; see {log}"
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, f"{cmd} did not listen on {port}"
                    time.sleep(0.05)
            yield process
        finally:
            stop(process)


@contextmanager
def hostile_server(mode: str, workdir: Path) -> Iterator[tuple[str, Path]]:
    """The server in ``mode`` on a free port; yields its URL and the other host's hit counter."""
    port, other = free_port(), free_port()
    hits = workdir / f"hits-{mode}.txt"
    cmd = [sys.executable, str(SERVER), "--mode", mode, "--port", str(port)]
    cmd += ["--other-port", str(other), "--hits-file", str(hits)]
    with _child(cmd, port, workdir / f"server-{mode}.log"):
        yield f"http://127.0.0.1:{port}", hits


@contextmanager
def emulator(workdir: Path) -> Iterator[str]:
    """An emulator seeded with the secret level-10 user."""
    users = workdir / "users.json"
    users.write_text(
        json.dumps(
            [
                {
                    "username": USER,
                    "password": PASSWORD,
                    "level": 10,
                    "extension": "900",
                    "deviceName": "SEP000000000900",
                }
            ]
        )
    )
    port = free_port()
    cmd = [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--users", str(users), "--db", str(workdir / "emulator.db"), "--log-level", "warning"]
    with _child(cmd, port, workdir / "emulator.log"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def proxy(case: ProxyCase, upstream: str, workdir: Path) -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, str(SERVER), "--mode", "proxy", "--misbehave", case.misbehave]
    cmd += ["--only", case.only, "--upstream", upstream, "--port", str(port)]
    with _child(cmd, port, workdir / f"proxy-{case.misbehave}.log"):
        yield f"http://127.0.0.1:{port}"


@dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float
    """The largest resident set of one process (recqual or a child it waited for)."""
    tree_mb: float
    """The largest sampled sum over recqual and all its descendants."""
    out: Path
    files: dict[str, str] = field(default_factory=dict)

    @property
    def console(self) -> str:
        return self.stdout + self.stderr

    def leaks(self) -> list[str]:
        """Where a secret appears: the console, or any file under the output folder."""
        found = []
        for secret in secrets():
            found += [name for name, text in self.files.items() if secret in text]
            if secret in self.console:
                found.append("stdout/stderr")
        return found


def qualify_command(target: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "recqual", "qualify", "--quick", "--target", target, "--out", "run", *extra]


def run_measured(
    cmd: list[str], cwd: Path, *, timeout: float = RUN_LIMIT_S, env: dict[str, str] | None = None
) -> Measured:
    """Run ``cmd`` to its end (killed at ``timeout``), sampling the tree's memory every 50 ms."""
    env = env or _clean_env(RECQUAL_USER=USER, RECQUAL_PASSWORD=PASSWORD)
    stdout, stderr = cwd / "stdout.txt", cwd / "stderr.txt"
    started = time.monotonic()
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, start_new_session=True)
    status, peak_kb, tree = _wait_sampling(process, started + timeout)
    seconds = time.monotonic() - started
    folder = cwd / "run"
    measured = Measured(
        os.waitstatus_to_exitcode(status) if status is not None else -9,
        stdout.read_text(errors="replace"),
        stderr.read_text(errors="replace"),
        seconds,
        peak_kb / 1024,
        tree / 1024 / 1024,
        folder,
    )
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                measured.files[str(path.relative_to(cwd))] = path.read_bytes().decode("utf-8", "replace")
    return measured


def _wait_sampling(process: subprocess.Popen[bytes], deadline: float) -> tuple[int | None, int, int]:
    """``os.wait4`` the child (its rusage holds the peak RSS of it and every child it waited for),
    sampling the live tree's summed RSS meanwhile; kill the whole session at ``deadline``."""
    tree_peak = 0
    root = psutil.Process(process.pid)
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return status, usage.ru_maxrss, tree_peak
        tree_peak = max(tree_peak, _tree_rss(root))
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            _pid, _status, usage = os.wait4(process.pid, 0)
            process.returncode = -9
            return None, usage.ru_maxrss, tree_peak
        time.sleep(0.05)


def _tree_rss(root: psutil.Process) -> int:
    total = 0
    try:
        for proc in [root, *root.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                continue
    except psutil.Error:
        pass
    return total


def excerpt(measured: Measured, fragments: tuple[str, ...]) -> str:
    """The console line that says what the server did (the first with a fragment), shortened."""
    lines = [line for line in measured.console.splitlines() if any(f in line for f in fragments)]
    lines = lines or measured.stderr.strip().splitlines()[-1:]
    if not lines:
        return ""
    text = re.sub(r"http://127\.0\.0\.1:\d+", "<target>", lines[0].strip()).removeprefix("recqual: error: ")
    return text.replace("/fw/Apps/Recorder/WebAPI/", "")[:220]


def wait_port_free(port: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            return True
        time.sleep(0.1)
    return False


def get_json(url: str, path: str) -> object:
    auth = (USER, PASSWORD)
    return httpx.get(url + path, auth=auth, timeout=10).json()

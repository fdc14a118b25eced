"""The embedded emulator: started as a child process on a free loopback port, stopped by its PID.

It runs as `python -m emulator` in its own process, never imported: the suite and the emulator share
nothing but `specs/` (design rule 1), and a separate process is also what a real server is to the
suite. Only the process this module started is ever stopped.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from recqual.errors import TargetError

STARTUP_TIMEOUT_S = 30.0


def free_port() -> int:
    """A loopback port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise TargetError(f"the embedded emulator exited at start-up with code {process.returncode}")
        try:
            if httpx.get(f"{url}/_emulator/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TargetError(f"the embedded emulator did not become healthy within {timeout_s:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the child we started, then kill it if it does not go within five seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextlib.contextmanager
def embedded_emulator(*, db: Path | None = None, log: Path | None = None) -> Iterator[str]:
    """Run the emulator for the duration of the block; yields its base URL (`http://127.0.0.1:PORT`)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # --exit-with-parent: it ends by itself if recqual is killed (kill -9 included), so nothing is orphaned
    command = [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--exit-with-parent", str(os.getpid())]
    if db is not None:
        command += ["--db", str(db)]
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(log.open("ab")) if log is not None else subprocess.DEVNULL
        try:
            # Its own session: a terminal's Ctrl-C must not stop it before the suite has stopped the
            # recordings it started there; the ``finally`` below stops it, by PID, after that.
            process = subprocess.Popen(
                command, stdout=sink, stderr=sink, stdin=subprocess.DEVNULL, start_new_session=True
            )
        except OSError as exc:
            raise TargetError(f"cannot start the embedded emulator: {exc}") from exc
        try:
            wait_healthy(url, process, STARTUP_TIMEOUT_S)
            yield url
        finally:
            stop(process)

"""Robustness figures of the emulator (issue #14), measured over real sockets, with their bounds.

    python benchmarks/robustness_emulator.py [--slow-clients 200]

Prints a Markdown table: the time to refuse a 16 MiB request header and the time of a normal request
beside it; a normal request's latency while 200 slow-loris connections are open and how long until
the server has closed them; what a one-frame MP3 upload answers; how long after ``kill -9`` of
``recqual emulator`` (and of a launcher of ``python -m emulator --exit-with-parent``) the port is free.
``measure()`` returns the same rows, (what, figure, acceptance bound), so another script can merge
them into the README's robustness table.

Every server runs on 127.0.0.1 on a free port; only the processes started here are stopped, by PID
(descendants of a killed launcher are recorded by PID before the kill). It takes about 25 s, most of
it waiting for the slow connections to be dropped.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from recqual.embedded import stop as stop_process

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "emulator"))
from emu_support import HEALTH, exchange, free_port, kill_pids, push, wait_port

ROOT = Path(__file__).resolve().parents[1]
RECORDINGS = "/fw/Apps/Recorder/WebAPI/Recordings"
AUTH = "Basic " + base64.b64encode(b"admin:admin").decode()
Row = tuple[str, str, str]


# --- processes -------------------------------------------------------------------------------------


@contextlib.contextmanager
def emulator() -> Iterator[int]:
    """``python -m emulator`` on a free loopback port for the block; yields the port."""
    port = free_port()
    command = [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--log-level", "warning"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        if wait_port(port, taken=True, within=30) is None:
            raise RuntimeError("the emulator did not listen within 30 s")
        yield port
    finally:
        stop_process(proc)  # the one terminate-then-kill, by PID (recqual/embedded.py)


# --- raw HTTP --------------------------------------------------------------------------------------


def status(answer: bytes) -> int:
    """The status code of a raw answer, 0 when there was none (a figure, not an assertion)."""
    return int(answer[9:12] or 0)


# --- the figures -----------------------------------------------------------------------------------


def big_header_rows(port: int) -> list[Row]:
    big = b"GET /_emulator/health HTTP/1.1\r\nHost: emulator\r\nX-Big: " + b"a" * (16 << 20) + b"\r\n\r\n"
    outcome: list[tuple[bytes, float]] = []
    sending = threading.Event()
    pusher = threading.Thread(target=lambda: outcome.append(push(port, big, sending)))
    pusher.start()
    sending.wait(5)
    answer, normal_s = exchange(port, HEALTH)
    pusher.join(15)
    big_answer, big_s = outcome[0] if outcome else (b"", float("nan"))
    big_status = status(big_answer)
    return [
        ("16 MiB request header", f"{big_status} in {big_s:.3f} s", "400 or 431 within 2 s"),
        ("a normal request beside it", f"{status(answer)} in {normal_s:.3f} s", "answered within 1 s"),
    ]


def slow_loris_rows(port: int, count: int) -> list[Row]:
    """``count`` connections send their head one byte every 2 s; a normal request is timed meanwhile."""
    head = b"GET /_emulator/health HTTP/1.1\r\nHost: emulator\r\nX-Slow: " + b"a" * 200
    socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    opened = time.monotonic()
    latencies: list[float] = []
    closed: dict[int, float] = {}
    step = 0
    try:
        while len(closed) < count and time.monotonic() - opened < 35:
            for i, sock in enumerate(socks):
                if i not in closed:
                    with contextlib.suppress(OSError):
                        sock.send(head[step : step + 1])
            if step % 3 == 1:
                latencies.append(exchange(port, HEALTH, timeout=5)[1])
            step += 1
            until = time.monotonic() + 2
            while (left := until - time.monotonic()) > 0 and len(closed) < count:
                live = [s for i, s in enumerate(socks) if i not in closed]
                for sock in select.select(live, [], [], left)[0]:
                    with contextlib.suppress(OSError):
                        if sock.recv(4096):
                            continue
                    closed[socks.index(sock)] = time.monotonic() - opened
    finally:
        for sock in socks:
            sock.close()
    last = max(closed.values()) if closed else float("nan")
    return [
        (
            f"a normal request, {count} slow-loris connections open",
            f"max {max(latencies):.3f} s over {len(latencies)}",
            "answered within 1 s",
        ),
        ("slow-loris connections closed", f"{len(closed)}/{count} after {last:.1f} s", "within 30 s"),
    ]


def one_frame_mp3_row(port: int) -> Row:
    """MPEG-1 Layer III, 32 kbps, 32 kHz, no padding: exactly one 144-byte frame of silence."""
    import httpx

    frame = bytes((0xFF, 0xFB, 0x18, 0xC0)) + bytes(140)
    meta = {
        "startDateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600)),
        "duration": "PT1S",
        "direction": 1,
        "localParty": {"username": "admin", "phoneNumber": "100"},
        "remoteParty": {"phoneNumber": "+390571000000"},
    }
    files = {
        "jsondata": (None, json.dumps(meta), "application/json"),
        "attachment": ("a.mp3", frame, "audio/mpeg"),
    }
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": AUTH}) as client:
        r = client.post(RECORDINGS, files=files)
        same = r.status_code == 201 and client.get(f"{RECORDINGS}/{r.json()['id']}/Media").content == frame
    figure = f"{r.status_code}, download {'byte-identical' if same else 'DIFFERENT'}"
    return ("one-frame MP3 (144 bytes) upload", figure, "201, download byte-identical")


LAUNCHER = """
import subprocess, sys, time
subprocess.Popen([sys.executable, "-m", "emulator", "--port", sys.argv[1], "--exit-with-parent",
                  "--log-level", "warning"])
time.sleep(120)
"""


def port_free_after_kill_9(command: list[str], port: int) -> str:
    """Start a launcher, SIGKILL it once its port listens, time until the port is free."""
    launcher = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    descendants: list[int] = []
    try:
        if wait_port(port, taken=True, within=30) is None:
            return "never listened"
        descendants = [p.pid for p in psutil.Process(launcher.pid).children(recursive=True)]
        launcher.send_signal(signal.SIGKILL)
        launcher.wait(timeout=5)
        freed = wait_port(port, taken=False, within=10)
        return f"{freed:.2f} s" if freed is not None else "still held after 10 s"
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait(timeout=5)
        kill_pids(descendants)


def kill_rows() -> list[Row]:
    port = free_port()
    direct = port_free_after_kill_9([sys.executable, "-m", "recqual", "emulator", "--port", str(port)], port)
    port = free_port()
    launched = port_free_after_kill_9([sys.executable, "-c", LAUNCHER, str(port)], port)
    return [
        ("port free after kill -9 of `recqual emulator`", direct, "within 5 s"),
        ("port free after kill -9 of a launcher (`--exit-with-parent`)", launched, "within 5 s"),
    ]


def measure(slow_clients: int = 200) -> list[Row]:
    """Every figure as (what, figure, acceptance bound), in the order of the table."""
    with emulator() as port:
        rows = big_header_rows(port)
        rows += slow_loris_rows(port, slow_clients)
        rows.append(one_frame_mp3_row(port))
    return rows + kill_rows()


def markdown(rows: list[Row]) -> str:
    lines = ["| what | measured | acceptance |", "|---|---|---|"]
    lines += [f"| {what} | {figure} | {bound} |" for what, figure, bound in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow-clients", type=int, default=200, help="slow-loris connections (default 200)")
    print(markdown(measure(parser.parse_args().slow_clients)))


if __name__ == "__main__":
    main()

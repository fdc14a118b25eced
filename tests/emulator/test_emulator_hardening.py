"""Emulator hardening (issue #14): head limits, slow clients, no orphan after ``kill -9``, any MPEG audio.

Customers run the emulator in CI, so a hostile or broken client must not hold it, and killing whatever
started it must free its port. Everything here goes over real sockets to real processes started by PID
on a free loopback port, and the bounds are the issue's acceptance criteria, stated once below.
The MPEG frames are built here from the standard's tables, not by the emulator's code.
"""

from __future__ import annotations

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
import pytest
from emu_support import (
    HEALTH,
    RECORDINGS,
    ROOT,
    ServerProcess,
    exchange,
    free_port,
    kill_pids,
    push,
    wait_port,
)

REFUSE_BIG_HEAD_S = 2.0  # a 16 MiB header is refused within
NORMAL_REQUEST_S = 1.0  # a normal request beside the abuse is answered within
SLOW_CLIENT_CLOSED_S = 30.0  # a slow-loris connection is closed within (from its connect)
PORT_FREE_S = 5.0  # after kill -9 of the launcher, the port is free within
SLOW_CLIENTS = 200


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of this module's own: its slow clients must not slow the other tests' server."""
    log = tmp_path_factory.mktemp("hardening") / "server.log"
    proc = ServerProcess.start(log, args=["--log-level", "warning"])
    try:
        yield proc
    finally:
        proc.kill()


# --- raw HTTP ------------------------------------------------------------------------------------


def status_of(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:80]
    return int(answer[9:12])


def get_with_headers(port: int, headers: list[tuple[str, str]]) -> int:
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers)
    request = f"GET /_emulator/health HTTP/1.1\r\n{lines}Connection: close\r\n\r\n".encode()
    return status_of(push(port, request)[0])


# --- request-head limits -------------------------------------------------------------------------


def test_a_16_mib_header_is_refused_while_another_client_is_served(guarded: ServerProcess) -> None:
    big = b"GET /_emulator/health HTTP/1.1\r\nHost: emulator\r\nX-Big: " + b"a" * (16 << 20) + b"\r\n\r\n"
    outcome: dict[str, tuple[bytes, float]] = {}
    sending = threading.Event()
    pusher = threading.Thread(target=lambda: outcome.setdefault("big", push(guarded.port, big, sending)))
    pusher.start()
    try:
        assert sending.wait(5), "the big request never started"
        answer, elapsed = exchange(guarded.port, HEALTH)
    finally:
        pusher.join(15)
    assert status_of(answer) == 200 and elapsed < NORMAL_REQUEST_S, (answer[:40], elapsed)
    big_answer, big_elapsed = outcome["big"]
    assert status_of(big_answer) in (400, 431), big_answer[:200]
    assert big_elapsed < REFUSE_BIG_HEAD_S, big_elapsed
    assert b"connection: close" in big_answer.lower()


def test_head_size_limit_is_16_kib(guarded: ServerProcess) -> None:
    assert get_with_headers(guarded.port, [("Host", "e"), ("X-Fill", "a" * 15_000)]) == 200
    assert get_with_headers(guarded.port, [("Host", "e"), ("X-Fill", "a" * 17_000)]) in (400, 431)
    many_medium = [("Host", "e")] + [(f"X-Fill-{i}", "a" * 1000) for i in range(20)]
    assert get_with_headers(guarded.port, many_medium) in (400, 431)


def test_more_than_100_headers_are_refused(guarded: ServerProcess) -> None:
    # "Connection: close" is the request's last header: 98 + Host + Connection = 100 headers.
    hundred = [("Host", "e")] + [(f"X-{i}", "1") for i in range(98)]
    assert get_with_headers(guarded.port, hundred) == 200
    assert get_with_headers(guarded.port, [*hundred, ("X-One-Too-Many", "1")]) in (400, 431)
    assert get_with_headers(guarded.port, [("Host", "e")] + [(f"X-{i}", "1") for i in range(1000)]) in (
        400,
        431,
    )
    # The refusal is per request: the server serves the next client as before.
    assert status_of(exchange(guarded.port, HEALTH)[0]) == 200


# --- slow clients --------------------------------------------------------------------------------


SLOW_HEAD = b"GET /_emulator/health HTTP/1.1\r\nHost: emulator\r\nX-Slow: " + b"a" * 200
SLOW_BODY_HEAD = (
    b"POST /_emulator/users HTTP/1.1\r\nHost: emulator\r\nContent-Type: application/json\r\n"
    b"Content-Length: 1000\r\n\r\n"
)
SLOW_BODIES = 5


def _open_slow(port: int, heads: int, bodies: int) -> tuple[list[socket.socket], list[float], list[bytes]]:
    """``heads`` connections that will trickle their head, and ``bodies`` that sent a whole head and
    will trickle their body: the sockets, when each was opened, and what each trickles."""
    socks, opened, streams = [], [], []
    for i in range(heads + bodies):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        opened.append(time.monotonic())
        if i >= heads:
            sock.sendall(SLOW_BODY_HEAD)
        sock.setblocking(False)
        socks.append(sock)
        streams.append(SLOW_HEAD if i < heads else b" " * 1000)
    return socks, opened, streams


def _trickle(port: int, heads: int, bodies: int, normal_latencies: list[float]) -> dict[int, float]:
    """Send one byte on every slow connection every 2 s; meanwhile time a normal request now and then.
    Return, per connection, the seconds from its connect to the server's close."""
    socks, opened, streams = _open_slow(port, heads, bodies)
    closed: dict[int, float] = {}
    deadline = opened[0] + SLOW_CLIENT_CLOSED_S + 5
    step = 0
    try:
        while len(closed) < len(socks) and time.monotonic() < deadline:
            for i, sock in enumerate(socks):
                if i not in closed:
                    try:
                        sock.send(streams[i][step : step + 1])
                    except OSError:
                        closed[i] = time.monotonic() - opened[i]
            if step % 3 == 1:
                normal_latencies.append(exchange(port, HEALTH, timeout=5)[1])
            step += 1
            _collect_closed(socks, opened, closed, until=time.monotonic() + 2)
    finally:
        for sock in socks:
            sock.close()
    return closed


def _collect_closed(
    socks: list[socket.socket], opened: list[float], closed: dict[int, float], until: float
) -> None:
    """Wait until ``until``, noting each connection the server closes (EOF or reset) with its age."""
    while (left := until - time.monotonic()) > 0:
        open_socks = [s for i, s in enumerate(socks) if i not in closed]
        if not open_socks:
            return
        readable, _, _ = select.select(open_socks, [], [], left)
        for sock in readable:
            i = socks.index(sock)
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if not data:
                closed[i] = time.monotonic() - opened[i]


def test_slow_clients_are_closed_and_do_not_delay_others(guarded: ServerProcess) -> None:
    """200 slow-loris heads, and a few bodies at 1 byte every 2 s (far under any real upload's rate),
    in one 20-s window to keep the test short."""
    latencies: list[float] = []
    closed = _trickle(guarded.port, SLOW_CLIENTS, SLOW_BODIES, latencies)
    assert latencies and max(latencies) < NORMAL_REQUEST_S, latencies
    heads = [closed[i] for i in range(SLOW_CLIENTS) if i in closed]
    bodies = [closed[i] for i in range(SLOW_CLIENTS, SLOW_CLIENTS + SLOW_BODIES) if i in closed]
    assert len(heads) == SLOW_CLIENTS, f"{SLOW_CLIENTS - len(heads)} slow-loris connections still open"
    assert max(heads) < SLOW_CLIENT_CLOSED_S, sorted(heads)[-5:]
    assert len(bodies) == SLOW_BODIES, f"{SLOW_BODIES - len(bodies)} slow-body connections still open"
    assert max(bodies) < SLOW_CLIENT_CLOSED_S, bodies


# --- no orphan -----------------------------------------------------------------------------------


def test_kill_9_of_recqual_emulator_frees_its_port(tmp_path: Path) -> None:
    port = free_port()
    launcher = subprocess.Popen(
        [sys.executable, "-m", "recqual", "emulator", "--port", str(port), "--db", str(tmp_path / "e.db")],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    descendants: list[int] = []
    try:
        assert wait_port(port, taken=True, within=20) is not None, "recqual emulator never listened"
        descendants = [p.pid for p in psutil.Process(launcher.pid).children(recursive=True)]
        launcher.send_signal(signal.SIGKILL)
        launcher.wait(timeout=5)
        freed = wait_port(port, taken=False, within=PORT_FREE_S)
        assert freed is not None, f"port {port} still held {PORT_FREE_S} s after kill -9 of recqual emulator"
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait(timeout=5)
        kill_pids(descendants)


LAUNCHER = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-m", "emulator", "--port", sys.argv[1], "--exit-with-parent",
                          "--log-level", "warning"])
print(child.pid, flush=True)
time.sleep(120)
"""


def test_exit_with_parent_frees_the_port_after_kill_9_of_the_launcher() -> None:
    """What recqual's own launchers (the embedded emulator) rely on when they cannot exec."""
    port = free_port()
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(port)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    child = 0
    try:
        assert launcher.stdout is not None
        child = int(launcher.stdout.readline())
        assert wait_port(port, taken=True, within=20) is not None, "the emulator never listened"
        launcher.send_signal(signal.SIGKILL)
        launcher.wait(timeout=5)
        freed = wait_port(port, taken=False, within=PORT_FREE_S)
        assert freed is not None, f"port {port} still held {PORT_FREE_S} s after kill -9 of the launcher"
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait(timeout=5)
        if child:
            kill_pids([child])


# --- MPEG audio ----------------------------------------------------------------------------------

# (version bits, layer bits) -> bitrate table in kbps; ISO 11172-3 / 13818-3.
_KBPS = {
    (3, 1): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1 Layer III
    (3, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),  # MPEG-1 Layer II
    (2, 1): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),  # MPEG-2 Layer III
}
_RATE = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000)}


def mpeg_frame(version: int, layer: int, bitrate_index: int, rate_index: int) -> bytes:
    """One silent frame: a header without CRC, then zeros (side info of zeros is digital silence)."""
    kbps, rate = _KBPS[(version, layer)][bitrate_index], _RATE[version][rate_index]
    coefficient = 72 if (version, layer) == (2, 1) else 144
    length = coefficient * kbps * 1000 // rate
    header = bytes((0xFF, 0xE0 | version << 3 | layer << 1 | 1, bitrate_index << 4 | rate_index << 2, 0xC0))
    return header + bytes(length - 4)


ONE_FRAME_MP3 = mpeg_frame(3, 1, 1, 2)  # MPEG-1 Layer III, 32 kbps, 32 kHz: 144 bytes
ID3V2 = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"TIT2\x00\x00\x00\x00\x00\x00"  # an empty-ish v2.4 tag
ID3V1 = b"TAG" + bytes(125)


@pytest.mark.parametrize(
    "audio",
    [
        pytest.param(ONE_FRAME_MP3, id="one-mpeg1-layer3-frame-144-bytes"),
        pytest.param(mpeg_frame(2, 1, 8, 1), id="one-mpeg2-layer3-frame"),
        pytest.param(mpeg_frame(3, 2, 8, 0), id="one-mpeg1-layer2-frame"),
        pytest.param(ID3V2 + ONE_FRAME_MP3, id="id3v2-then-one-frame"),
        pytest.param(ONE_FRAME_MP3 + ID3V1, id="one-frame-then-id3v1"),
        pytest.param(ONE_FRAME_MP3 * 3, id="three-frames"),
    ],
)
def test_any_valid_mpeg_audio_uploads_and_downloads_byte_identical(emu, audio: bytes) -> None:
    assert len(ONE_FRAME_MP3) == 144
    r = emu.upload(audio=audio, ctype="audio/mpeg")
    assert r.status_code == 201, r.text
    media = emu.client().get(f"{RECORDINGS}/{r.json()['id']}/Media")
    assert media.status_code == 200 and media.content == audio


@pytest.mark.parametrize(
    "audio",
    [
        pytest.param(ONE_FRAME_MP3[:100], id="one-frame-cut-short"),
        pytest.param(ONE_FRAME_MP3 + b"\x00junk" * 10, id="one-frame-then-junk"),
        pytest.param(ONE_FRAME_MP3 + mpeg_frame(2, 1, 8, 1), id="frames-of-two-versions"),
        pytest.param(bytes((0xFF, 0xF9, 0x18, 0xC0)) + bytes(140), id="reserved-layer"),
        pytest.param(b"RIFF" + bytes(140), id="not-mpeg"),
    ],
)
def test_what_is_not_mpeg_audio_stays_reason_2(emu, audio: bytes) -> None:
    r = emu.upload(audio=audio, ctype="audio/mpeg")
    assert r.status_code == 400 and r.json()["reason"] == 2, r.text

"""Helpers shared by the emulator's self-tests: server processes, audio files, metadata, instants.

The tests talk to a real ``python -m emulator`` process over HTTP. Nothing here imports the emulator:
expected values are computed independently (instants, audio, hashes), so a shared bug cannot hide.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import lameenc

ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = "/fw/Apps/Recorder/WebAPI/Recordings"
LIVE = "/fw/Apps/Recorder/WebAPI/LiveRecordings"

TICKS = 10_000_000  # 100 ns ticks per second
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


# --- processes -----------------------------------------------------------------------------------


def is_our_emulator(health: object) -> bool:
    """The health answer of this project's emulator, not merely of some server saying "ok"."""
    return (
        isinstance(health, dict)
        and health.get("status") == "ok"
        and health.get("service") == "recqual-emulator"
        and isinstance(health.get("version"), str)
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerProcess:
    """One ``python -m emulator`` child, stopped by its own PID only."""

    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    probe: str = "health"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls,
        log_path: Path,
        *,
        db: Path | None = None,
        users_file: Path | None = None,
        args: Sequence[str] = (),
        probe: str = "health",
    ) -> ServerProcess:
        """Start a server; ``probe="vendor"`` waits for the vendor API instead (no control plane)."""
        port = free_port()
        cmd = [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", str(port)]
        if db is not None:
            cmd += ["--db", str(db)]
        if users_file is not None:
            cmd += ["--users", str(users_file)]
        cmd += list(args)
        log = log_path.open("ab")
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        server = cls(port, proc, log_path, probe)
        server.wait_healthy()
        return server

    def wait_healthy(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"emulator exited with {self.proc.returncode}:\n{self.log_path.read_text()}"
                )
            try:
                if self.probe == "vendor":  # deployed mode: an unauthenticated list is a 401 once up
                    if httpx.get(self.base_url + RECORDINGS, timeout=1.0).status_code == 401:
                        return
                else:
                    r = httpx.get(self.base_url + "/_emulator/health", timeout=1.0, verify=False)
                    if r.status_code == 200 and is_our_emulator(r.json()):
                        return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("emulator did not become healthy in time")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
        self.proc.wait(timeout=20)


# --- instants --------------------------------------------------------------------------------------


HEALTH = b"GET /_emulator/health HTTP/1.1\r\nHost: emulator\r\nConnection: close\r\n\r\n"
"""A raw health request: the hardening tests and benchmarks/robustness_emulator.py time it."""


def exchange(port: int, request: bytes, timeout: float = 10.0) -> tuple[bytes, float]:
    """Send a whole request and read until the server closes: (answer, seconds taken)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer, time.monotonic() - started


def push(port: int, request: bytes, sending: threading.Event | None = None) -> tuple[bytes, float]:
    """Send a request too big to send at once, stopping when the answer arrives: (answer, seconds).

    A server that refuses early may close while the client still sends: a reset after the answer
    was read still counts as that answer.
    """
    started = time.monotonic()
    deadline = started + 10
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setblocking(False)
        sent, answer = 0, b""
        while time.monotonic() < deadline:
            want_write = [sock] if sent < len(request) and not answer else []
            readable, writable, _ = select.select([sock], want_write, [], 0.5)
            if writable:
                try:
                    sent += sock.send(request[sent : sent + 65536])
                except (BrokenPipeError, ConnectionResetError):
                    sent = len(request)
                if sending is not None:
                    sending.set()
            if readable:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    break
                answer += chunk
    return answer, time.monotonic() - started


def port_taken(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_port(port: int, *, taken: bool, within: float) -> float | None:
    """Seconds until a connect attempt finds the loopback port (not) taken; ``None`` past ``within``."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if port_taken(port) is taken:
            return time.monotonic() - started
        time.sleep(0.02)
    return None


def kill_pids(pids: list[int]) -> None:
    """SIGKILL processes the caller started (recorded by PID while their launcher lived); gone ones
    are skipped."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def ticks_of(moment: dt.datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * TICKS + delta.microseconds * 10


def fmt(ticks: int, *, offset_minutes: int = 0, digits: int = 7, zone: str = "Z") -> str:
    """Render ticks as ISO-8601 in a given offset, with a given number of fractional digits."""
    local = ticks + offset_minutes * 60 * TICKS
    secs, frac = divmod(local, TICKS)
    base = (EPOCH + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%S")
    frac_text = f"{frac:07d}"
    assert frac_text[digits:].strip("0") == "", "fraction would be truncated"
    text = base + ("." + frac_text[:digits] if digits else "")
    if offset_minutes:
        sign = "+" if offset_minutes > 0 else "-"
        h, m = divmod(abs(offset_minutes), 60)
        return f"{text}{sign}{h:02d}:{m:02d}"
    return text + zone


def parse_wire_datetime(text: str) -> int:
    """Parse the emulator's output format strictly (7 digits and Z, A-11)."""
    assert len(text) == 28 and text.endswith("Z") and text[19] == ".", text
    whole = dt.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
    return ticks_of(whole) + int(text[20:27])


def duration_ticks(text: str) -> int:
    """Parse the emulator's ``PT#H#M#S`` output (fractional seconds allowed)."""
    assert text.startswith("PT"), text
    rest, total = text[2:], 0
    for unit, scale in (("H", 3600), ("M", 60), ("S", 1)):
        if unit in rest:
            value, rest = rest.split(unit, 1)
            whole, _, frac = value.partition(".")
            total += int(whole) * scale * TICKS + (int(frac.ljust(7, "0")) * scale if frac else 0)
    assert rest == "", text
    return total


# --- audio -----------------------------------------------------------------------------------------


def wav_bytes(
    format_code: int, bits: int, *, channels: int = 1, rate: int = 8000, frames: int = 1600, payload=None
) -> bytes:
    """A RIFF/WAVE file with a given fmt chunk; the samples are a deterministic ramp unless given."""
    align = channels * bits // 8
    if payload is None:
        payload = bytes((i * 7) & 0xFF for i in range(frames * align))
    fmt_chunk = struct.pack("<HHIIHH", format_code, channels, rate, rate * align, align, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt_chunk + b"data" + struct.pack("<I", len(payload))
    body += payload + (b"\0" if len(payload) % 2 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body


def mp3_bytes(seconds: float = 0.3, *, rate: int = 8000, freq: float = 440.0) -> bytes:
    count = int(rate * seconds)
    pcm = struct.pack(
        f"<{count}h", *(int(4000 * math.sin(2 * math.pi * freq * i / rate)) for i in range(count))
    )
    enc = lameenc.Encoder()
    enc.set_bit_rate(32)
    enc.set_in_sample_rate(rate)
    enc.set_channels(1)
    enc.set_quality(7)
    return bytes(enc.encode(pcm) + enc.flush())


def metadata(**overrides: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "startDateTime": fmt(ticks_of(dt.datetime.now(dt.UTC)) - 3600 * TICKS),
        "duration": "PT1M30S",
        "direction": 1,
        "localParty": {"username": "admin", "phoneNumber": "100"},
        "remoteParty": {"phoneNumber": "+390571000000"},
    }
    meta.update(overrides)
    return {k: v for k, v in meta.items() if v is not _DROP}


_DROP = object()
DROP: Any = _DROP
"""Pass as a metadata override to remove that field."""


def upload_files(meta: Any, audio: bytes, content_type: str = "audio/mpeg") -> dict[str, Any]:
    jsondata = meta if isinstance(meta, (bytes, str)) else json.dumps(meta)
    return {"jsondata": (None, jsondata, "application/json"), "attachment": ("a.bin", audio, content_type)}


def raw_multipart(
    parts: list[tuple[list[str], bytes]], boundary: str = "recqual-boundary"
) -> tuple[bytes, str]:
    """A multipart body built by hand, for parts httpx would not produce (no Content-Type, odd names)."""
    out = b""
    for headers, data in parts:
        out += f"--{boundary}\r\n".encode() + "".join(h + "\r\n" for h in headers).encode() + b"\r\n"
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"

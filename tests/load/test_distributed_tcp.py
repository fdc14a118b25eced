"""Across machines: a master and two workers as separate ``python -m load`` processes, sharing a TCP port.

Invariants:

- the master's summary is the merge of its workers: its request count is the sum of what each worker
  says it sent (each worker logs its own totals), and so are the race rounds, with no violation;
- a worker's credentials come from its own target file and environment: the master was given none of
  the worker's, and not one byte the master sends over the wire holds the password (the test relays the
  master's port and reads every byte both ways);
- a master short of workers gives up within its bound (exit 3, a line saying how many joined), and the
  worker that did join ends too: nothing hangs.

Each process has its own working folder and environment; the workers are started before the master (as
a Deployment may), so their wait for the master is exercised too.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from load_support import EmulatorProcess, free_port

RUN_LIMIT_S = 90.0
"""Each process of a run must end within this (the runs last 4 s; start-up and clean-up add the rest)."""
WORKER_LOG_LINE = re.compile(
    r"worker (\d) of (\d) sent (\d+) requests, (\d+) failures; races (\d+) rounds, (\d+) violations"
)


class Relay:
    """A TCP relay in front of the master's port that keeps every byte each way (ZeroMQ over plain TCP)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = upstream_port
        self.port = free_port()
        self.to_workers = bytearray()  # what the master sent
        self.to_master = bytearray()
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.2)
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream), timeout=5)
            except OSError:  # the master is not up yet: the worker's ZeroMQ reconnects
                client.close()
                continue
            upstream.settimeout(None)
            self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, self.to_master), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, self.to_workers), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, seen: bytearray) -> None:
        try:
            while chunk := source.recv(65536):
                with self._lock:
                    seen += chunk
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed.set()
        self._server.close()
        for sock in self._sockets:
            sock.close()


@pytest.fixture
def relay_port() -> Iterator[tuple[int, Relay]]:
    master_port = free_port()
    relay = Relay(master_port)
    try:
        yield master_port, relay
    finally:
        relay.close()


def _user(emulator: EmulatorProcess) -> tuple[str, str]:
    """A level-10 user of the emulator with a fresh password: what the workers (and the master's
    preflight) act as."""
    username, password = f"dist{secrets.token_hex(3)}", f"pw-{secrets.token_hex(12)}"
    status, body = emulator.control(
        "POST",
        "/users",
        {"username": username, "password": password, "level": 10, "firstName": "Dist", "lastName": "Load"},
    )
    assert status == 201, body
    return username, password


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECQUAL_", "LOCUST_"))}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def _start_worker(folder: Path, port: int, username: str, password: str) -> subprocess.Popen:
    """A worker in its own folder: its own target file, whose password is in its own variable."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "worker.toml").write_text(
        f'[credentials.l10]\nusername = "{username}"\npassword_env = "THIS_WORKER_PASSWORD"\n',
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "load", "worker", "--master-host", "127.0.0.1"]
    return subprocess.Popen(
        [*command, "--master-port", str(port), "--target-file", "worker.toml", "--connect-timeout", "60"],
        cwd=folder,
        env=_clean_env(THIS_WORKER_PASSWORD=password),
        stdout=(folder / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _start_master(
    folder: Path, scenario: str, url: str, port: int, users: int, credentials: tuple[str, str], *extra: str
) -> subprocess.Popen:
    """The master in its own folder, with its own target file and password variable."""
    username, password = credentials
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "master.toml").write_text(  # a variable no worker has: a worker reading it could not start
        f'[credentials.l10]\nusername = "{username}"\npassword_env = "MASTER_ONLY_PASSWORD"\n',
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "load", scenario, "--target", url, "--target-file", "master.toml"]
    command += ["--allow-reset"]
    command += ["-u", str(users), "-r", str(users), "-t", "4s", "--out-dir", "out"]
    command += ["--master", "--expect-workers", "2", "--master-bind-host", "127.0.0.1"]
    command += ["--master-bind-port", str(port), *extra]
    return subprocess.Popen(
        command,
        cwd=folder,
        env=_clean_env(MASTER_ONLY_PASSWORD=password),
        stdout=(folder / "master.out").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_all(procs: list[subprocess.Popen], limit: float) -> list[int]:
    """Every process's exit code; any still running after ``limit`` seconds is killed and fails the test."""
    deadline = time.monotonic() + limit
    codes = []
    try:
        for proc in procs:
            codes.append(proc.wait(timeout=max(0.1, deadline - time.monotonic())))
    finally:
        hung = [proc for proc in procs if proc.poll() is None]
        for proc in hung:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=10)
    assert not hung, f"{len(hung)} process(es) still running after {limit:g} s"
    return codes


def _worker_totals(folder: Path) -> tuple[int, ...]:
    """What a worker logged it sent: (index, count, requests, failures, race rounds, violations)."""
    found = WORKER_LOG_LINE.findall((folder / "worker.log").read_text(errors="replace"))
    assert found, (folder / "worker.log").read_text(errors="replace")[-3000:]
    return tuple(int(n) for n in found[-1])


def _run(tmp_path: Path, scenario: str, emulator: EmulatorProcess, ports: tuple[int, Relay], users: int):
    master_port, relay = ports
    username, password = _user(emulator)
    workers = [_start_worker(tmp_path / f"w{i}", relay.port, username, password) for i in range(2)]
    master = _start_master(
        tmp_path / "m",
        scenario,
        emulator.url,
        master_port,
        users,
        (username, password),
        "--",
        "--recqual-think-min",
        "0.02",
        "--recqual-think-max",
        "0.1",
    )
    codes = _wait_all([master, *workers], RUN_LIMIT_S)
    out = (tmp_path / "m" / "master.out").read_text(errors="replace")
    assert codes[0] == 0, out + (tmp_path / "m" / "out" / "locust-master.log").read_text()[-3000:]
    summary = json.loads((tmp_path / "m" / "out" / "summary.json").read_text())
    totals = [_worker_totals(tmp_path / f"w{i}") for i in range(2)]
    wire = bytes(relay.to_workers) + bytes(relay.to_master)
    basic = base64.b64encode(f"{username}:{password}".encode())
    assert b"spawn" in relay.to_workers and b"stats" in relay.to_master  # the relay saw the run
    assert password.encode() not in wire and basic not in wire
    return summary, totals, codes


def test_call_control_across_processes_merges_what_each_worker_sent(
    emulator: EmulatorProcess, relay_port: tuple[int, Relay], tmp_path: Path
) -> None:
    summary, totals, codes = _run(tmp_path, "call-control", emulator, relay_port, users=4)
    assert codes[1:] == [0, 0]
    assert sorted(t[0] for t in totals) == [0, 1] and all(t[1] == 2 for t in totals)
    assert all(t[2] > 0 for t in totals)  # both workers carried load
    assert summary["workers"] == 2
    assert summary["totals"]["requests"] == sum(t[2] for t in totals)
    assert summary["totals"]["failures"] == sum(t[3] for t in totals) == 0
    assert summary["cleanup"]["leftover_live"] == 0 and emulator.live_recordings() == []


def test_races_across_processes_count_every_workers_rounds(
    emulator: EmulatorProcess, relay_port: tuple[int, Relay], tmp_path: Path
) -> None:
    summary, totals, _ = _run(tmp_path, "races", emulator, relay_port, users=6)  # a group of 3 per worker
    rounds = [t[4] for t in totals]
    assert all(n > 0 for n in rounds)  # each worker's group raced
    assert summary["races"]["rounds"] == sum(rounds)
    assert summary["races"]["violations"] == sum(t[5] for t in totals) == 0
    assert summary["totals"]["requests"] == sum(t[2] for t in totals)
    assert summary["exit_code"] == 0 and emulator.live_recordings() == []


def test_a_master_short_of_workers_gives_up_within_its_bound(
    emulator: EmulatorProcess, relay_port: tuple[int, Relay], tmp_path: Path
) -> None:
    master_port, relay = relay_port
    username, password = _user(emulator)
    worker = _start_worker(tmp_path / "w0", relay.port, username, password)
    started = time.monotonic()
    master = _start_master(
        tmp_path / "m",
        "call-control",
        emulator.url,
        master_port,
        2,
        (username, password),
        "--expect-workers-max-wait",
        "20",  # long enough for the one worker to join on a busy machine
    )
    codes = _wait_all([master, worker], 90.0)
    out = (tmp_path / "m" / "master.out").read_text(errors="replace")
    assert codes[0] == 3, out
    assert "1 of 2 workers joined within 20 s" in out and "python -m load worker" in out
    assert time.monotonic() - started < 75


def test_a_worker_without_a_master_gives_up_within_its_bound(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    folder.mkdir()
    started = time.monotonic()
    command = [sys.executable, "-m", "load", "worker", "--master-host", "127.0.0.1"]
    done = subprocess.run(
        [*command, "--master-port", str(free_port()), "--connect-timeout", "3"],
        cwd=folder,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "no Locust master answered at 127.0.0.1" in done.stderr and "within 3 s" in done.stderr
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--expect-workers", "2"], "--expect-workers needs --master"),
        (["--master"], "--master needs --expect-workers N"),
        (["--master", "--expect-workers", "2", "--workers", "2"], "starts no local workers: drop --workers"),
        (["--master", "--expect-workers", "2", "--expect-workers-max-wait", "0"], "must not hang the run"),
    ],
)
def test_a_half_given_master_is_a_usage_error(argv: list[str], said: str, capsys, monkeypatch) -> None:
    from load.__main__ import main

    monkeypatch.setattr("load.runner.preflight_for", lambda *a, **k: pytest.fail("no preflight may run"))
    with pytest.raises(SystemExit) as exited:
        main(["call-control", "--target", "http://127.0.0.1:1", *argv])
    assert exited.value.code == 2 and said in capsys.readouterr().err


def test_the_master_alone_starts_no_worker_and_local_workers_keep_their_own_target_options(tmp_path) -> None:
    from load.runner import MasterPlan, build_commands

    common = {"users": 4, "spawn_rate": 4.0, "run_time": "5s", "out_dir": tmp_path}
    master, workers = build_commands(
        "races", target="http://127.0.0.1:1", master=MasterPlan(3, "0.0.0.0", 5601, 45.0), **common
    )
    joined = " ".join(master)
    assert workers == [] and "--master-bind-host 0.0.0.0 --master-bind-port 5601" in joined
    assert "--expect-workers 3 --expect-workers-max-wait 45" in joined
    target = tmp_path / "lab.toml"
    _, local = build_commands(
        "races", target="http://127.0.0.1:1", target_file=target, tls_verify=False, workers=2, **common
    )
    assert all(
        " ".join(w).endswith(f"--recqual-target-file {target} --recqual-tls-verify false") for w in local
    )

"""Child processes for the kill matrix: the emulator, the fault proxy, a contract run, a load run.

Everything recqual is judged by runs as a separate process, exactly as a user runs it, so a fault can
never be caught (or missed) because of something shared with this test process. Each child gets its
own session; on a hard timeout that session is killed by its process-group id (the one we created),
never by name.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.labs.deployed import ADMIN_PASSWORD, ADMIN_PASSWORD_ENV, LAB_TARGET, SITE

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

CONTRACT_TIMEOUT_S = float(os.environ.get("RECQUAL_FAULT_RUN_TIMEOUT", "900"))
"""Hard limit on one contract --quick run; a stalled suite is a failed kill, never a hung matrix."""
LOAD_TIMEOUT_S = float(os.environ.get("RECQUAL_FAULT_LOAD_TIMEOUT", "240"))
SHRINK = os.environ.get("RECQUAL_FAULT_SHRINK", "") == "1"
"""Run contract exactly as users do (with Hypothesis shrinking); default off, see ``noshrink.py``."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env() -> dict[str, str]:
    """The environment without the caller's RECQUAL_* settings (target, credentials, SLO file), which
    would point the suite elsewhere; this folder's own RECQUAL_FAULT_* knobs are kept."""
    return {
        k: v for k, v in os.environ.items() if not k.startswith("RECQUAL_") or k.startswith("RECQUAL_FAULT_")
    }


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop a child we started (and its own children): SIGTERM to its session, then SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@dataclass
class Service:
    """A server child on a loopback port: the emulator or the fault proxy."""

    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    health_path: str = "/_emulator/health"
    """What answers once the service is up; a deployed emulator has no control plane (404 there)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls,
        name: str,
        args: list[str],
        log_path: Path,
        *,
        port: int,
        timeout: float = 30.0,
        health_path: str = "/_emulator/health",
    ) -> Service:
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                [PYTHON, *args],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_clean_env(),
                start_new_session=True,
            )
        service = cls(name, port, proc, log_path, health_path)
        service._wait_healthy(timeout)
        return service

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status = httpx.get(self.url + self.health_path, timeout=1.0).status_code
                if status == 200 or (status == 401 and self.health_path == LAB_HEALTH):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not become healthy in {timeout:g}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "<no log>"

    def stop(self) -> None:
        _kill_group(self.proc)


LAB_HEALTH = "/fw/Apps/Recorder/WebAPI/Recordings"
"""A lab has no control plane: it is up when the API refuses an anonymous list (401)."""


def start_emulator(workdir: Path, *, lab: bool = False) -> Service:
    """The emulator; ``lab``: in its deployed form (``tests/labs/deployed.py``: no control plane,
    foreign recordings, declared users and standing calls), as a customer's server looks."""
    port = free_port()
    args = ["-m", "emulator", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    if lab:
        args += ["--site", str(SITE)]
    health = LAB_HEALTH if lab else "/_emulator/health"
    return Service.start("emulator", args, workdir / "emulator.log", port=port, health_path=health)


def start_proxy(fault: str, upstream: str, workdir: Path, *, lab: bool = False) -> Service:
    """The fault proxy in front of ``upstream``; ``lab``: the upstream is the deployed emulator, and the
    proxy reads the same site file for the users, levels, lines and standing calls a lab has (it has
    no control plane to learn them from)."""
    port = free_port()
    args = ["-m", "tests.faults.proxy", "--fault", fault, "--upstream", upstream, "--port", str(port)]
    if lab:
        args += ["--site", str(SITE)]
    health = LAB_HEALTH if lab else "/_emulator/health"
    return Service.start(f"proxy[{fault}]", args, workdir / "proxy.log", port=port, health_path=health)


def proxy_status(proxy: Service) -> dict[str, Any]:
    try:
        return httpx.get(proxy.url + "/_faults/status", timeout=5.0).json()
    except (httpx.HTTPError, ValueError):
        return {}


# --------------------------------------------------------------------------------------------- runs


@dataclass
class Run:
    """One finished child run: exit code, its JSON document (if any), how long, and its output."""

    returncode: int | None
    document: dict[str, Any] | None
    duration_s: float
    timed_out: bool
    output_path: Path
    command: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.timed_out or self.returncode != 0

    def output_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.output_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "<no output>"


def _run(
    cmd: list[str], output: Path, document: Path, timeout: float, env: dict[str, str] | None = None
) -> Run:
    started = time.monotonic()
    with output.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env or _clean_env(),
            start_new_session=True,
        )
        try:
            proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(proc)
    doc = None
    if document.is_file():
        try:
            doc = json.loads(document.read_text())
        except ValueError:
            doc = None
    return Run(proc.returncode, doc, time.monotonic() - started, timed_out, output, cmd)


def contract_command(
    target: str, results: Path, seed: int, target_file: Path | None = None, only: tuple[str, ...] = ()
) -> list[str]:
    """The documented way to qualify a server quickly (contract/plugin.py options).

    With ``target_file`` (a lab, ``tests/labs/deployed.py``) the run uses the declared users and
    lines and no control plane, in ``strict`` so its kills compare one for one with an emulator run.
    """
    where = (
        ["--target-file", str(target_file), "--profile", "strict"]
        if target_file is not None
        else ["--target", target, "--allow-reset"]  # the emulator behind the proxy is this harness's own
    )
    return [
        PYTHON,
        "-m",
        "pytest",
        "-p",
        "no:locust",
        "-p",
        "no:cacheprovider",
        "--pyargs",
        "contract",
        *where,
        "--quick",
        f"--hypothesis-seed={seed}",
        "--recqual-results",
        str(results),
        "-q",
        "--no-header",
        "-rfE",
        *([] if SHRINK else ["-p", "tests.faults.noshrink"]),
        *[arg for family in only for arg in ("--only", family)],
    ]


def run_contract(
    target: str,
    workdir: Path,
    seed: int,
    timeout: float = CONTRACT_TIMEOUT_S,
    *,
    lab: bool = False,
    only: tuple[str, ...] = (),
) -> Run:
    """``only``: check families (or ids) to run (``--only``); empty runs the whole suite."""
    results = workdir / "results.json"
    target_file = None
    if lab:
        target_file = workdir / "lab.toml"
        target_file.write_text(LAB_TARGET.format(url=target))
    command = contract_command(target, results, seed, target_file, only)
    return _run(command, workdir / "contract.out", results, timeout, env=_lab_env() if lab else None)


def _lab_env() -> dict[str, str]:
    return {**_clean_env(), ADMIN_PASSWORD_ENV: ADMIN_PASSWORD}


LOAD_SHAPES: dict[str, list[str]] = {
    "races": ["--users", "6", "--spawn-rate", "6", "--run-time", "20s"],
    "reads": ["--users", "8", "--spawn-rate", "4", "--run-time", "20s"],
}
"""Short runs (load/README.md's examples, shortened): long enough for the gates to mean something."""


def load_command(scenario: str, target: str, out_dir: Path) -> list[str]:
    """``python -m load SCENARIO``: its own model and SLO gates decide pass (exit 0) or fail (exit 1).

    ``--allow-reset``: the server is the runner's own emulator (behind the proxy), whose control plane
    sets the scene; without it the load pass treats any server as a lab and needs declared credentials.
    """
    shape = LOAD_SHAPES.get(scenario, ["--users", "6", "--spawn-rate", "6", "--run-time", "20s"])
    return [
        PYTHON,
        "-m",
        "load",
        scenario,
        "--target",
        target,
        "--allow-reset",
        *shape,
        "--out-dir",
        str(out_dir),
    ]


def run_load(scenario: str, target: str, workdir: Path, timeout: float = LOAD_TIMEOUT_S) -> Run:
    out_dir = workdir / f"load-{scenario}"
    return _run(
        load_command(scenario, target, out_dir), workdir / "load.out", out_dir / "summary.json", timeout
    )


def scratch(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"recqual-faults-{prefix}-"))

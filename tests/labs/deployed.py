"""The emulator in its deployed form, and a lab target file for it: a customer's UCX as the suite meets it.

``tests/emulator/sites/lab.toml`` describes the server (no control plane, 90-day retention, 2,000
recordings that were there before us, users of levels 10/2/1/0, two standing calls, a line with no
call); ``LAB_TARGET`` is what a customer's QA team would declare about it. Shared by the end-to-end
lab tests and the fault runner's ``--lab`` mode, so both meet the same server.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "tests" / "emulator" / "sites" / "lab.toml"
ADMIN_PASSWORD_ENV = "LAB_ADMIN_PASSWORD"
ADMIN_PASSWORD = "lab-admin-pw"
SECRETS = ("lab-admin-pw", "lab-base-pw", "lab-agent-pw", "lab-norights-pw")

LAB_TARGET = """\
[target]
url = "{url}"
retention_days = 90
max_rps = 0            # loopback test server: no cap (real labs keep the default of 10)

[credentials.l10]
username = "qual-admin"
password_env = "LAB_ADMIN_PASSWORD"
[credentials.l2]
username = "qual-base"
password = "lab-base-pw"
[credentials.l1]
username = "qual-agent"
password = "lab-agent-pw"
[credentials.l0]
username = "qual-norights"
password = "lab-norights-pw"

[[lines]]
deviceName = "SEP000000000301"
directoryNumber = "301"
role = "l10"
call = "standing"
direction = 2
remoteParty = {{ phoneNumber = "+390212345", firstName = "Ada", lastName = "Rossi" }}

[[lines]]
deviceName = "SEP000000000302"
directoryNumber = "302"
role = "l1"

[[lines]]
deviceName = "SEP000000000999"
directoryNumber = "999"
role = "l2"
call = "none"

[[lines]]
deviceName = "SEP000000000303"
directoryNumber = "303"
role = "l0"
call = "none"
"""

_ACCESS = re.compile(r'"(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) (\S+) HTTP/')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DeployedEmulator:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def requests(self, since: int = 0) -> Counter[str]:
        """Requests the server received after byte ``since`` of its access log, by method."""
        text = self.log.read_bytes()[since:].decode("utf-8", errors="replace")
        return Counter(match.group(1) for match in _ACCESS.finditer(text))

    def log_size(self) -> int:
        return self.log.stat().st_size

    def write_target(self, folder: Path, name: str = "lab.toml", url: str | None = None) -> Path:
        path = folder / name
        path.write_text(LAB_TARGET.format(url=url or self.url))
        return path


@contextlib.contextmanager
def deployed_emulator(workdir: Path, *, site: Path = SITE) -> Iterator[DeployedEmulator]:
    """Start ``python -m emulator --site`` on a free port; stop it (by its PID) at the end."""
    port = free_port()
    log = workdir / "deployed-emulator.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "--port", str(port), "--site", str(site)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the deployed emulator exited: {log.read_text(errors='replace')[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/fw/Apps/Recorder/WebAPI/Recordings", timeout=1).status_code == 401:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the deployed emulator did not answer within 30 s")
            time.sleep(0.1)
        yield DeployedEmulator(url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def lab_environment() -> dict[str, str]:
    """The environment a customer's CI job would have: the admin password, no RECQUAL_* leftovers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECQUAL_")}
    env[ADMIN_PASSWORD_ENV] = ADMIN_PASSWORD
    return env

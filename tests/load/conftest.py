"""Fixtures for the load tests: one emulator subprocess per session on a free loopback port.

Every test runs Locust as a subprocess through ``load.runner.run`` or ``python -m load`` (never in this
process: importing locust would gevent-patch pytest). Runs are a few seconds with a handful of users: this
is a small shared machine. Runs that set their own scene through the emulator's control plane pass
``allow_reset=True`` (``--allow-reset``); without it the load treats the emulator as any lab server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from load_support import EmulatorProcess, Proxy


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    proc = EmulatorProcess(tmp_path_factory.mktemp("load-emulator") / "emulator.log")
    try:
        yield proc
    finally:
        proc.kill()


@pytest.fixture
def cheating_proxy(emulator: EmulatorProcess) -> Iterator[Proxy]:
    """In front of the emulator: turns the first racing start's 429 into a second 201."""
    proxy = Proxy(emulator.url, rewrite_first_429=True)
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture(scope="module")
def guarded_emulator(emulator: EmulatorProcess) -> Iterator[Proxy]:
    """In front of the emulator: its health still proves it, any other control-plane request is refused
    (403) and recorded: a lab-style run must send none."""
    proxy = Proxy(emulator.url, guard_control_plane=True)
    try:
        yield proxy
    finally:
        proxy.close()

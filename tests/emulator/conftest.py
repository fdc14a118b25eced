"""Fixtures for the emulator's self-tests: one real server process per session, reset before each test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from emu_support import LIVE, RECORDINGS, ServerProcess, metadata, mp3_bytes, upload_files


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    log = tmp_path_factory.mktemp("emulator") / "server.log"
    proc = ServerProcess.start(log)
    try:
        yield proc
    finally:
        proc.kill()


@pytest.fixture(scope="session")
def small_mp3() -> bytes:
    return mp3_bytes(0.3)


class Emu:
    """One test's view of the server: the control plane plus vendor clients per user."""

    def __init__(self, base_url: str, small_mp3: bytes) -> None:
        self.base_url = base_url
        # verify=False: plain HTTP anyway, and it spares ~60 ms of CA loading per client.
        self.ctl = httpx.Client(base_url=base_url + "/_emulator", timeout=30, verify=False)
        self.small_mp3 = small_mp3
        self._clients: dict[tuple[str | None, str], httpx.Client] = {}
        self._n = 0

    def close(self) -> None:
        for c in self._clients.values():
            c.close()
        self.ctl.close()

    # vendor clients

    def client(self, username: str | None = "admin", password: str = "admin") -> httpx.Client:
        key = (username, password)
        if key not in self._clients:
            auth = (username, password) if username is not None else None
            self._clients[key] = httpx.Client(base_url=self.base_url, auth=auth, timeout=30, verify=False)
        return self._clients[key]

    def user(
        self, level: int, *, username: str | None = None, password: str = "pw", **fields: Any
    ) -> httpx.Client:
        """Create a user on the control plane and return a client authenticated as them."""
        self._n += 1
        username = username or f"user{self._n}"
        body = {"username": username, "password": password, "level": level, **fields}
        r = self.ctl.post("/users", json=body)
        assert r.status_code == 201, r.text
        return self.client(username, password)

    # control plane

    def call(self, device: str, dn: str, **kw: Any) -> str:
        r = self.ctl.post("/calls", json={"deviceName": device, "directoryNumber": dn, **kw})
        assert r.status_code == 201, r.text
        return r.json()["callId"]

    def hang_up(self, call_id: str) -> None:
        r = self.ctl.delete(f"/calls/{call_id}")
        assert r.status_code == 204, r.text

    def settings(self, **kw: Any) -> dict[str, Any]:
        r = self.ctl.put("/settings", json=kw)
        assert r.status_code == 200, r.text
        return r.json()

    # vendor shortcuts

    def upload(
        self,
        client: httpx.Client | None = None,
        audio: bytes | None = None,
        ctype: str = "audio/mpeg",
        **meta: Any,
    ) -> httpx.Response:
        client = client or self.client()
        files = upload_files(metadata(**meta), self.small_mp3 if audio is None else audio, ctype)
        return client.post(RECORDINGS, files=files)

    def uploaded(self, client: httpx.Client | None = None, **meta: Any) -> str:
        r = self.upload(client, **meta)
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def start(self, client: httpx.Client | None = None, body: Any = None) -> httpx.Response:
        client = client or self.client()
        content = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        return client.post(
            LIVE, content=content, headers={"Content-Type": "application/json"} if content else {}
        )


@pytest.fixture
def emu(server: ServerProcess, small_mp3: bytes) -> Iterator[Emu]:
    e = Emu(server.base_url, small_mp3)
    r = e.ctl.post("/reset")
    assert r.status_code == 204
    try:
        yield e
    finally:
        e.close()

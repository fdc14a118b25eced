"""The proxy as a real process on real sockets (seconds, not minutes).

Invariant: with ``--fault none`` an exchange through the proxy equals the same exchange sent to the
emulator directly (status, content type, body, and the bytes of /Media); ``stall`` holds a connection
open without answering until the client gives up; ``reset`` breaks an answer mid-body.
"""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path

import httpx
import pytest

from .harness import Service, start_emulator, start_proxy
from .ops import LIVE, RECORDINGS


def proxied(fault: str, emulator: Service, workdir: Path) -> Service:
    return start_proxy(fault, emulator.url, workdir)


def tiny_wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x01" * 1600)
    return buffer.getvalue()


def upload(base: str) -> str:
    meta = json.dumps(
        {
            "startDateTime": "2024-03-01T10:00:00Z",
            "duration": "PT1S",
            "direction": 1,
            "localParty": {"username": "admin", "phoneNumber": "100"},
            "remoteParty": {"phoneNumber": "+39;x\\y"},
            "notes": "hello",
        }
    )
    files = {"jsondata": (None, meta, "application/json"), "attachment": ("a.wav", tiny_wav(), "audio/wav")}
    resp = httpx.post(base + RECORDINGS, files=files, auth=("admin", "admin"), timeout=10)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def test_transparent_proxy_equals_the_emulator(emulator: Service, tmp_path: Path) -> None:
    proxy = proxied("none", emulator, tmp_path)
    try:
        rid = upload(proxy.url)
        requests = [
            ("GET", f"{RECORDINGS}/{rid}", None),
            ("GET", f"{RECORDINGS}/{rid}/Media", None),
            ("GET", RECORDINGS, {"remoteParty": "contains:+39\\;x", "pageSize": "1"}),
            ("GET", RECORDINGS, {"startTime": "between:x"}),
            ("GET", RECORDINGS, {"page": "-1", "pageSize": "1"}),
            ("GET", LIVE + "/Mine", None),
            ("DELETE", f"{LIVE}/{rid}", None),
            ("PUT", LIVE + "/Pause", None),
        ]
        for method, path, params in requests:
            direct = httpx.request(
                method, emulator.url + path, params=params, auth=("admin", "admin"), timeout=10
            )
            via = httpx.request(method, proxy.url + path, params=params, auth=("admin", "admin"), timeout=10)
            assert (via.status_code, via.headers.get("content-type"), via.content) == (
                direct.status_code,
                direct.headers.get("content-type"),
                direct.content,
            ), f"{method} {path} {params}"
        no_auth = httpx.get(proxy.url + RECORDINGS, timeout=10)
        assert no_auth.status_code == 401 and no_auth.headers.get("www-authenticate")
    finally:
        proxy.stop()


def test_stall_holds_the_connection(emulator: Service, tmp_path: Path) -> None:
    proxy = proxied("stall", emulator, tmp_path)
    try:
        rid = upload(proxy.url)
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{proxy.url}{RECORDINGS}/{rid}", auth=("admin", "admin"), timeout=1.0)
        assert httpx.get(proxy.url + "/_faults/status", timeout=5).json()["fired"] == 1
    finally:
        proxy.stop()


def test_reset_breaks_the_answer_mid_body(emulator: Service, tmp_path: Path) -> None:
    proxy = proxied("reset", emulator, tmp_path)
    try:
        rid = upload(proxy.url)
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(f"{proxy.url}{RECORDINGS}/{rid}/Media", auth=("admin", "admin"), timeout=5.0)
        assert (
            httpx.get(f"{proxy.url}{RECORDINGS}/{rid}", auth=("admin", "admin"), timeout=5).status_code == 200
        )
    finally:
        proxy.stop()


def test_a_proxy_in_front_of_a_lab_knows_its_users(tmp_path: Path) -> None:
    """``--site``: in front of the deployed emulator (no control plane) the proxy still knows who is a
    level-2 user, so level2-sees-all fires on a lab as it does on the emulator."""
    lab = start_emulator(tmp_path, lab=True)
    try:
        proxy = start_proxy("level2-sees-all", lab.url, tmp_path, lab=True)
        try:
            base = httpx.get(proxy.url + RECORDINGS, auth=("qual-base", "lab-base-pw"), timeout=30)
            admin = httpx.get(lab.url + RECORDINGS, auth=("qual-admin", "lab-admin-pw"), timeout=30)
            assert base.status_code == admin.status_code == 200
            assert base.json()["totalCount"] == admin.json()["totalCount"] >= 2000
            assert httpx.get(proxy.url + "/_faults/status", timeout=5).json()["fired"] == 1
        finally:
            proxy.stop()
    finally:
        lab.stop()

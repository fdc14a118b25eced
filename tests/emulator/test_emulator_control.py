"""The ``/_emulator`` control plane (reference section 7) and the app's generic HTTP behaviour.

Invariant: the control plane sets the scene exactly as section 7 says, a reset restores the start
state, and settings change what the vendor API answers (licence, channels, retention, latency).
"""

from __future__ import annotations

import time
from importlib import metadata

import pytest
from emu_support import LIVE, RECORDINGS

DEFAULTS = {"licenseValid": True, "channels": 30, "retentionDays": 3650, "latencyMs": 0}


def test_health_names_the_emulator(emu):
    """`status: ok` is what any server may say; `service` and `version` prove it is this emulator."""
    r = emu.ctl.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"status", "service", "version"}
    assert body["status"] == "ok" and body["service"] == "recqual-emulator"
    assert isinstance(body["version"], str) and body["version"]
    assert body["version"] == metadata.version("recqual")


def test_settings_defaults_and_partial_updates(emu):
    assert emu.ctl.put("/settings", json={}).json() == DEFAULTS
    assert emu.settings(channels=5) == {**DEFAULTS, "channels": 5}
    assert emu.settings(licenseValid=False, retentionDays=0) == {
        **DEFAULTS,
        "channels": 5,
        "licenseValid": False,
        "retentionDays": 0,
    }


@pytest.mark.parametrize(
    "body",
    [
        {"licenseValid": "yes"},
        {"licenseValid": 1},
        {"channels": -1},
        {"channels": "3"},
        {"channels": 2.5},
        {"channels": True},
        {"retentionDays": -5},
        {"latencyMs": -1},
        {"latencyMs": None},
        [],
        "x",
        None,
    ],
)
def test_invalid_settings_are_400_and_change_nothing(emu, body):
    emu.settings(channels=7)
    r = emu.ctl.put("/settings", json=body)
    assert r.status_code == 400 and isinstance(r.json()["message"], str)
    assert emu.ctl.put("/settings", json={}).json() == {**DEFAULTS, "channels": 7}


def test_settings_body_that_is_not_json_is_400(emu):
    r = emu.ctl.put("/settings", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_latency_delays_the_vendor_api_only(emu):
    admin = emu.client()
    admin.get(RECORDINGS)  # warm the connection and credential cache
    emu.settings(latencyMs=300)
    started = time.monotonic()
    assert admin.get(RECORDINGS).status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert emu.client(None).get(LIVE).status_code == 401  # refusals are delayed too
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    emu.ctl.get("/health")
    emu.ctl.get("/calls")
    assert time.monotonic() - started < 0.3


def test_calls(emu):
    a = emu.call(
        "SEP1",
        "1",
        username="admin",
        direction=2,
        remoteParty={"phoneNumber": "+1", "firstName": "F"},
        monitorable=False,
    )
    b = emu.call("SEP000000000100", "100", autoRecord=True)
    listed = emu.ctl.get("/calls").json()
    assert [c["callId"] for c in listed] == [a, b]
    assert listed[0] == {
        "callId": a,
        "deviceName": "SEP1",
        "directoryNumber": "1",
        "username": "admin",
        "direction": 2,
        "remoteParty": {"phoneNumber": "+1", "firstName": "F", "lastName": ""},
        "monitorable": False,
        "autoRecord": False,
    }
    assert listed[1]["username"] == "admin"  # resolved from the line (admin's extension)
    assert listed[1]["autoRecord"] is True
    r = emu.ctl.post("/calls", json={"deviceName": "SEP1", "directoryNumber": "1"})
    assert r.status_code == 409
    emu.call("SEP1", "2")  # same device, another line: fine
    emu.hang_up(a)
    assert emu.ctl.delete(f"/calls/{a}").status_code == 404
    assert emu.ctl.delete("/calls/nonsense").status_code == 404
    emu.call("SEP1", "1")  # free again after the hang-up


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"deviceName": "SEP1"},
        {"directoryNumber": "1"},
        {"deviceName": "", "directoryNumber": "1"},
        {"deviceName": 1, "directoryNumber": "1"},
        {"deviceName": "S", "directoryNumber": "1", "direction": 3},
        {"deviceName": "S", "directoryNumber": "1", "direction": "1"},
        {"deviceName": "S", "directoryNumber": "1", "remoteParty": {}},
        {"deviceName": "S", "directoryNumber": "1", "remoteParty": "x"},
        {"deviceName": "S", "directoryNumber": "1", "monitorable": "no"},
        {"deviceName": "S", "directoryNumber": "1", "autoRecord": 1},
        {"deviceName": "S", "directoryNumber": "1", "username": 5},
        [],
        None,
    ],
)
def test_invalid_call_setup_is_400(emu, body):
    assert emu.ctl.post("/calls", json=body).status_code == 400
    assert emu.ctl.get("/calls").json() == []


def test_users(emu):
    body = {
        "username": "Zed",
        "password": "s3cret",
        "level": 2,
        "extension": "77",
        "deviceName": "SEP77",
        "numericUserId": "9",
        "firstName": "Z",
        "lastName": "Ed",
        "group": "g",
        "department": "d",
    }
    r = emu.ctl.post("/users", json=body)
    assert r.status_code == 201
    assert "password" not in r.json()
    assert emu.ctl.post("/users", json=body).status_code == 409
    assert emu.ctl.post("/users", json={**body, "username": "zed"}).status_code == 409
    assert emu.ctl.post("/users", json={**body, "username": "admin"}).status_code == 409
    assert emu.client("Zed", "s3cret").get(RECORDINGS).status_code == 200
    assert emu.client("Zed", "wrong").get(RECORDINGS).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"password": "p", "level": 1},
        {"username": "", "password": "p", "level": 1},
        {"username": "a:b", "password": "p", "level": 1},
        {"username": "u", "level": 1},
        {"username": "u", "password": "p"},
        {"username": "u", "password": "p", "level": 5},
        {"username": "u", "password": "p", "level": "10"},
        {"username": "u", "password": "p", "level": 1, "extension": 100},
        "u",
        None,
    ],
)
def test_invalid_user_is_400(emu, body):
    assert emu.ctl.post("/users", json=body).status_code == 400


def test_reset_restores_the_start_state(emu):
    emu.user(10, username="temp")
    emu.settings(channels=1, licenseValid=False)
    emu.settings(licenseValid=True)
    emu.uploaded()
    emu.call("SEP000000000100", "100")
    emu.start()
    assert emu.ctl.post("/reset").status_code == 204
    assert emu.ctl.put("/settings", json={}).json() == DEFAULTS
    assert emu.ctl.get("/calls").json() == []
    admin = emu.client()
    assert admin.get(RECORDINGS).json() == {"totalCount": 0, "recordings": []}
    assert admin.get(LIVE).json() == []
    assert emu.client("temp", "pw").get(RECORDINGS).status_code == 401  # created since start: gone
    # Seeded admin keeps its line.
    emu.call("SEP000000000100", "100")
    assert emu.start().status_code == 201


def test_unknown_paths_are_json_404(emu):
    admin = emu.client()
    for path in (
        "/nope",
        "/fw/Apps/Recorder/WebAPI/recordings",
        "/fw/Apps/Recorder/WebAPI/Recordings//",
        "/_emulator/unknown",
    ):
        r = admin.get(path)
        assert r.status_code == 404, path
        assert isinstance(r.json()["message"], str)


def test_wrong_methods_are_405_with_allow(emu):
    admin = emu.client()
    r = admin.patch(RECORDINGS)
    assert r.status_code == 405
    assert set(r.headers["allow"].split(", ")) >= {"GET", "POST"}
    r = admin.put(LIVE)
    assert set(r.headers["allow"].split(", ")) >= {"GET", "POST", "DELETE"}
    assert admin.post(RECORDINGS + "/0d4f2c1e-1111-4222-8333-444455556666").status_code == 405
    assert emu.ctl.get("/reset").status_code == 405

"""LiveRecordings over HTTP: the start/pause/resume/stop state machine and its documented answers
(reference 2.3, A-7, A-8, A-16..A-18), including the race of concurrent starts.

Invariant: a call has at most one live recording; 409 means "nothing to act on", 429 means "already in
that state"; a stopped or hung-up recording leaves the live list at once and is a completed recording
whose duration is the recorded (unpaused) time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
import uuid

import httpx
import pytest
from emu_support import LIVE, RECORDINGS, TICKS, duration_ticks, parse_wire_datetime, ticks_of

ADMIN_DEV, ADMIN_DN = "SEP000000000100", "100"


def _now() -> int:
    return ticks_of(dt.datetime.now(dt.UTC))


def _reason(r: httpx.Response) -> int:
    assert r.status_code == 400, r.text
    assert isinstance(r.json()["message"], str)
    return r.json()["reason"]


def _started(emu, body=None, client=None) -> str:
    r = emu.start(client, body)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert rid == str(uuid.UUID(rid))
    return rid


def _live_ids(emu) -> list[str]:
    return [x["id"] for x in emu.client().get(LIVE).json()]


# --- start ---------------------------------------------------------------------------------------


def test_start_without_body_records_the_callers_own_line(emu):
    emu.call(
        ADMIN_DEV,
        ADMIN_DN,
        direction=1,
        remoteParty={"phoneNumber": "+39055", "firstName": "Ada", "lastName": "Byron"},
    )
    before = _now()
    rid = _started(emu)
    after = _now()
    (item,) = emu.client().get(LIVE).json()
    assert item["id"] == rid
    assert item["localParty"] == {"username": "admin"}
    assert item["remoteParty"] == {"firstName": "Ada", "lastName": "Byron", "phoneNumber": "+39055"}
    assert item["isPaused"] is False
    assert before - TICKS <= parse_wire_datetime(item["startedAt"]) <= after + TICKS
    assert duration_ticks(item["duration"]) >= 0


@pytest.mark.parametrize(
    "body",
    [
        {"directoryNumber": "200"},
        {"deviceName": "SEP200"},
        {"deviceName": "SEP200", "directoryNumber": "200"},
        {"directoryNumber": "200", "mode": 1},
        {"directoryNumber": "200", "mode": 0, "extra": True},
    ],
)
def test_start_by_line(emu, body):
    emu.user(2, username="u200", extension="200", deviceName="SEP200")
    emu.call("SEP200", "200")
    rid = _started(emu, body)
    assert _live_ids(emu) == [rid]
    assert emu.client().get(LIVE).json()[0]["localParty"] == {"username": "u200"}


def test_start_400_reasons(emu):
    emu.user(10, username="noext")  # no extension
    noext = emu.client("noext", "pw")
    emu.call("SEP200", "200", username="admin")
    emu.call("SEP201", "201", username="admin", monitorable=False)
    emu.call("SEP202", "202", username="admin", autoRecord=True)
    assert _reason(emu.start(noext)) == 3
    for bad_json in (b"{", b"[1]", b'"x"', b"null", b"\xff\xfe", b'{"deviceName": "\\ud800"}'):
        assert _reason(emu.start(body=bad_json)) == 0
    for neither in ({}, {"mode": 1}, {"deviceName": "", "directoryNumber": ""}, {"deviceName": None}):
        assert _reason(emu.start(body=neither)) == 0
    assert _reason(emu.start(body={"deviceName": 7})) == 0
    for mode in (2, -1, "0", None, True, 1.0):
        assert _reason(emu.start(body={"directoryNumber": "200", "mode": mode})) == 2
    r = emu.start(body={"deviceName": "SEPUNKNOWN"})
    assert _reason(r) == 1 and r.json()["deviceName"] == "SEPUNKNOWN"
    r = emu.start(body={"directoryNumber": "999"})
    assert _reason(r) == 1 and r.json()["deviceName"] == ""
    r = emu.start(body={"deviceName": "SEP200", "directoryNumber": "201"})  # both known, never together
    assert _reason(r) == 1
    r = emu.start(body={"directoryNumber": "201"})
    assert _reason(r) == 1 and r.json()["deviceName"] == "SEP201"  # not monitorable
    assert _reason(emu.start(body={"deviceName": "SEP202"})) == 4  # automatic recording
    assert len(_live_ids(emu)) == 1  # only the automatic one


def test_start_409_no_call_and_no_user(emu):
    assert emu.start().status_code == 409  # admin's line is known (extension) but has no call
    call = emu.call("SEP300", "300")  # a line nobody owns, no user in the set-up
    r = emu.start(body={"directoryNumber": "300"})
    assert r.status_code == 409 and isinstance(r.json()["message"], str)
    emu.hang_up(call)
    # The line carried a call since the reset, so it still exists: 409, not 400.
    assert emu.start(body={"deviceName": "SEP300"}).status_code == 409
    emu.ctl.post("/reset")
    assert _reason(emu.start(body={"deviceName": "SEP300"})) == 1


def test_start_429_when_already_recorded(emu):
    emu.call(ADMIN_DEV, ADMIN_DN)
    rid = _started(emu)
    r = emu.start()
    assert r.status_code == 429 and isinstance(r.json()["message"], str)
    emu.client().put(f"{LIVE}/{rid}/Pause")
    assert emu.start(body={"directoryNumber": ADMIN_DN}).status_code == 429  # paused is still recorded
    assert _live_ids(emu) == [rid]


def test_start_501_licence_and_503_channels(emu):
    for i in range(3):
        emu.call(f"SEP4{i}", f"4{i}", username="admin")
    emu.settings(licenseValid=False)
    assert emu.start(body={"directoryNumber": "40"}).status_code == 501
    emu.settings(licenseValid=True, channels=2)
    _started(emu, {"directoryNumber": "40"})
    _started(emu, {"directoryNumber": "41"})
    r = emu.start(body={"directoryNumber": "42"})
    assert r.status_code == 503 and isinstance(r.json()["message"], str)
    emu.client().put(f"{LIVE}/Pause", params={"directoryNumber": "40"})
    assert emu.start(body={"directoryNumber": "42"}).status_code == 503  # paused recordings hold a channel
    emu.client().delete(LIVE, params={"directoryNumber": "40"})
    _started(emu, {"directoryNumber": "42"})


def test_oldest_connected_call_is_chosen_for_a_dn(emu):
    emu.call("SEPB", "500", username="admin", remoteParty={"phoneNumber": "first"})
    emu.call("SEPA", "500", username="admin", remoteParty={"phoneNumber": "second"})
    _started(emu, {"directoryNumber": "500"})
    assert emu.client().get(LIVE).json()[0]["remoteParty"]["phoneNumber"] == "first"
    _started(emu, {"deviceName": "SEPA", "directoryNumber": "500"})
    assert emu.start(body={"directoryNumber": "500"}).status_code == 429


# --- stop ----------------------------------------------------------------------------------------


def test_stop_by_id_turns_the_recording_into_a_completed_one(emu):
    emu.user(2, username="carol", extension="600", deviceName="SEP600", firstName="Carol")
    emu.call("SEP600", "600", direction=2, remoteParty={"phoneNumber": "+44 20"})
    rid = _started(emu, {"deviceName": "SEP600"})
    started_at = parse_wire_datetime(emu.client().get(LIVE).json()[0]["startedAt"])
    time.sleep(0.3)
    admin = emu.client()
    assert admin.delete(f"{LIVE}/{rid.upper()}").status_code == 204
    assert _live_ids(emu) == []
    detail = admin.get(f"{RECORDINGS}/{rid}").json()
    assert detail["owner"]["username"] == "carol" and detail["owner"]["firstName"] == "Carol"
    assert parse_wire_datetime(detail["startTime"]) == started_at
    assert detail["direction"] == 2
    assert detail["localPartyNumber"] == "600"
    assert detail["remotePartyNumber"] == "+44 20"
    assert 0.3 * TICKS <= duration_ticks(detail["duration"]) < 5 * TICKS
    media = admin.get(f"{RECORDINGS}/{rid}/Media")
    assert media.status_code == 200 and media.headers["content-type"] == "audio/mpeg"
    assert detail["size"] == len(media.content) > 0
    assert detail["hash"]["value"] == hashlib.sha256(media.content).hexdigest()
    listed = admin.get(RECORDINGS, params={"ownerUsername": "carol"}).json()
    assert [x["id"] for x in listed["recordings"]] == [rid]
    assert admin.delete(f"{LIVE}/{rid}").status_code == 409  # no longer live


def test_stop_by_id_errors(emu):
    admin = emu.client()
    assert _reason(admin.delete(f"{LIVE}/not-a-guid")) == 0
    assert admin.delete(f"{LIVE}/{uuid.uuid4()}").status_code == 409
    emu.call("SEP700", "700", username="admin", autoRecord=True)
    (auto,) = _live_ids(emu)
    assert _reason(admin.delete(f"{LIVE}/{auto}")) == 2
    assert _live_ids(emu) == [auto]


def test_stop_by_line(emu):
    admin = emu.client()
    assert _reason(admin.delete(LIVE)) == 0
    assert _reason(admin.delete(LIVE, params={"deviceName": "", "directoryNumber": ""})) == 0
    r = admin.delete(LIVE, params={"deviceName": "SEPNOPE"})
    assert _reason(r) == 1 and r.json()["deviceName"] == "SEPNOPE"
    assert admin.delete(LIVE, params={"directoryNumber": ADMIN_DN}).status_code == 409  # known, no recording
    emu.call("SEP800", "800", username="admin")
    emu.call("SEP801", "800", username="admin")
    emu.call("SEP802", "802", username="admin")
    a = _started(emu, {"deviceName": "SEP800"})
    b = _started(emu, {"deviceName": "SEP801"})
    c = _started(emu, {"deviceName": "SEP802"})
    admin.put(f"{LIVE}/{b}/Pause")
    assert admin.delete(LIVE, params={"directoryNumber": "800"}).status_code == 204  # both calls of DN 800
    assert _live_ids(emu) == [c]
    assert {x["id"] for x in admin.get(RECORDINGS).json()["recordings"]} == {a, b}
    assert admin.delete(LIVE, params={"deviceName": "SEP802", "directoryNumber": "802"}).status_code == 204
    assert admin.delete(LIVE, params={"deviceName": "SEP802"}).status_code == 409
    emu.call("SEP803", "803", username="admin", autoRecord=True)
    assert _reason(admin.delete(LIVE, params={"deviceName": "SEP803"})) == 4


def test_stop_mine(emu):
    admin = emu.client()
    assert admin.delete(LIVE + "/Mine").status_code == 409
    emu.call(ADMIN_DEV, ADMIN_DN)
    emu.call("SEP900", "900", username="admin")  # not admin's line, but admin is its user
    emu.call("SEP901", "901")  # nobody's
    emu.user(10, username="other", extension="902")
    emu.call("SEP902", "902")
    mine_a = _started(emu)
    mine_b = _started(emu, {"directoryNumber": "900"})
    theirs = _started(emu, {"directoryNumber": "902"})
    assert {x["id"] for x in admin.get(LIVE + "/Mine").json()} == {mine_a, mine_b}
    assert admin.delete(LIVE + "/Mine").status_code == 204
    assert _live_ids(emu) == [theirs]
    assert admin.delete(LIVE + "/Mine").status_code == 409


def test_stop_mine_of_automatic_recordings_only_is_reason_4(emu):
    emu.call(ADMIN_DEV, ADMIN_DN, autoRecord=True)
    assert _reason(emu.client().delete(LIVE + "/Mine")) == 4


# --- pause / resume --------------------------------------------------------------------------------


def test_pause_resume_by_id_and_duration_excludes_pauses(emu):
    admin = emu.client()
    emu.call(ADMIN_DEV, ADMIN_DN)
    rid = _started(emu)
    time.sleep(0.2)
    assert admin.put(f"{LIVE}/{rid}/Pause").status_code == 204
    assert admin.put(f"{LIVE}/{rid}/Pause").status_code == 429
    paused_1 = duration_ticks(admin.get(LIVE).json()[0]["duration"])
    assert admin.get(LIVE).json()[0]["isPaused"] is True
    time.sleep(0.6)
    paused_2 = duration_ticks(admin.get(LIVE).json()[0]["duration"])
    assert paused_1 == paused_2 >= 0.2 * TICKS  # frozen while paused
    assert admin.put(f"{LIVE}/{rid.upper()}/Resume").status_code == 204
    assert admin.put(f"{LIVE}/{rid}/Resume").status_code == 429
    time.sleep(0.2)
    running = duration_ticks(admin.get(LIVE).json()[0]["duration"])
    assert running >= paused_2 + 0.2 * TICKS
    assert admin.delete(f"{LIVE}/{rid}").status_code == 204
    final = duration_ticks(admin.get(f"{RECORDINGS}/{rid}").json()["duration"])
    assert running <= final < running + 0.5 * TICKS  # the 0.6 s pause is not in it


def test_pause_resume_by_id_errors(emu):
    admin = emu.client()
    for verb in ("Pause", "Resume"):
        assert _reason(admin.put(f"{LIVE}/xyz/{verb}")) == 0
        assert admin.put(f"{LIVE}/{uuid.uuid4()}/{verb}").status_code == 409


def test_pause_resume_by_line(emu):
    admin = emu.client()
    for verb in ("Pause", "Resume"):
        assert _reason(admin.put(f"{LIVE}/{verb}")) == 0
        assert _reason(admin.put(f"{LIVE}/{verb}", params={"directoryNumber": ""})) == 0
        r = admin.put(f"{LIVE}/{verb}", params={"directoryNumber": "4711"})
        assert _reason(r) == 1 and r.json()["deviceName"] == ""
        assert admin.put(f"{LIVE}/{verb}", params={"directoryNumber": ADMIN_DN}).status_code == 409
    emu.call("SEPX1", "950", username="admin")
    emu.call("SEPX2", "950", username="admin")
    a = _started(emu, {"deviceName": "SEPX1"})
    b = _started(emu, {"deviceName": "SEPX2"})
    assert admin.put(f"{LIVE}/Resume", params={"directoryNumber": "950"}).status_code == 429  # none paused
    assert admin.put(f"{LIVE}/{a}/Pause").status_code == 204
    assert admin.put(f"{LIVE}/Pause", params={"directoryNumber": "950"}).status_code == 204  # b changes
    assert {x["id"]: x["isPaused"] for x in admin.get(LIVE).json()} == {a: True, b: True}
    assert admin.put(f"{LIVE}/Pause", params={"directoryNumber": "950"}).status_code == 429
    assert admin.put(f"{LIVE}/Resume", params={"directoryNumber": "950"}).status_code == 204
    assert {x["id"]: x["isPaused"] for x in admin.get(LIVE).json()} == {a: False, b: False}


# --- hang-up, automatic recording, lists -----------------------------------------------------------


def test_hang_up_completes_the_recording(emu):
    call = emu.call(ADMIN_DEV, ADMIN_DN, direction=1, remoteParty={"phoneNumber": "+1"})
    rid = _started(emu)
    emu.hang_up(call)
    assert _live_ids(emu) == []
    assert emu.ctl.get("/calls").json() == []
    detail = emu.client().get(f"{RECORDINGS}/{rid}").json()
    assert (detail["direction"], detail["remotePartyNumber"], detail["owner"]["username"]) == (
        1,
        "+1",
        "admin",
    )
    assert emu.ctl.delete(f"/calls/{call}").status_code == 404


def test_hang_up_without_recording_stores_nothing(emu):
    call = emu.call(ADMIN_DEV, ADMIN_DN)
    emu.hang_up(call)
    assert emu.client().get(RECORDINGS).json()["totalCount"] == 0


def test_automatic_recording(emu):
    emu.user(1, username="auto", extension="710", deviceName="SEP710")
    call = emu.call("SEP710", "710", autoRecord=True)
    (item,) = emu.client().get(LIVE).json()
    assert item["localParty"] == {"username": "auto"}
    me = emu.client("auto", "pw")
    assert [x["id"] for x in me.get(LIVE + "/Mine").json()] == [item["id"]]
    assert _reason(emu.start(me)) == 4
    assert _reason(me.delete(f"{LIVE}/{item['id']}")) == 2
    assert me.put(f"{LIVE}/{item['id']}/Pause").status_code == 204
    emu.hang_up(call)
    assert emu.client().get(f"{RECORDINGS}/{item['id']}").json()["owner"]["username"] == "auto"


def test_list_active_filters(emu):
    emu.user(2, username="Dora", extension="820", deviceName="SEP820", numericUserId="4242")
    emu.call("SEP820", "820")
    emu.call("SEP821", "821", username="admin")
    dora = _started(emu, {"directoryNumber": "820"})
    adm = _started(emu, {"directoryNumber": "821"})
    admin = emu.client()

    def ids(**params):
        r = admin.get(LIVE, params=params)
        assert r.status_code == 200
        return {x["id"] for x in r.json()}

    assert ids() == {dora, adm}
    assert ids(deviceName="SEP820") == {dora}
    assert ids(directoryNumber="821") == {adm}
    assert ids(username="dora") == {dora}
    assert ids(username="DORA", directoryNumber="820") == {dora}
    assert ids(username="dora", directoryNumber="821") == set()
    assert ids(numericUserId="4242") == {dora}
    assert ids(numericUserId="4243") == set()
    assert ids(deviceName="sep820") == set()  # device names are exact
    assert ids(deviceName="") == set()
    assert ids(unknown="x") == {dora, adm}


def test_literal_segments_win_over_ids(emu):
    admin = emu.client()
    assert admin.get(LIVE + "/Mine").status_code == 200
    r = admin.delete(LIVE + "/Pause")
    assert r.status_code == 405 and "PUT" in r.headers["allow"]
    assert admin.put(LIVE + "/Mine").status_code == 405
    assert admin.get(LIVE + "/").status_code == 200
    assert admin.post(LIVE + "/Mine/Pause").status_code in (404, 405)


# --- races ----------------------------------------------------------------------------------------


def _concurrently(n: int, fn) -> list[int]:
    barrier = threading.Barrier(n)
    out: list[int] = [0] * n

    def run(i: int) -> None:
        barrier.wait()
        out[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return out


def test_twenty_concurrent_starts_give_one_201_and_nineteen_429(emu, server):
    emu.call(ADMIN_DEV, ADMIN_DN)
    clients = [
        httpx.Client(base_url=server.base_url, auth=("admin", "admin"), timeout=30, verify=False)
        for _ in range(20)
    ]
    try:
        for c in clients:  # open the connections (and warm the credential cache) before racing
            assert c.get(LIVE + "/Mine").status_code == 200
        for _round in range(5):
            codes = _concurrently(
                20, lambda i: clients[i].post(LIVE, json={"directoryNumber": ADMIN_DN}).status_code
            )
            assert sorted(codes) == [201] + [429] * 19, codes
            (rid,) = _live_ids(emu)
            codes = _concurrently(20, lambda i, rid=rid: clients[i].put(f"{LIVE}/{rid}/Pause").status_code)
            assert sorted(codes) == [204] + [429] * 19, codes
            codes = _concurrently(20, lambda i, rid=rid: clients[i].delete(f"{LIVE}/{rid}").status_code)
            assert sorted(codes) == [204] + [409] * 19, codes
    finally:
        for c in clients:
            c.close()
    assert emu.client().get(RECORDINGS).json()["totalCount"] == 5

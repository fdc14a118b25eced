"""Authentication and the permission matrix (reference section 5, A-15) over HTTP.

Invariant: 401 (credentials) is decided before 403 (level), which is decided before any validation
or resource check; level 0 is 403 on everything; Record Only acts on its own line only; Base Access
also reads its own completed recordings; Complete Management does everything.
"""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest
from emu_support import LIVE, RECORDINGS

OPS = [
    ("listRecordings", "GET", RECORDINGS),
    ("getRecording", "GET", RECORDINGS + "/{id}"),
    ("downloadRecording", "GET", RECORDINGS + "/{id}/Media"),
    ("uploadRecording", "POST", RECORDINGS),
    ("listActiveRecordings", "GET", LIVE),
    ("listMyActiveRecordings", "GET", LIVE + "/Mine"),
    ("startRecording", "POST", LIVE),
    ("stopRecordingByLine", "DELETE", LIVE),
    ("stopRecording", "DELETE", LIVE + "/{id}"),
    ("stopMyRecording", "DELETE", LIVE + "/Mine"),
    ("pauseRecording", "PUT", LIVE + "/{id}/Pause"),
    ("resumeRecording", "PUT", LIVE + "/{id}/Resume"),
    ("pauseRecordingsByLine", "PUT", LIVE + "/Pause"),
    ("resumeRecordingsByLine", "PUT", LIVE + "/Resume"),
]
# The lowest level allowed to call each operation at all.
MIN_LEVEL = {
    "listRecordings": 2,
    "getRecording": 2,
    "downloadRecording": 2,
    "uploadRecording": 10,
    "listActiveRecordings": 10,
}


def _send(client: httpx.Client, method: str, path: str, *, id_: str = "not-a-guid", **kw) -> httpx.Response:
    """Requests that would be 400 for an authorised caller, to show 401/403 come first."""
    return client.request(method, path.format(id=id_), **kw)


BAD_AUTH = {
    "missing": None,
    "wrong password": "Basic " + base64.b64encode(b"admin:wrong").decode(),
    "unknown user": "Basic " + base64.b64encode(b"nobody:admin").decode(),
    "malformed base64": "Basic !!!not-base64!!!",
    "no colon": "Basic " + base64.b64encode(b"adminadmin").decode(),
    "other scheme": "Bearer " + base64.b64encode(b"admin:admin").decode(),
    "empty": "Basic",
    "not utf-8": "Basic " + base64.b64encode(b"adm\xffin:admin").decode(),
}


@pytest.mark.parametrize("how", list(BAD_AUTH))
@pytest.mark.parametrize(("op", "method", "path"), OPS, ids=[o[0] for o in OPS])
def test_bad_credentials_are_401_first(emu, op, method, path, how):
    client = emu.client(None)
    headers = {} if BAD_AUTH[how] is None else {"Authorization": BAD_AUTH[how]}
    r = _send(client, method, path, headers=headers)
    assert r.status_code == 401, (op, how, r.text)
    assert r.headers["www-authenticate"].startswith("Basic")
    assert isinstance(r.json()["message"], str)


def test_usernames_are_case_insensitive_passwords_are_not(emu):
    assert emu.client("ADMIN", "admin").get(RECORDINGS).status_code == 200
    assert emu.client("admin", "ADMIN").get(RECORDINGS).status_code == 401


@pytest.mark.parametrize("level", [0, 1, 2, 10])
@pytest.mark.parametrize(("op", "method", "path"), OPS, ids=[o[0] for o in OPS])
def test_operation_level_403_comes_before_validation(emu, op, method, path, level):
    client = emu.user(level, extension="555")
    r = _send(client, method, path)
    allowed = level >= max(MIN_LEVEL.get(op, 1), 1)
    if allowed:
        assert r.status_code not in (401, 403), (op, level, r.text)
    else:
        assert r.status_code == 403, (op, level, r.text)


@pytest.fixture
def world(emu):
    """Four users with their own lines, a call on each line, and one completed recording each."""
    users = {}
    for level in (0, 1, 2, 10):
        ext, dev = f"3{level:02d}", f"SEP3{level:02d}"
        users[level] = emu.user(level, username=f"lv{level}", extension=ext, deviceName=dev)
        emu.call(dev, ext, remoteParty={"phoneNumber": f"+1{level}"})
    rec_of = {
        level: emu.uploaded(localParty={"username": f"lv{level}", "phoneNumber": f"3{level:02d}"})
        for level in (0, 1, 2, 10)
    }
    return users, rec_of


def _live(emu, ext: str) -> str:
    r = emu.start(body={"directoryNumber": ext})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_base_access_reads_only_its_own_recordings(emu, world):
    users, rec_of = world
    lv2 = users[2]
    listed = lv2.get(RECORDINGS).json()
    assert listed["totalCount"] == 1
    assert [x["id"] for x in listed["recordings"]] == [rec_of[2]]
    # Filters narrow the caller's own set; they never widen it.
    assert lv2.get(RECORDINGS, params={"ownerUsername": "lv10"}).json() == {"totalCount": 0, "recordings": []}
    assert lv2.get(f"{RECORDINGS}/{rec_of[2]}").status_code == 200
    assert lv2.get(f"{RECORDINGS}/{rec_of[2]}/Media").status_code == 200
    for other in (0, 1, 10):
        assert lv2.get(f"{RECORDINGS}/{rec_of[other]}").status_code == 403
        assert lv2.get(f"{RECORDINGS}/{rec_of[other]}/Media").status_code == 403
    assert lv2.get(f"{RECORDINGS}/{uuid.uuid4()}").status_code == 404


def test_complete_management_reads_everything(emu, world):
    users, rec_of = world
    lv10 = users[10]
    assert lv10.get(RECORDINGS).json()["totalCount"] == 4
    for rid in rec_of.values():
        assert lv10.get(f"{RECORDINGS}/{rid}").status_code == 200
        assert lv10.get(f"{RECORDINGS}/{rid}/Media").status_code == 200


@pytest.mark.parametrize("level", [1, 2])
def test_record_only_and_base_access_act_on_their_own_line(emu, world, level):
    users, _ = world
    me = users[level]
    ext, dev = f"3{level:02d}", f"SEP3{level:02d}"
    # No body: own line.
    r = emu.start(me)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    mine = me.get(LIVE + "/Mine").json()
    assert [x["id"] for x in mine] == [rid]
    assert mine[0]["localParty"] == {"username": f"lv{level}"}
    assert me.put(f"{LIVE}/{rid}/Pause").status_code == 204
    assert me.put(f"{LIVE}/{rid}/Resume").status_code == 204
    assert me.put(f"{LIVE}/Pause", params={"directoryNumber": ext}).status_code == 204
    assert me.put(f"{LIVE}/Resume", params={"directoryNumber": ext}).status_code == 204
    assert me.delete(f"{LIVE}/{rid}").status_code == 204
    # Own device or own DN in the body, stop by line, stop Mine.
    assert emu.start(me, {"deviceName": dev}).status_code == 201
    assert me.delete(LIVE, params={"deviceName": dev}).status_code == 204
    assert emu.start(me, {"directoryNumber": ext, "mode": 1}).status_code == 201
    assert me.delete(LIVE + "/Mine").status_code == 204
    assert me.delete(LIVE + "/Mine").status_code == 409


@pytest.mark.parametrize("level", [1, 2])
def test_other_lines_need_complete_management(emu, world, level):
    users, _ = world
    me = users[level]
    theirs = _live(emu, "310")  # admin starts a recording on lv10's line
    assert emu.start(me, {"directoryNumber": "310"}).status_code == 403
    assert emu.start(me, {"deviceName": "SEP310"}).status_code == 403
    assert me.delete(LIVE, params={"directoryNumber": "310"}).status_code == 403
    assert me.delete(f"{LIVE}/{theirs}").status_code == 403
    assert me.put(f"{LIVE}/{theirs}/Pause").status_code == 403
    assert me.put(f"{LIVE}/{theirs}/Resume").status_code == 403
    assert me.put(f"{LIVE}/Pause", params={"directoryNumber": "310"}).status_code == 403
    assert me.put(f"{LIVE}/Resume", params={"directoryNumber": "310"}).status_code == 403
    assert me.get(LIVE + "/Mine").json() == []
    assert me.delete(LIVE + "/Mine").status_code == 409  # someone else's recording is not "mine"
    assert me.get(LIVE).status_code == 403
    # Nothing changed: the recording is still live and running.
    live = emu.client().get(LIVE).json()
    assert [(x["id"], x["isPaused"]) for x in live] == [(theirs, False)]


def test_complete_management_acts_on_every_line(emu, world):
    users, _ = world
    lv10 = users[10]
    for level in (1, 2):
        r = emu.start(lv10, {"directoryNumber": f"3{level:02d}"})
        assert r.status_code == 201
        rid = r.json()["id"]
        assert lv10.put(f"{LIVE}/{rid}/Pause").status_code == 204
        assert lv10.delete(f"{LIVE}/{rid}").status_code == 204
    listed = lv10.get(RECORDINGS, params={"ownerUsername": "lv1"}).json()
    assert listed["totalCount"] == 2  # the upload and the one just recorded, owned by the line's user


def test_level_zero_is_forbidden_even_on_its_own_line(emu, world):
    users, rec_of = world
    lv0 = users[0]
    assert emu.start(lv0).status_code == 403
    assert lv0.get(LIVE + "/Mine").status_code == 403
    assert lv0.get(f"{RECORDINGS}/{rec_of[0]}").status_code == 403
    assert emu.client().get(LIVE).json() == []

"""Deployed mode (``--site``): the emulator as a customer's UCX, each case on a real server process.

Invariants: with the control plane off every ``/_emulator`` path is a 404, as on a real server; the
preloaded recordings are valid completed recordings (listed, detailed and downloadable, ``size`` and
``hash`` describing the served bytes) spread over the whole retention window; uploads honour the site's
retention (409 before it, 201 inside it); a standing call can be recorded, stopped and recorded again
and nobody can hang it up; a reset goes back to the site's start state; a bad site file stops the
process with one line naming the key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from emu_support import (
    LIVE,
    RECORDINGS,
    ROOT,
    TICKS,
    ServerProcess,
    duration_ticks,
    fmt,
    free_port,
    metadata,
    mp3_bytes,
    parse_wire_datetime,
    ticks_of,
    upload_files,
)

LAB = Path(__file__).resolve().parent / "sites" / "lab.toml"
LAB_USERS = {
    "qual-admin": ("lab-admin-pw", 10),
    "qual-base": ("lab-base-pw", 2),
    "qual-agent": ("lab-agent-pw", 1),
    "qual-norights": ("lab-norights-pw", 0),
}
PRELOADED = 2000
RETENTION_DAYS = 90
DAY = 86_400 * TICKS

CONTROL_REQUESTS = [
    ("GET", "/_emulator/health"),
    ("GET", "/_emulator"),
    ("GET", "/_emulator/"),
    ("POST", "/_emulator/reset"),
    ("GET", "/_emulator/calls"),
    ("POST", "/_emulator/calls"),
    ("DELETE", "/_emulator/calls/00000000-0000-4000-8000-000000000000"),
    ("PUT", "/_emulator/settings"),
    ("POST", "/_emulator/users"),
    ("GET", "/_emulator/users"),
    ("GET", "/_emulator/anything/else"),
]


def _now() -> int:
    return ticks_of(dt.datetime.now(dt.UTC))


def _client(server: ServerProcess, username: str) -> httpx.Client:
    password = LAB_USERS[username][0]
    return httpx.Client(base_url=server.base_url, auth=(username, password), timeout=30, verify=False)


def _start_lab(tmp_path: Path, *args: str, site: Path = LAB) -> ServerProcess:
    probe = "health" if "control_plane = true" in site.read_text() else "vendor"
    return ServerProcess.start(tmp_path / "server.log", args=["--site", str(site), *args], probe=probe)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The lab site, untouched by any test that uses it (each writing test starts its own)."""
    server = _start_lab(tmp_path_factory.mktemp("lab"))
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="module")
def lab_listing(lab: ServerProcess) -> list[dict]:
    with _client(lab, "qual-admin") as admin:
        r = admin.get(RECORDINGS)
    assert r.status_code == 200, r.text
    return r.json()["recordings"]


# --- control plane off ----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), CONTROL_REQUESTS)
def test_every_control_path_is_404_in_deployed_mode(lab, method, path):
    r = httpx.request(method, lab.base_url + path, json={}, timeout=10)
    assert r.status_code == 404, (method, path, r.status_code, r.text)
    with _client(lab, "qual-admin") as admin:  # credentials change nothing
        assert admin.request(method, path).status_code == 404


def test_start_up_with_2000_preloaded_recordings_is_quick(lab):
    line = next(
        line for line in lab.log_path.read_text().splitlines() if line.startswith("emulator: deployed mode")
    )
    assert "control plane off" in line and f"{PRELOADED} preloaded recordings" in line, line
    seconds = float(re.search(r"ready in ([0-9.]+) s", line).group(1))
    assert seconds < 2.0, line


# --- preloaded recordings -------------------------------------------------------------------------


def test_preloaded_count_is_the_unfiltered_total_for_complete_management(lab, lab_listing):
    with _client(lab, "qual-admin") as admin:
        body = admin.get(RECORDINGS, params={"pageSize": 1}).json()
    assert body["totalCount"] == PRELOADED
    assert len(lab_listing) == PRELOADED


def test_preloaded_recordings_are_valid_completed_recordings(lab, lab_listing):
    """Detail and media agree (A-6, A-10) for the newest, the oldest and a spread in between."""
    picks = [lab_listing[i] for i in (0, 1, 2, len(lab_listing) - 1, *range(7, len(lab_listing), 97))]
    with _client(lab, "qual-admin") as admin:
        for item in picks:
            detail = admin.get(f"{RECORDINGS}/{item['id']}")
            assert detail.status_code == 200, detail.text
            d = detail.json()
            for key in ("id", "referenceNumber", "startTime", "duration", "direction", "remotePartyNumber"):
                assert d[key] == item[key], key
            assert d["owner"]["username"] == item["ownerUsername"]
            media = admin.get(f"{RECORDINGS}/{item['id']}/Media")
            assert media.status_code == 200
            assert media.headers["content-type"].startswith("audio/mpeg")
            assert d["size"] == len(media.content) > 0
            assert d["hash"] == {"algorithm": "SHA-256", "value": hashlib.sha256(media.content).hexdigest()}
            head = media.content
            assert head[:3] == b"ID3" or (head[0] == 0xFF and head[1] & 0xE0 == 0xE0), head[:4]


def test_preloaded_recordings_are_foreign_data(lab_listing):
    now = _now()
    starts = [parse_wire_datetime(r["startTime"]) for r in lab_listing]
    assert starts == sorted(starts, reverse=True)  # A-3 order
    assert all(now - RETENTION_DAYS * DAY < s < now for s in starts)
    assert now - starts[0] < 10 * 60 * TICKS, "the newest are minutes old"
    assert starts[-1] - (now - RETENTION_DAYS * DAY) < 2 * DAY, "the oldest are just inside retention"
    assert len(set(starts)) < len(starts), "some share one startTime"
    assert any(s % TICKS for s in starts) and any(s % TICKS == 0 for s in starts)
    for r, s in zip(lab_listing, starts, strict=True):
        assert s + duration_ticks(r["duration"]) <= now  # completed before now
    durations = {duration_ticks(r["duration"]) for r in lab_listing}
    assert 0 in durations and max(durations) > 3600 * TICKS and any(0 < d < TICKS for d in durations)
    assert {r["direction"] for r in lab_listing} == {0, 1, 2}

    owners = {r["ownerUsername"] for r in lab_listing}
    assert owners & set(LAB_USERS), "some belong to the site's users"
    assert owners - set(LAB_USERS) - {"admin"}, "some belong to names that are no user"

    remotes = {r["remotePartyNumber"] for r in lab_listing}
    for needle in (";", "\\", "%", "_", "+", " "):
        assert any(needle in n for n in remotes), needle
    assert "" in remotes
    assert any(len(n) > 200 for n in remotes)
    assert any(not n.isascii() for n in remotes)
    assert any(re.search("[A-Za-z]", n) for n in remotes)


def test_base_access_sees_only_its_own_preloaded_recordings(lab, lab_listing):
    own = [r["id"] for r in lab_listing if r["ownerUsername"] == "qual-base"]
    assert own, "the seed gives the level-2 user some recordings"
    with _client(lab, "qual-base") as base:
        body = base.get(RECORDINGS).json()
    assert body["totalCount"] == len(own)
    assert [r["id"] for r in body["recordings"]] == own


# --- retention ------------------------------------------------------------------------------------


def _upload(admin: httpx.Client, start: int) -> httpx.Response:
    meta = metadata(
        startDateTime=fmt(start - start % TICKS),
        localParty={"username": "qual-admin", "phoneNumber": "301"},
    )
    return admin.post(RECORDINGS, files=upload_files(meta, mp3_bytes(0.2)))


@pytest.mark.parametrize(("flags", "days"), [((), RETENTION_DAYS), (("--retention-days", "10"), 10)])
def test_uploads_honour_the_sites_retention(tmp_path, flags, days):
    """The file's retention_days, and --retention-days overriding it."""
    server = _start_lab(tmp_path, *flags)
    try:
        with _client(server, "qual-admin") as admin:
            before = _upload(admin, _now() - days * DAY - 3600 * TICKS)
            assert before.status_code == 409, before.text
            inside = _upload(admin, _now() - days * DAY + 3600 * TICKS)
            assert inside.status_code == 201, inside.text
            assert admin.get(RECORDINGS, params={"pageSize": 1}).json()["totalCount"] == PRELOADED + 1
    finally:
        server.kill()


# --- standing calls -------------------------------------------------------------------------------


def _completed(admin: httpx.Client, rid: str) -> dict:
    deadline = time.monotonic() + 2
    while True:
        r = admin.get(f"{RECORDINGS}/{rid}")
        if r.status_code == 200 or time.monotonic() > deadline:
            return r
        time.sleep(0.05)


def test_a_standing_call_is_recorded_stopped_and_recorded_again(tmp_path):
    server = _start_lab(tmp_path)
    try:
        with _client(server, "qual-admin") as admin, _client(server, "qual-agent") as agent:
            ids = []
            for round_ in range(2):
                r = admin.post(LIVE, json={"directoryNumber": "301"})
                assert r.status_code == 201, (round_, r.text)
                rid = r.json()["id"]
                live = admin.get(LIVE, params={"directoryNumber": "301"}).json()
                assert [x["id"] for x in live] == [rid]
                assert live[0]["remoteParty"] == {
                    "firstName": "Ada",
                    "lastName": "Rossi",
                    "phoneNumber": "+390212345",
                }
                assert admin.put(f"{LIVE}/{rid}/Pause").status_code == 204
                assert admin.put(f"{LIVE}/{rid}/Resume").status_code == 204
                assert admin.delete(f"{LIVE}/{rid}").status_code == 204
                done = _completed(admin, rid)
                assert done.status_code == 200, done.text
                assert done.json()["owner"]["username"] == "qual-admin"
                assert done.json()["direction"] == 2
                ids.append(rid)
            assert ids[0] != ids[1]

            # The Record Only user's own standing line: no body starts it, /Mine stops it, twice.
            for _ in range(2):
                assert agent.post(LIVE, content=b"").status_code == 201
                assert agent.delete(f"{LIVE}/Mine").status_code == 204

            # Line 999 is a user's extension with no call: known (not 400), but nothing to record.
            with _client(server, "qual-base") as base:
                assert base.post(LIVE, content=b"").status_code == 409
                assert admin.post(LIVE, json={"deviceName": "SEP000000000999"}).status_code == 409
            with _client(server, "qual-norights") as none:
                assert none.post(LIVE, content=b"").status_code == 403
            assert admin.get(RECORDINGS, params={"pageSize": 1}).json()["totalCount"] == PRELOADED + 4
    finally:
        server.kill()


# --- control plane on: the site is the start state ------------------------------------------------


def test_with_the_control_plane_on_a_reset_returns_to_the_sites_start_state(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text(
        "control_plane = true\nretention_days = 30\n[preload]\nrecordings = 50\nseed = 3\n"
        '[[users]]\nusername = "qual-admin"\npassword = "lab-admin-pw"\nlevel = 10\nextension = "301"\n'
        '[[calls]]\ndeviceName = "SEP000000000301"\ndirectoryNumber = "301"\n'
    )
    server = _start_lab(tmp_path, "--preload", "40", site=site)  # the flag overrides the file
    ctl = httpx.Client(base_url=server.base_url + "/_emulator", timeout=10)
    try:
        with _client(server, "qual-admin") as admin:
            assert ctl.get("/health").json()["service"] == "recqual-emulator"
            assert ctl.put("/settings", json={}).json()["retentionDays"] == 30
            (call,) = ctl.get("/calls").json()
            assert call["directoryNumber"] == "301" and call["username"] == "qual-admin"
            assert ctl.delete(f"/calls/{call['callId']}").status_code == 409  # standing: never hung up

            rid = admin.post(LIVE, json={"directoryNumber": "301"}).json()["id"]
            assert admin.delete(f"{LIVE}/{rid}").status_code == 204
            assert ctl.get("/calls").json() == [call]  # stopping did not hang up
            assert admin.post(LIVE, json={"directoryNumber": "301"}).status_code == 201
            assert ctl.put("/settings", json={"retentionDays": 1}).status_code == 200
            assert _upload(admin, _now() - 2 * DAY).status_code == 409
            assert ctl.post("/calls", json={"deviceName": "SEP9", "directoryNumber": "9"}).status_code == 201
            assert admin.get(RECORDINGS, params={"pageSize": 1}).json()["totalCount"] == 41

            assert ctl.post("/reset").status_code == 204
            assert admin.get(RECORDINGS, params={"pageSize": 1}).json()["totalCount"] == 40
            assert admin.get(LIVE).json() == []
            assert ctl.get("/calls").json() == [call]
            assert ctl.put("/settings", json={}).json()["retentionDays"] == 30
            assert _upload(admin, _now() - 2 * DAY).status_code == 201
    finally:
        ctl.close()
        server.kill()


def test_site_and_db_together_preload_once(tmp_path):
    """A restart on the same database keeps the preload as it is instead of adding it again."""
    db = tmp_path / "lab.db"
    snapshots = []
    for _ in range(2):
        server = _start_lab(tmp_path, "--db", str(db))
        try:
            with _client(server, "qual-admin") as admin:
                body = admin.get(RECORDINGS, params={"pageSize": 5}).json()
        finally:
            server.kill()
        assert body["totalCount"] == PRELOADED
        snapshots.append(body["recordings"])
    assert snapshots[0] == snapshots[1]


# --- site file errors -----------------------------------------------------------------------------

BAD_SITES = [
    ('control_plane = "no"\n', "control_plane"),
    ("retention_days = -1\n", "retention_days"),
    ("retention_days = 9.5\n", "retention_days"),
    ("colour = 1\n", "'colour'"),
    ("preload = 5\n", "preload"),
    ('[preload]\nrecordings = "many"\n', "preload.recordings"),
    ("[preload]\nrecrodings = 5\n", "'preload.recrodings'"),
    ('users = "qual-admin"\n', "users"),
    ('[[users]]\nusername = "a"\npassword = "b"\nlevel = "10"\n', "users[0].level"),
    ('[[users]]\nusername = "a"\npassword = "b"\nlevel = 7\n', "users[0].level"),
    ('[[users]]\nusername = "a"\npassword = "b"\nlevel = 1\nemail = "a@b"\n', "'users[0].email'"),
    ('[[users]]\nusername = "a"\nlevel = 1\n', "users[0].password"),
    ('[[users]]\nusername = "admin"\npassword = "b"\nlevel = 1\n', "users[0].username"),
    ('[[calls]]\ndeviceName = "SEP1"\n', "calls[0].directoryNumber"),
    ('[[calls]]\ndeviceName = "SEP1"\ndirectoryNumber = 1\n', "calls[0].directoryNumber"),
    ('[[calls]]\ndeviceName = "SEP1"\ndirectoryNumber = "1"\ndirection = 5\n', "calls[0].direction"),
    ('[[calls]]\ndeviceName = "SEP1"\ndirectoryNumber = "1"\nremoteParty = { phone = "1" }\n', "phone"),
    ('[[calls]]\ndeviceName = "SEP1"\ndirectoryNumber = "1"\n' * 2, "calls[1]"),
    ("control_plane = \n", "not valid TOML"),
]


def _run_bad(args: list[str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "emulator", "--port", str(free_port()), *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("text", "named"), BAD_SITES, ids=[n for _, n in BAD_SITES])
def test_a_bad_site_file_stops_with_one_line_naming_the_key(tmp_path, text, named):
    site = tmp_path / "bad.toml"
    site.write_text(text)
    done = _run_bad(["--site", str(site)])
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"emulator: site file {site}: ") and named in lines[0], lines[0]


def test_a_missing_site_file_is_one_line(tmp_path):
    done = _run_bad(["--site", str(tmp_path / "absent.toml")])
    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1 and "cannot read" in done.stderr, done.stderr

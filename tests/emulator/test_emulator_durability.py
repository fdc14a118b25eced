"""Persistence across restarts and crashes, and start-up options, each on its own server process.

Invariant: a completed recording that was acknowledged (201 upload, 204 stop) is in the database file
when the process dies right after, even by SIGKILL; live calls are memory only and vanish on restart.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx
import pytest
from emu_support import LIVE, RECORDINGS, ROOT, ServerProcess, metadata, mp3_bytes, upload_files, wav_bytes


def _fresh_db(tmp_path) -> object:
    db = tmp_path / "recordings.db"
    assert not db.exists(), "each test needs a database file of its own"
    return db


def _admin(server: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, auth=("admin", "admin"), timeout=30, verify=False)


def _snapshot(admin: httpx.Client) -> dict[str, tuple[dict, bytes]]:
    out = {}
    for item in admin.get(RECORDINGS).json()["recordings"]:
        detail = admin.get(f"{RECORDINGS}/{item['id']}").json()
        out[item["id"]] = (detail, admin.get(f"{RECORDINGS}/{item['id']}/Media").content)
    return out


def test_recordings_survive_a_restart_and_live_calls_do_not(tmp_path):
    db = _fresh_db(tmp_path)
    log = tmp_path / "server.log"
    first = ServerProcess.start(log, db=db)
    try:
        with _admin(first) as admin:
            for audio, ctype in ((mp3_bytes(0.3), "audio/mpeg"), (wav_bytes(7, 8), "audio/wav")):
                assert admin.post(RECORDINGS, files=upload_files(metadata(), audio, ctype)).status_code == 201
            httpx.post(
                first.base_url + "/_emulator/calls",
                json={"deviceName": "SEP000000000100", "directoryNumber": "100"},
            )
            completed = admin.post(LIVE, json={"directoryNumber": "100"}).json()["id"]
            assert admin.delete(f"{LIVE}/{completed}").status_code == 204
            live = admin.post(LIVE, json={"directoryNumber": "100"}).json()["id"]
            before = _snapshot(admin)
    finally:
        first.kill(signal.SIGTERM)
    assert len(before) == 3 and live not in before

    second = ServerProcess.start(log, db=db)
    try:
        with _admin(second) as admin:
            assert _snapshot(admin) == before
            assert admin.get(LIVE).json() == []
            assert httpx.get(second.base_url + "/_emulator/calls").json() == []
            r = admin.post(RECORDINGS, files=upload_files(metadata(), mp3_bytes(0.3)))
            new_ref = admin.get(f"{RECORDINGS}/{r.json()['id']}").json()["referenceNumber"]
            assert new_ref not in {d["referenceNumber"] for d, _ in before.values()}
    finally:
        second.kill(signal.SIGTERM)


def test_sigkill_right_after_the_answer_loses_nothing(tmp_path):
    db = _fresh_db(tmp_path)
    log = tmp_path / "server.log"
    acknowledged: list[str] = []
    for round_ in range(3):
        server = ServerProcess.start(log, db=db)
        try:
            with _admin(server) as admin:
                if round_ == 1:
                    # A stop's 204 is a commit too.
                    httpx.post(
                        server.base_url + "/_emulator/calls",
                        json={"deviceName": "SEP000000000100", "directoryNumber": "100"},
                    )
                    rid = admin.post(LIVE, json={"directoryNumber": "100"}).json()["id"]
                    r = admin.delete(f"{LIVE}/{rid}")
                    assert r.status_code == 204
                else:
                    r = admin.post(
                        RECORDINGS, files=upload_files(metadata(), wav_bytes(1, 16), "audio/x-wav")
                    )
                    assert r.status_code == 201
                    rid = r.json()["id"]
                server.kill(signal.SIGKILL)  # no chance to flush anything after the answer
        finally:
            server.kill()
        acknowledged.append(rid)

    final = ServerProcess.start(log, db=db)
    try:
        with _admin(final) as admin:
            ids = {x["id"] for x in admin.get(RECORDINGS).json()["recordings"]}
            assert ids == set(acknowledged)
            for rid in acknowledged:
                media = admin.get(f"{RECORDINGS}/{rid}/Media")
                assert media.status_code == 200
                assert admin.get(f"{RECORDINGS}/{rid}").json()["size"] == len(media.content)
    finally:
        final.kill()


def test_users_file_seeds_users_that_survive_reset(tmp_path):
    users = tmp_path / "users.json"
    users.write_text(
        json.dumps(
            [
                {"username": "rec", "password": "r", "level": 1, "extension": "42", "deviceName": "SEP42"},
                {"username": "boss", "password": "b", "level": 10},
            ]
        )
    )
    server = ServerProcess.start(tmp_path / "server.log", users_file=users)
    try:
        rec = httpx.Client(base_url=server.base_url, auth=("rec", "r"), timeout=30, verify=False)
        assert httpx.post(server.base_url + "/_emulator/reset").status_code == 204
        assert rec.get(LIVE + "/Mine").status_code == 200
        assert rec.get(RECORDINGS).status_code == 403  # level 1
        httpx.post(
            server.base_url + "/_emulator/calls", json={"deviceName": "SEP42", "directoryNumber": "42"}
        )
        assert rec.post(LIVE).status_code == 201  # own line from the users file
        boss = httpx.Client(base_url=server.base_url, auth=("boss", "b"), timeout=30, verify=False)
        assert boss.get(LIVE).status_code == 200
        rec.close()
        boss.close()
    finally:
        server.kill()


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"username": "x"}',
        '[{"username": "x", "level": 1}]',
        '[{"username": "admin", "password": "x", "level": 1}]',
    ],
)
def test_invalid_users_file_stops_start_up(tmp_path, content):
    users = tmp_path / "users.json"
    users.write_text(content)
    proc = subprocess.run(
        [sys.executable, "-m", "emulator", "--port", "0", "--users", str(users)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "users file" in proc.stderr

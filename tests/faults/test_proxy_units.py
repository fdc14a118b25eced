"""The proxy's pieces, in process: operation routing, RHS-Colon and tick arithmetic, multipart, and
the proxy app itself against a fake emulator (``httpx.MockTransport``).

Invariant: with no fault the proxy is byte-for-byte transparent (method, path, raw query, headers,
body one way; status, headers, body the other), and a fault changes exactly what it says.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.labs.deployed import SITE

from . import multipart, rhs
from .directory import Call, Directory
from .ops import LIVE, RECORDINGS, operation, path_id
from .proxy import FaultProxy
from .ticks import format_duration, format_instant, parse_duration, parse_instant

# ------------------------------------------------------------------------------------------ routing

OPERATIONS = [
    ("GET", RECORDINGS, "listRecordings"),
    ("GET", RECORDINGS + "/", "listRecordings"),
    ("POST", RECORDINGS, "uploadRecording"),
    ("GET", RECORDINGS + "/abc", "getRecording"),
    ("GET", RECORDINGS + "/abc/Media", "downloadRecording"),
    ("GET", LIVE, "listActiveRecordings"),
    ("POST", LIVE + "/", "startRecording"),
    ("DELETE", LIVE, "stopRecordingByLine"),
    ("GET", LIVE + "/Mine", "listMyActiveRecordings"),
    ("DELETE", LIVE + "/Mine", "stopMyRecording"),
    ("PUT", LIVE + "/Pause", "pauseRecordingsByLine"),
    ("PUT", LIVE + "/Resume", "resumeRecordingsByLine"),
    ("DELETE", LIVE + "/abc", "stopRecording"),
    ("PUT", LIVE + "/abc/Pause", "pauseRecording"),
    ("PUT", LIVE + "/abc/Resume", "resumeRecording"),
    ("DELETE", LIVE + "/Pause", None),
    ("GET", "/_emulator/health", None),
    ("GET", RECORDINGS + "x", None),
]


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS)
def test_operation_routing(method: str, path: str, op: str | None) -> None:
    """Section 2's table, with the literal segments winning over ``{id}``."""
    assert operation(method, path) == op


def test_path_id_is_lowercase() -> None:
    assert path_id(LIVE + "/ABC-Def/Pause") == "abc-def"
    assert path_id(LIVE + "/Mine") is None


# ------------------------------------------------------------------------------ RHS-Colon and ticks


def test_unescape_and_its_bugs() -> None:
    assert rhs.unescape(r"a\;b\\c") == "a;b\\c"
    assert rhs.unescape(r"a\;b\\c", unescape_backslash=False) == "a;b\\\\c"
    assert rhs.unescape(r"a\;b\\c", unescape_semicolon=False) == "a\\;b\\c"


@pytest.mark.parametrize(
    ("field", "value", "bug", "matches"),
    [
        ("+39 555", "contains:555", {}, True),
        ("+39 555", "contains:555", {"contains_as_prefix": True}, False),
        ("Alice", "alice", {}, True),
        ("Alice", "alice", {"case_sensitive": True}, False),
        ("x", "equals:x", {}, True),
        ("x", "equals:x", {"recognise_equals": False}, False),
        ("c:\\x", r"c:\\x", {}, True),
        ("c:\\x", r"c:\\x", {"unescape_backslash": False}, False),
    ],
)
def test_string_matching(field: str, value: str, bug: dict[str, bool], matches: bool) -> None:
    assert rhs.string_matches(field, value, **bug) is matches


def test_instants_keep_seven_digits_and_offsets() -> None:
    t = parse_instant("2024-03-01T10:00:00.1234567Z")
    assert t is not None and format_instant(t) == "2024-03-01T10:00:00.1234567Z"
    assert parse_instant("2024-03-01T12:00:00+02:00") == parse_instant("2024-03-01T10:00:00Z")
    assert parse_instant("2024-03-01T12:00:00+02:00", ignore_offset=True) == parse_instant(
        "2024-03-01T12:00:00"
    )
    assert parse_duration("PT1M30.5S") == 905_000_000
    assert format_duration(905_000_000) == "PT1M30.5S"


def test_multipart_round_trip() -> None:
    request = httpx.Request(
        "POST",
        "http://x/",
        files={
            "jsondata": (None, json.dumps({"notes": "n"}), "application/json"),
            "attachment": ("a.wav", b"RIFF....", "audio/wav"),
        },
    )
    body = request.read()
    parsed = multipart.parse(request.headers["content-type"], body)
    assert parsed is not None
    boundary, parts = parsed
    assert multipart.metadata(parts) == {"notes": "n"}
    audio = multipart.audio(parts)
    assert audio is not None and audio.data == b"RIFF...." and audio.content_type == "audio/wav"
    assert multipart.build(boundary, parts) == body


# -------------------------------------------------------------------- the proxy app, fake emulator

Handler = Callable[[httpx.Request], httpx.Response]


def exchange(
    fault: str,
    handler: Handler,
    requests: list[tuple[str, str, dict[str, Any]]],
    directory: Directory | None = None,
) -> list[httpx.Response]:
    """Send ``requests`` through the proxy app (in process) to ``handler`` (the fake emulator);
    ``directory``: the users the proxy knows from the start (a lab's, from its site file)."""
    app = FaultProxy(fault, "http://emulator", transport=httpx.MockTransport(handler), directory=directory)

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://proxy"
        ) as client:
            return [await client.request(method, path, **kw) for method, path, kw in requests]

    return asyncio.run(run())


def test_transparent_both_ways() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="UCX"'}, json={"message": "no"})

    query = "remoteParty=contains%3A%2B39&startTime=between%3Aa%5C%3Bb"
    [resp] = exchange(
        "none",
        handler,
        [("POST", f"{RECORDINGS}?{query}", {"content": b"\x00body", "headers": {"X-A": "1"}})],
    )
    sent = seen[0]
    assert (sent.method, sent.url.path, sent.url.query.decode()) == ("POST", RECORDINGS, query)
    assert sent.headers["x-a"] == "1" and sent.content == b"\x00body"
    assert resp.status_code == 401 and resp.json() == {"message": "no"}
    assert resp.headers["www-authenticate"] == 'Basic realm="UCX"'


def _listing(total: int) -> Handler:
    items = [
        {"id": f"id{i}", "startTime": f"2024-01-0{9 - i}T00:00:00Z", "referenceNumber": str(i)}
        for i in range(total)
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        size = request.url.params.get("pageSize")
        shown = items[: int(size)] if size else items
        return httpx.Response(200, json={"totalCount": total, "recordings": shown})

    return handler


def test_a_fault_changes_what_it_says_and_is_counted() -> None:
    list_page = ("GET", RECORDINGS + "?page=0&pageSize=2", {})
    status = ("GET", "/_faults/status", {})
    clean, _ = exchange("none", _listing(5), [list_page, status])
    faulty, counted = exchange("totalcount-page-size", _listing(5), [list_page, status])
    assert clean.json()["totalCount"] == 5
    assert faulty.json()["totalCount"] == 2
    assert counted.json() == {"fault": "totalcount-page-size", "fired": 1, "requests": 1}


def test_auth_faults_learn_users_from_the_control_plane() -> None:
    """level2-sees-all re-sends a level-2 user's read with the admin's credentials."""
    auth_seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/_emulator/users":
            return httpx.Response(201, json={})
        auth_seen.append(request.headers.get("authorization", ""))
        return httpx.Response(200, json={"totalCount": 0, "recordings": []})

    user = {"username": "base", "password": "pw", "level": 2}
    exchange(
        "level2-sees-all",
        handler,
        [("POST", "/_emulator/users", {"json": user}), ("GET", RECORDINGS, {"auth": ("base", "pw")})],
    )
    admin = httpx.BasicAuth("admin", "admin")._auth_header
    assert auth_seen[-1] == admin


def test_a_lab_directory_comes_from_its_site_file() -> None:
    """A lab has no control plane: the proxy reads the site file's users, levels, lines and calls."""
    lab = Directory.from_site(SITE)
    levels = {a.username: a.level for a in lab.accounts()}
    assert levels == {"admin": 10, "qual-admin": 10, "qual-base": 2, "qual-agent": 1, "qual-norights": 0}
    base = lab.get("QUAL-BASE")
    assert base is not None and (base.extension, base.device_name) == ("999", "SEP000000000999")
    assert lab.calls == (
        Call("SEP000000000301", "301", "qual-admin"),
        Call("SEP000000000302", "302", "qual-agent"),
    )


def test_a_lab_directory_survives_a_reset() -> None:
    """Seeded users outlive ``POST /_emulator/reset`` (as in the emulator); users added later do not."""
    lab = Directory.from_site(SITE)
    added = ("POST", "/_emulator/users", {"json": {"username": "x", "password": "p", "level": 2}})
    reset = ("POST", "/_emulator/reset", {})

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201 if request.url.path.endswith("/users") else 204)

    exchange("none", handler, [added], lab)
    assert lab.get("x") is not None
    exchange("none", handler, [reset], lab)
    assert lab.get("x") is None and lab.get("qual-base") is not None


def test_auth_faults_know_a_labs_users_without_a_control_plane() -> None:
    """level2-sees-all re-sends the lab's level-2 user's read as the admin with no control plane seen,
    and leaves the level-1 user's read alone; without the site file it cannot tell who is level 2."""
    auth_seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        auth_seen.append(request.headers.get("authorization", ""))
        return httpx.Response(200, json={"totalCount": 0, "recordings": []})

    base_auth = httpx.BasicAuth("qual-base", "lab-base-pw")._auth_header
    agent_auth = httpx.BasicAuth("qual-agent", "lab-agent-pw")._auth_header
    admin = httpx.BasicAuth("admin", "admin")._auth_header
    base = ("GET", RECORDINGS, {"auth": ("qual-base", "lab-base-pw")})
    agent = ("GET", RECORDINGS, {"auth": ("qual-agent", "lab-agent-pw")})
    exchange("level2-sees-all", handler, [base, agent], Directory.from_site(SITE))
    assert auth_seen == [base_auth, admin, agent_auth]  # the correct answer, the faulty one, untouched
    auth_seen.clear()
    exchange("level2-sees-all", handler, [base])
    assert auth_seen == [base_auth]


def test_between_upper_inclusive_adds_the_upper_bound() -> None:
    """The fault fetches the superset without the filter and keeps x <= T2 (the emulator: x < T2)."""
    items = [
        {"id": "a", "startTime": "2024-01-02T00:00:00Z", "duration": "PT1S", "referenceNumber": "2"},
        {"id": "b", "startTime": "2024-01-01T00:00:00Z", "duration": "PT1S", "referenceNumber": "1"},
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        filtered = "startTime" in request.url.params
        shown = [items[1]] if filtered else items  # the correct answer: only b is < T2
        return httpx.Response(200, json={"totalCount": len(shown), "recordings": shown})

    query = "startTime=" + "between:2024-01-01T00:00:00Z;2024-01-02T00:00:00Z"
    [resp] = exchange("between-upper-inclusive", handler, [("GET", f"{RECORDINGS}?{query}", {})])
    assert [r["id"] for r in resp.json()["recordings"]] == ["a", "b"]
    assert resp.json()["totalCount"] == 2

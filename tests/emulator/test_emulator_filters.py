"""listRecordings filters, paging and order over HTTP (reference 2.1, section 4, A-2..A-4, A-12..A-14).

Invariant: for every query, the ids returned are exactly the stored recordings that satisfy the
filter's meaning, ordered by startTime then referenceNumber, both descending, and totalCount counts
them all. Each case states its meaning as a predicate over the dataset, so expected results are
computed from how the data was built, and the dataset puts recordings one tick either side of every
boundary a query names, so an off-by-one in any comparison changes the answer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from emu_support import RECORDINGS, TICKS, fmt, metadata, parse_wire_datetime, ticks_of, upload_files

H = 3600 * TICKS


@dataclass
class Rec:
    label: str
    start: int
    duration: int
    remote: str
    local: str = "100"
    owner: str = "admin"
    direction: int = 1
    id: str = ""
    ref: str = ""

    @property
    def end(self) -> int:
        return self.start + self.duration


T0 = ticks_of(dt.datetime.now(dt.UTC)) // TICKS * TICKS - 20 * 24 * H


def _dataset() -> list[Rec]:
    return [
        Rec("t0", T0, 90 * TICKS, "+390571000000"),
        Rec("t0+1", T0 + 1, 0, "+39 055 ABC", local="101", owner="Bob", direction=2),
        Rec("t0-1", T0 - 1, 1, "a;b", direction=0),
        Rec("t0+1s", T0 + TICKS, 30 * TICKS, "c:\\x", owner="bob"),
        Rec("t0+1s-tie", T0 + TICKS, 60 * TICKS - 1, "contains:x", direction=2),
        Rec("t0+2h", T0 + 2 * H, 5 * TICKS, "ÄÖÜ straße", local="ÄBC", owner="Émile"),
        Rec("t0-1d", T0 - 24 * H, 2 * TICKS, "", direction=0),
        Rec("t0+1d", T0 + 24 * H + TICKS // 2, TICKS, "equals:x"),
        Rec("t0+3s", T0 + 3 * TICKS, 7 * TICKS, "x\\;y", owner="ADMIN"),
        Rec("istanbul", T0 + 4 * TICKS, TICKS, "İstanbul", local="102", owner="Bob", direction=2),
        Rec("t0+1-tie", T0 + 1, 3 * TICKS, "+39 06 999"),
    ]


def _iso_duration(ticks: int) -> str:
    secs, frac = divmod(ticks, TICKS)
    return f"PT{secs}.{frac:07d}S" if frac else f"PT{secs}S"


@pytest.fixture(scope="module")
def data(server) -> list[Rec]:
    """Upload the dataset once for the module (these tests only read)."""
    with httpx.Client(base_url=server.base_url, timeout=30, verify=False) as ctl:
        assert ctl.post("/_emulator/reset").status_code == 204
        assert (
            ctl.post("/_emulator/users", json={"username": "Bob", "password": "pw", "level": 2}).status_code
            == 201
        )
    recs = _dataset()
    from emu_support import mp3_bytes

    audio = mp3_bytes(0.2)
    with httpx.Client(base_url=server.base_url, auth=("admin", "admin"), timeout=30, verify=False) as admin:
        for rec in recs:
            meta = metadata(
                startDateTime=fmt(rec.start),
                duration=_iso_duration(rec.duration),
                direction=rec.direction,
                localParty={"username": rec.owner, "phoneNumber": rec.local},
                remoteParty={"phoneNumber": rec.remote},
            )
            r = admin.post(RECORDINGS, files=upload_files(meta, audio))
            assert r.status_code == 201, r.text
            rec.id = r.json()["id"]
        listed = {x["id"]: x for x in admin.get(RECORDINGS).json()["recordings"]}
    for rec in recs:
        rec.ref = listed[rec.id]["referenceNumber"]
    return recs


@pytest.fixture(scope="module")
def admin(server, data) -> httpx.Client:
    with httpx.Client(base_url=server.base_url, auth=("admin", "admin"), timeout=30, verify=False) as c:
        yield c


def _expected(data: list[Rec], pred: Callable[[Rec], bool]) -> list[str]:
    """Matches in A-3 order; referenceNumbers are zero-padded digit strings of one width, so string
    order is numeric order (checked in test_reference_numbers)."""
    matches = [r for r in data if pred(r)]
    matches.sort(key=lambda r: (r.start, r.ref), reverse=True)
    return [r.id for r in matches]


def _ids(admin: httpx.Client, params: dict[str, str]) -> tuple[int, list[str]]:
    r = admin.get(RECORDINGS, params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    return body["totalCount"], [x["id"] for x in body["recordings"]]


def test_reference_numbers(data):
    refs = [r.ref for r in data]
    assert len(set(refs)) == len(refs)
    assert all(ref.isdigit() and len(ref) == len(refs[0]) for ref in refs)


def test_list_items_describe_the_uploads(admin, data):
    items = {x["id"]: x for x in admin.get(RECORDINGS).json()["recordings"]}
    for rec in data:
        item = items[rec.id]
        assert parse_wire_datetime(item["startTime"]) == rec.start
        assert item["remotePartyNumber"] == rec.remote
        assert item["localPartyNumber"] == rec.local
        assert item["direction"] == rec.direction
        # Known users (admin, Bob) are named as registered whatever the upload's case; others as uploaded.
        known = {"admin": "admin", "bob": "Bob"}
        assert item["ownerUsername"] == known.get(rec.owner.lower(), rec.owner)


T1S = T0 + TICKS
CASES: list[tuple[str, dict[str, str], Callable[[Rec], bool]]] = [
    ("no filter", {}, lambda r: True),
    ("equals bare", {"startTime": fmt(T0)}, lambda r: r.start == T0),
    ("equals explicit", {"startTime": "equals:" + fmt(T0)}, lambda r: r.start == T0),
    ("equals +02:00", {"startTime": fmt(T0, offset_minutes=120)}, lambda r: r.start == T0),
    ("equals -05:30", {"startTime": fmt(T0, offset_minutes=-330)}, lambda r: r.start == T0),
    ("equals no zone is UTC", {"startTime": fmt(T0, zone="")}, lambda r: r.start == T0),
    ("equals 0 digits", {"startTime": fmt(T0, digits=0)}, lambda r: r.start == T0),
    ("equals 3 digits", {"startTime": fmt(T0, digits=3)}, lambda r: r.start == T0),
    ("equals 7th digit", {"startTime": fmt(T0 + 1)}, lambda r: r.start == T0 + 1),
    ("before excludes T", {"startTime": "before:" + fmt(T0)}, lambda r: r.start < T0),
    ("after excludes T", {"startTime": "after:" + fmt(T0)}, lambda r: r.start > T0),
    ("after +1 tick", {"startTime": "after:" + fmt(T0 + 1)}, lambda r: r.start > T0 + 1),
    ("between [T0,T0+1s)", {"startTime": f"between:{fmt(T0)};{fmt(T1S)}"}, lambda r: T0 <= r.start < T1S),
    (
        "between with offsets",
        {"startTime": f"between:{fmt(T0 - 1, offset_minutes=60)};{fmt(T1S + 1, offset_minutes=-60)}"},
        lambda r: T0 - 1 <= r.start < T1S + 1,
    ),
    ("between T1 > T2 is empty", {"startTime": f"between:{fmt(T1S)};{fmt(T0)}"}, lambda r: False),
    ("between T1 = T2 is empty", {"startTime": f"between:{fmt(T0)};{fmt(T0)}"}, lambda r: False),
    ("endTime equals", {"endTime": fmt(T0 + 90 * TICKS)}, lambda r: r.end == T0 + 90 * TICKS),
    ("endTime before", {"endTime": "before:" + fmt(T0 + 61 * TICKS)}, lambda r: r.end < T0 + 61 * TICKS),
    ("endTime after", {"endTime": "after:" + fmt(T0 + 61 * TICKS)}, lambda r: r.end > T0 + 61 * TICKS),
    (
        "endTime between",
        {"endTime": f"between:{fmt(T0 + 31 * TICKS)};{fmt(T0 + 61 * TICKS)}"},
        lambda r: T0 + 31 * TICKS <= r.end < T0 + 61 * TICKS,
    ),
    ("remote equals bare", {"remoteParty": "+390571000000"}, lambda r: r.remote == "+390571000000"),
    ("remote contains", {"remoteParty": "contains:+39"}, lambda r: "+39" in r.remote),
    ("remote contains middle", {"remoteParty": "contains:055"}, lambda r: "055" in r.remote),
    ("remote case-insensitive", {"remoteParty": "contains:abc"}, lambda r: "abc" in r.remote.lower()),
    ("remote escaped ;", {"remoteParty": "equals:a\\;b"}, lambda r: r.remote == "a;b"),
    ("remote escaped ; bare", {"remoteParty": "a\\;b"}, lambda r: r.remote == "a;b"),
    ("remote non-operator prefix", {"remoteParty": "c:\\\\x"}, lambda r: r.remote == "c:\\x"),
    ("remote literal operator", {"remoteParty": "equals:contains:x"}, lambda r: r.remote == "contains:x"),
    ("remote literal equals:", {"remoteParty": "equals:equals:x"}, lambda r: r.remote == "equals:x"),
    ("remote contains x", {"remoteParty": "contains:x"}, lambda r: "x" in r.remote.lower()),
    (
        "uppercase operator is operand",
        {"remoteParty": "Contains:X"},
        lambda r: r.remote.lower() == "contains:x",
    ),
    ("remote both escapes", {"remoteParty": "x\\\\\\;y"}, lambda r: r.remote == "x\\;y"),
    ("remote contains escaped ;", {"remoteParty": "contains:\\;"}, lambda r: ";" in r.remote),
    (
        "remote non-ASCII case",
        {"remoteParty": "contains:äöü STRAßE"},
        lambda r: "äöü straße" in r.remote.lower(),
    ),
    ("lower() not casefold()", {"remoteParty": "contains:strasse"}, lambda r: "strasse" in r.remote.lower()),
    (
        "dotted capital I",
        {"remoteParty": "contains:İSTANBUL"},
        lambda r: "İSTANBUL".lower() in r.remote.lower(),
    ),
    ("dotless i differs", {"remoteParty": "contains:istanbul"}, lambda r: "istanbul" in r.remote.lower()),
    ("local plain", {"localPartyNumber": "101"}, lambda r: r.local == "101"),
    ("local plain non-ASCII case", {"localPartyNumber": "äbc"}, lambda r: r.local.lower() == "äbc"),
    ("local plain has no operators", {"localPartyNumber": "contains:1"}, lambda r: False),
    ("local empty matches nothing", {"localPartyNumber": ""}, lambda r: False),
    ("owner plain", {"ownerUsername": "bob"}, lambda r: r.owner.lower() == "bob"),
    ("owner case-insensitive", {"ownerUsername": "admin"}, lambda r: r.owner.lower() == "admin"),
    ("owner non-ASCII", {"ownerUsername": "émile"}, lambda r: r.owner == "Émile"),
    ("owner empty matches nothing", {"ownerUsername": ""}, lambda r: False),
    ("direction 0", {"direction": "0"}, lambda r: r.direction == 0),
    ("direction 2", {"direction": "2"}, lambda r: r.direction == 2),
    ("unknown params ignored", {"remotePartyNumber": "nothing", "foo": "bar"}, lambda r: True),
    (
        "AND of everything",
        {
            "startTime": "after:" + fmt(T0 - 1),
            "endTime": "before:" + fmt(T0 + 61 * TICKS),
            "remoteParty": "contains:x",
            "ownerUsername": "ADMIN",
            "direction": "2",
        },
        lambda r: (
            r.start > T0 - 1
            and r.end < T0 + 61 * TICKS
            and "x" in r.remote.lower()
            and r.owner.lower() == "admin"
            and r.direction == 2
        ),
    ),
]


@pytest.mark.parametrize(("name", "params", "pred"), CASES, ids=[c[0] for c in CASES])
def test_filter(admin, data, name, params, pred):
    expected = _expected(data, pred)
    total, ids = _ids(admin, params)
    assert ids == expected
    assert total == len(expected)


TRIVIAL_ON_PURPOSE = {
    "no filter",
    "unknown params ignored",
    "between T1 > T2 is empty",
    "between T1 = T2 is empty",
    "lower() not casefold()",
    "dotless i differs",
    "local plain has no operators",
    "local empty matches nothing",
    "owner empty matches nothing",
}


def test_cases_are_selective(data):
    """Guard against vacuous cases: apart from those meant to select all or nothing, every case must
    select a strict, non-empty subset of the dataset, so an emulator ignoring the filter would fail it."""
    for name, _, pred in CASES:
        n = len(_expected(data, pred))
        assert (0 < n < len(data)) != (name in TRIVIAL_ON_PURPOSE), name


INVALID = [
    ("startTime", "foo:" + fmt(T0)),
    ("startTime", "Before:" + fmt(T0)),
    ("startTime", "yesterday"),
    ("startTime", ""),
    ("startTime", "equals:"),
    ("startTime", "after:"),
    ("startTime", "between:" + fmt(T0)),
    ("startTime", f"between:{fmt(T0)};{fmt(T1S)};{fmt(T1S)}"),
    ("startTime", f"between:{fmt(T0)}\\;{fmt(T1S)}"),
    ("startTime", f"between:;{fmt(T1S)}"),
    ("startTime", "after:" + fmt(T0)[:-1] + "\\Z"),
    ("startTime", "2020-13-01T00:00:00Z"),
    ("startTime", "2021-02-29T00:00:00Z"),
    ("startTime", "2020-01-01T24:00:00Z"),
    ("startTime", "2020-01-01T00:00:00.12345678Z"),
    ("startTime", "2020-01-01T00:00:00.Z"),
    ("startTime", "2020-01-01 00:00:00Z"),
    ("startTime", "2020-01-01T00:00:00+2:00"),
    ("startTime", "2020-01-01"),
    ("endTime", "before:tomorrow"),
    ("endTime", "contains:2020-01-01T00:00:00Z"),
    ("remoteParty", ""),
    ("remoteParty", "equals:"),
    ("remoteParty", "contains:"),
    ("remoteParty", "a;b"),
    ("remoteParty", "contains:x;y"),
    ("remoteParty", "a\\b"),
    ("remoteParty", "a\\"),
    ("remoteParty", "contains:\\"),
    ("direction", "3"),
    ("direction", "x"),
    ("direction", ""),
    ("direction", "-1"),
]


def _stable_id(param: str, value: str) -> str:
    """The case's id without its clock-derived date-times: ids must not change with the second the
    module was imported in (pytest-xdist workers compare what they collected)."""
    return f"{param}-" + re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?", "T", value)


@pytest.mark.parametrize(("param", "value"), INVALID, ids=[_stable_id(p, v) for p, v in INVALID])
def test_invalid_filter_is_reason_0(admin, param, value):
    r = admin.get(RECORDINGS, params={param: value})
    assert r.status_code == 400, r.text
    assert r.json()["reason"] == 0
    assert isinstance(r.json()["message"], str)


def test_paging_walks_the_full_order(admin, data):
    everything = _expected(data, lambda r: True)
    for size in (1, 3, 4, len(data), len(data) + 5):
        walked = []
        page = 0
        while True:
            total, ids = _ids(admin, {"page": str(page), "pageSize": str(size)})
            assert total == len(data)
            assert len(ids) == min(size, max(len(data) - page * size, 0))
            if not ids:
                break
            walked += ids
            page += 1
        assert walked == everything


PAGED = [c for c in CASES if len(_expected(_dataset(), c[2])) >= 3]


@pytest.mark.parametrize(("name", "params", "pred"), PAGED, ids=[c[0] for c in PAGED])
def test_every_page_of_a_filter(admin, data, name, params, pred):
    """Each page of each filter with 3+ matches, page size 2: the emulator finds a page other than the
    first by skipping index entries from the nearer end of the matches, then seeking to the page's
    first row, so both ends, ties in startTime and every index it may choose are walked here."""
    expected = _expected(data, pred)
    for page in range(len(expected) // 2 + 2):
        total, ids = _ids(admin, {**params, "page": str(page), "pageSize": "2"})
        assert total == len(expected)
        assert ids == expected[2 * page : 2 * page + 2], page


def test_paging_with_a_filter(admin, data):
    matching = _expected(data, lambda r: "+39" in r.remote)
    total, ids = _ids(admin, {"remoteParty": "contains:+39", "pageSize": "2", "page": "1"})
    assert total == len(matching)
    assert ids == matching[2:4]


def test_page_past_the_end_is_empty_with_the_same_total(admin, data):
    total, ids = _ids(admin, {"page": "1000", "pageSize": "5"})
    assert (total, ids) == (len(data), [])
    total, ids = _ids(admin, {"page": str(2**31 - 1), "pageSize": str(2**31 - 1)})
    assert (total, ids) == (len(data), [])
    total, ids = _ids(admin, {"page": "0" * 30 + "1", "pageSize": "0" * 30 + str(len(data))})
    assert (total, ids) == (len(data), [])  # leading zeros are still the integer they spell


def test_page_without_page_size_is_ignored(admin, data):
    assert _ids(admin, {"page": "3"}) == (len(data), _expected(data, lambda r: True))


def test_page_size_alone_is_the_first_page(admin, data):
    assert _ids(admin, {"pageSize": "2"})[1] == _expected(data, lambda r: True)[:2]


@pytest.mark.parametrize(
    "params",
    [
        {"page": "-1", "pageSize": "2"},
        {"page": "x", "pageSize": "2"},
        {"page": "1.5", "pageSize": "2"},
        {"page": "", "pageSize": "2"},
        {"page": "0", "pageSize": "0"},
        {"page": "0", "pageSize": "-3"},
        {"pageSize": "two"},
        {"pageSize": str(2**31)},
        {"page": str(2**31), "pageSize": "1"},
        {"page": "-1"},
        {"page": "1" * 5000, "pageSize": "1"},
        {"page": "0", "pageSize": "9" * 20},
    ],
)
def test_invalid_paging_is_reason_1(admin, params):
    r = admin.get(RECORDINGS, params=params)
    assert r.status_code == 400, r.text
    assert r.json()["reason"] == 1

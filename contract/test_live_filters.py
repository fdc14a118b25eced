"""listActiveRecordings filters by line and by user, combined with AND (reference 2.3).

Invariant: with two users' lines both recorded, every documented filter (``deviceName``,
``directoryNumber``, ``username``, ``numericUserId``) given one user's value lists exactly that user's
recording; filters naming the same user combine to it, filters naming different users (AND) and
values nobody has list ``[]``; no filter lists both. Beyond those named cases, a covering array
over the four filters (each absent, line A's, line B's or nobody's value) sends every pair of them,
three and four at once too; the report shows its pair coverage.

Why a check of its own: the live state machine reads the unfiltered list and the other live checks
use ``deviceName`` and ``directoryNumber`` only as a look-up, so a server ignoring ``username`` or
``numericUserId`` would pass them all. Runs on a lab with two declared standing-call lines of
different roles (a target file declares no Numeric User ID: that filter is then asked only with a
value nobody has, which still catches a server ignoring it); on the emulator with two fresh users
and placed calls.
"""

from __future__ import annotations

import pytest

from contract import api, expect
from contract.client import ApiClient, Reply
from contract.live_model import require_unrecorded
from contract.pair_ledger import PairLedger
from contract.scene import Line, Scene, User
from strategies.pairwise import covering_rows

CHECK = "live list filters (AND)"
FILTERS = ("deviceName", "directoryNumber", "username", "numericUserId")


def filter_values(owner: User | None, line: Line) -> dict[str, str]:
    """The line's value for each documented filter it can be given: its device and number, its
    owner's username and Numeric User ID. A lab declares no Numeric User ID (and a line may have no
    owner with credentials): such filters are then only asked with values nobody has."""
    values = {
        "deviceName": line.device_name,
        "directoryNumber": line.directory_number,
        "username": owner.username if owner is not None else line.username,
        "numericUserId": owner.numeric_user_id if owner is not None else None,
    }
    return {name: str(value) for name, value in values.items() if value}


def listed_ids(admin: ApiClient, params: dict[str, str], why: str) -> tuple[Reply, list[str]]:
    """The ids the filtered live list answers, sorted; duplicates are kept so they show."""
    reply = api.list_active(admin, **params)
    expect.status(reply, 200, check=CHECK, why=f"level 10 lists active recordings with {why}")
    body = expect.json_body(reply, check=CHECK)
    expect.that(
        isinstance(body, list),
        reply,
        check=CHECK,
        title="listActiveRecordings did not answer a JSON array",
        expected="LiveRecording[]",
        actual=type(body).__name__,
    )
    return reply, sorted(str(item.get("id", "")).lower() for item in body if isinstance(item, dict))


def filter_cases(
    va: dict[str, str], vb: dict[str, str], ra: str, rb: str, scene: Scene
) -> list[tuple[dict[str, str], list[str]]]:
    """(filters, the recordings they must list): each filter alone, every filter of one line
    together, ``username`` with a same-line and a cross-line value, two cross-line pairs, values
    nobody has. Only the filters both lines have values for are combined."""
    cases: list[tuple[dict[str, str], list[str]]] = []
    for values, rec in ((va, ra), (vb, rb)):
        cases += [({name: value}, [rec]) for name, value in values.items()]
    cases.append((dict(va), [ra]))
    if "username" in va and "username" in vb:
        for name in ("deviceName", "directoryNumber", "numericUserId"):
            if name in va and name in vb:
                cases.append(({"username": va["username"], name: va[name]}, [ra]))
                cases.append(({"username": va["username"], name: vb[name]}, []))
    cases.append(({"deviceName": va["deviceName"], "directoryNumber": vb["directoryNumber"]}, []))
    if "numericUserId" in vb:
        cases.append(({"numericUserId": vb["numericUserId"], "deviceName": va["deviceName"]}, []))
    cases += [
        ({"username": scene.name("nobody")}, []),
        ({"numericUserId": scene.number()}, []),
        ({"deviceName": f"SEP{scene.number()}"}, []),
        ({"directoryNumber": scene.number()}, []),
    ]
    return cases


WHOSE = ("absent", "a", "b", "nobody")
"""Each filter's value in a covering-array row: not sent, line A's, line B's, a value nobody has."""


def pair_dimensions(va: dict[str, str], vb: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Every filter with the values this scene can give it (a lab declares no Numeric User ID)."""
    return {
        name: tuple(w for w in WHOSE if w in ("absent", "nobody") or name in (va if w == "a" else vb))
        for name in FILTERS
    }


def pair_case(
    row: dict[str, str], va: dict[str, str], vb: dict[str, str], ra: str, rb: str, nobody: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """The filters of a row and what they must list: a line's recording when every filter sent
    holds that line's value (2.3: AND), none when any holds another line's or nobody's."""
    values = {"a": va, "b": vb}
    params = {
        name: (nobody[name] if whose == "nobody" else values[whose][name])
        for name, whose in row.items()
        if whose != "absent"
    }
    sent = [whose for whose in row.values() if whose != "absent"]
    want = [rec for line, rec in (("a", ra), ("b", rb)) if all(w == line for w in sent)]
    return params, want


@pytest.mark.recqual(
    family="filters",
    operation="listActiveRecordings",
    check=CHECK,
    needs=("lines",),
)
def test_live_list_filters(scene: Scene, admin: ApiClient, pairs: PairLedger) -> None:
    """Each filter alone, same-line and cross-line combinations, unknown values (reference 2.3).

    Needs two lines with calls and distinct owners: on a lab two declared standing-call lines with
    different roles; the Numeric User ID is then asked only with a value nobody has."""
    lines = scene.lines_with_calls(2, stem="livefilter")
    recs: list[str] = []
    for _, call in lines:
        line = call.line
        require_unrecorded(admin, line.device_name, line.directory_number)
        body = {"deviceName": line.device_name, "directoryNumber": line.directory_number}
        reply = api.start(admin, body)
        expect.status(reply, 201, check="set-up: start", why=f"{body}: a connected, unrecorded line")
        recs.append(str(reply.json()["id"]).lower())
    (oa, ca), (ob, cb) = lines
    va, vb = filter_values(oa, ca.line), filter_values(ob, cb.line)

    _, everything = listed_ids(admin, {}, "no filter")
    expect.that(
        set(recs) <= set(everything),
        None,
        check=CHECK,
        title="with no filter, not every active recording is listed",
        expected=f"at least {sorted(recs)}",
        actual=everything,
        operation="listActiveRecordings",
    )
    nobody = {
        "deviceName": f"SEP{scene.number()}",
        "directoryNumber": scene.number(),
        "username": scene.name("nobody"),
        "numericUserId": scene.number(),
    }
    dimensions = pair_dimensions(va, vb)
    rows = covering_rows(dimensions)
    cases = filter_cases(va, vb, recs[0], recs[1], scene)
    cases += [pair_case(row, va, vb, recs[0], recs[1], nobody) for row in rows]  # type: ignore[arg-type]
    done = 0
    try:
        for params, want in cases:
            reply, got = listed_ids(admin, params, f"filters {params}")
            expect.that(
                got == sorted(want),
                reply,
                check=CHECK,
                title=f"filters {params} do not list exactly the matching recordings"
                + (" (no match must be [])" if not want else ""),
                expected=sorted(want),
                actual=got,
            )
            done += 1
    finally:
        ran = rows[: max(0, done - (len(cases) - len(rows)))]
        pairs.record("listActiveRecordings", ran, dimensions)

"""listActiveRecordings filters by line and by user, combined with AND (reference 2.3).

Invariant: with two users each recording their own line, every documented filter (``deviceName``,
``directoryNumber``, ``username``, ``numericUserId``) given one user's value lists exactly that user's
recording; filters naming the same user combine to it, filters naming different users (AND) and
values nobody has list ``[]``; no filter lists both.

Why a check of its own: the live state machine reads the unfiltered list and the other live checks
use ``deviceName`` only as a look-up, so a server ignoring ``username`` or ``numericUserId`` would pass
them all. Needs the emulator control plane (users with a Numeric User ID, placed calls).
"""

from __future__ import annotations

import pytest

from contract import api, expect
from contract.client import ApiClient, Reply
from contract.scene import Scene, User

CHECK = "live list filters (AND)"
FILTERS = ("deviceName", "directoryNumber", "username", "numericUserId")


def filter_values(user: User) -> dict[str, str]:
    """The user's value for each documented filter: its own line, its name, its Numeric User ID."""
    values = {
        "deviceName": user.device_name,
        "directoryNumber": user.extension,
        "username": user.username,
        "numericUserId": user.numeric_user_id,
    }
    missing = [name for name, value in values.items() if not value]
    assert not missing, f"scene user {user.username} lacks {missing}"
    return {name: str(value) for name, value in values.items()}


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


@pytest.mark.recqual(
    family="filters",
    operation="listActiveRecordings",
    check=CHECK,
    needs=("emulator",),
)
def test_live_list_filters(scene: Scene, admin: ApiClient) -> None:
    """Each filter alone, same-user and cross-user combinations, unknown values (reference 2.3)."""
    users = [scene.new_user(1, stem="livefilter") for _ in range(2)]
    recs: dict[str, str] = {}
    for user in users:
        assert user.line is not None
        scene.connect(user.line)
        reply = api.start(admin, {"deviceName": user.line.device_name})
        expect.status(reply, 201, check="set-up: start", why="a connected, unrecorded line")
        recs[user.username] = str(reply.json()["id"]).lower()
    a, b = users
    va, vb = filter_values(a), filter_values(b)

    _, everything = listed_ids(admin, {}, "no filter")
    expect.that(
        set(recs.values()) <= set(everything),
        None,
        check=CHECK,
        title="with no filter, not every active recording is listed",
        expected=f"at least {sorted(recs.values())}",
        actual=everything,
        operation="listActiveRecordings",
    )

    cases: list[tuple[dict[str, str], list[str]]] = []
    for user, values in ((a, va), (b, vb)):
        cases += [({name: values[name]}, [recs[user.username]]) for name in FILTERS]
    cases.append((dict(va), [recs[a.username]]))
    for name in ("deviceName", "directoryNumber", "numericUserId"):
        cases.append(({"username": va["username"], name: va[name]}, [recs[a.username]]))
        cases.append(({"username": va["username"], name: vb[name]}, []))
    cases.append(({"deviceName": va["deviceName"], "directoryNumber": vb["directoryNumber"]}, []))
    cases.append(({"numericUserId": vb["numericUserId"], "deviceName": va["deviceName"]}, []))
    cases += [
        ({"username": scene.name("nobody")}, []),
        ({"numericUserId": scene.number()}, []),
        ({"deviceName": f"SEP{scene.number()}"}, []),
        ({"directoryNumber": scene.number()}, []),
    ]
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

"""Who may do what (reference section 5, A-15): 401 without valid credentials, 403 beyond one's level.

Invariants:

- missing or wrong credentials are 401 on every operation, whatever else is wrong with the request
  (documented: Basic auth on every operation, 401 = authentication failed);
- each level gets exactly its rights, on an otherwise valid request so that no other error applies
  (the order of 400/403/404 when several apply is left open by the reference, so never tested):
  level 10 everything; levels 1/2 their own line (start with no body, /Mine, own device/DN) and
  403 on other lines (documented); level 2 also lists/gets/downloads its *own* completed recordings,
  others' are 403 and absent from the list (A-15); level 0 is 403 on everything (A-15);
- ``/Mine`` lists exactly the caller's live recordings.

A trivial server that allows everything fails the 403 rows; one that forbids everything fails the
allowed rows.

The matrix runs on the emulator and on a lab alike (a lab: declared role users and standing-call
lines, see "the level matrix" below), with every upload dated inside ``scene.upload_window``. On a lab
whose role has no standing-call line but a declared own line with no call, the own-line rows run there:
403 where the level is refused, the "no call / no live recording" answer where it is allowed (409;
``/Mine`` 200 without the other user's recording): not 403 proves the permission passed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from contract import api, expect
from contract.client import ApiClient, Credentials, Reply
from contract.credential_variants import unknown_username
from contract.scene import Call, Scene, User
from recqual.target_config import LEVELS
from strategies import audio

READ_OPS = (
    "listRecordings",
    "getRecording",
    "downloadRecording",
    "listActiveRecordings",
    "listMyActiveRecordings",
)
ALL_OPS = tuple(api.OPERATIONS)


def harmless_request(op: str) -> Callable[[ApiClient], Reply]:
    """A request that changes nothing even if a faulty server executed it without credentials."""
    ghost = str(uuid.uuid4())
    nowhere = "rq-no-such-line-" + ghost[:8]
    requests: dict[str, Callable[[ApiClient], Reply]] = {
        "listRecordings": lambda c: api.list_recordings(c, {"localPartyNumber": nowhere}),
        "getRecording": lambda c: api.get_recording(c, ghost),
        "downloadRecording": lambda c: api.download_recording(c, ghost),
        "uploadRecording": lambda c: api.upload_recording(
            c, {"startDateTime": "x"}, b"not audio", "audio/wav"
        ),
        "listActiveRecordings": lambda c: api.list_active(c, deviceName=nowhere),
        "listMyActiveRecordings": lambda c: api.list_mine(c),
        "startRecording": lambda c: api.start(c, {"deviceName": nowhere, "directoryNumber": nowhere}),
        "stopRecordingByLine": lambda c: api.stop_by_line(c, nowhere, nowhere),
        "stopRecording": lambda c: api.stop(c, ghost),
        "stopMyRecording": lambda c: api.stop_mine(c),
        "pauseRecording": lambda c: api.pause(c, ghost),
        "resumeRecording": lambda c: api.resume(c, ghost),
        "pauseRecordingsByLine": lambda c: api.pause_by_line(c, nowhere),
        "resumeRecordingsByLine": lambda c: api.resume_by_line(c, nowhere),
    }
    return requests[op]


def _params(ops: tuple[str, ...]) -> list[Any]:
    return [pytest.param(op, id=op) for op in ops]


@pytest.mark.recqual(family="auth", operation="(each)", check="missing credentials are 401", writes=False)
@pytest.mark.parametrize("operation", _params(READ_OPS))
def test_missing_credentials_read(operation: str, scene: Scene) -> None:
    reply = harmless_request(operation)(scene.api.as_user(None))
    expect.status(reply, 401, check="missing credentials are 401", why="no Authorization header")


@pytest.mark.recqual(family="auth", operation="(each)", check="missing credentials are 401")
@pytest.mark.parametrize("operation", _params(tuple(op for op in ALL_OPS if op not in READ_OPS)))
def test_missing_credentials_write(operation: str, scene: Scene) -> None:
    reply = harmless_request(operation)(scene.api.as_user(None))
    expect.status(reply, 401, check="missing credentials are 401", why="no Authorization header")


def _wrong(scene: Scene) -> ApiClient:
    """A wrong password: for the real admin on the emulator; elsewhere for a username that does not
    exist, derived from the admin's, because 14 failed logins would lock a directory account (a real
    account's near misses are ``test_credentials.py``'s, within its per-account budget)."""
    admin = scene.user("l10").credentials
    username = admin.username if scene.is_emulator else unknown_username(admin.username, scene.prefix)
    return scene.api.as_user(Credentials(username, admin.password + "-wrong", "wrong-password"))


_WRONG_WHY = "the admin's username (outside the emulator an unknown one derived from it), a wrong password"


@pytest.mark.recqual(family="auth", operation="(each)", check="wrong password is 401", writes=False)
@pytest.mark.parametrize("operation", _params(READ_OPS))
def test_wrong_password_read(operation: str, scene: Scene) -> None:
    reply = harmless_request(operation)(_wrong(scene))
    expect.status(reply, 401, check="wrong password is 401", why=_WRONG_WHY)


@pytest.mark.recqual(family="auth", operation="(each)", check="wrong password is 401")
@pytest.mark.parametrize("operation", _params(tuple(op for op in ALL_OPS if op not in READ_OPS)))
def test_wrong_password_write(operation: str, scene: Scene) -> None:
    reply = harmless_request(operation)(_wrong(scene))
    expect.status(reply, 401, check="wrong password is 401", why=_WRONG_WHY)


@pytest.mark.recqual(family="auth", operation="(each)", check="malformed Authorization is 401", writes=False)
@pytest.mark.parametrize("operation", _params(READ_OPS))
@pytest.mark.parametrize("header", ["Basic", "Basic !!!notbase64", "Bearer abc", "Basic " + "Og=="])
def test_malformed_authorization(operation: str, header: str, scene: Scene) -> None:
    reply = _with_authorization(scene, operation, header)
    expect.status(reply, 401, check="malformed Authorization is 401", why=f"Authorization: {header!r}")


def _with_authorization(scene: Scene, operation: str, header: str) -> Reply:
    method, path = api.OPERATIONS[operation]
    path = path.replace("{id}", str(uuid.uuid4()))
    return scene.api.request(method, path, operation=operation, authorization=header)


# --------------------------------------------------------------------------------- the level matrix
#
# Who plays which part. Emulator: the caller is a fresh user of the role's level, "another user" a
# fresh Record Only user, and each line with a call is placed for the row. Any other server (a lab):
# the caller is the declared role user, "another user" another declared role user, and the lines with
# calls are the declared standing-call lines (``scene.line_with_call``): the caller's own line is one
# declared with the caller's role, another's line one declared with another role; a row whose line the
# target file lacks is skipped, saying which. A lab role with no standing-call line of its own but a
# declared own line with ``call = "none"`` (``scene.idle_line(role=...)``) plays its own-line rows there
# (see ``IDLE_ANSWERS``); only the rows acting on a live recording of that line by id stay skipped.
# Completed recordings are uploaded by level 10, dated inside the server's upload window, owned by the
# caller or by the other user; on a lab the recordings already there belong to others too, so a level-2
# listing is judged item by item (every recording it shows must be the caller's), never only against
# what this run uploaded.

LIVE_SCENE_OPS = frozenset(
    {
        "listActiveRecordings",
        "startRecording",
        "stopRecordingByLine",
        "stopMyRecording",
        "stopRecording",
        "pauseRecording",
        "resumeRecording",
        "pauseRecordingsByLine",
        "resumeRecordingsByLine",
    }
)
"""Operations whose row needs one line with a connected call: the caller's own, or another user's."""


@dataclass
class Situation:
    """An otherwise-valid request for ``op`` by ``caller``, on their own or someone else's resource."""

    caller: User
    send: Callable[[ApiClient], Reply] = api.list_mine
    own_ids: set[str] = field(default_factory=set)
    other_ids: set[str] = field(default_factory=set)
    idle: bool = False
    """The caller's own line is a declared line with no connected call (a lab; see ``IDLE_ANSWERS``)."""


def _caller(scene: Scene, role: str) -> User:
    """The row's caller: a fresh user of the role's level (emulator) or the declared role user (lab)."""
    if scene.is_emulator:
        return scene.new_user(LEVELS[role], stem=f"auth{role}")
    return scene.user(role)


def _other_user(scene: Scene, role: str, caller: User) -> User:
    """Someone else, to own the recordings the caller must not see: a fresh Record Only user
    (emulator), or another declared role user (lab)."""
    if scene.is_emulator:
        return scene.new_user(1, stem="other")
    for other_role in ("l1", "l2", "l10", "l0"):
        user = scene.users.get(other_role)
        if other_role != role and user is not None and user.username.lower() != caller.username.lower():
            return user
    pytest.skip(
        f"needs a second declared user besides {role} (a [credentials.<another role>] entry) to own the "
        f"recordings level {LEVELS[role]} must not see"
    )


def _own_line(scene: Scene, role: str) -> tuple[User, Call]:
    """The caller and a connected call on the caller's own line."""
    if not scene.is_emulator:
        scene.user(role)  # without the role's credentials, that is the reason to give
    owner, call = scene.line_with_call(role=role, stem=f"auth{role}")
    assert owner is not None, "a line lent for a role has that role's user as its owner"
    return owner, call


def _other_line(scene: Scene, role: str) -> Call:
    """A connected call on a line that is not the caller's own (another user's line)."""
    return scene.line_with_call(stem="other", not_role=role)[1]


def _live_on(admin: ApiClient, call: Call, *, paused: bool = False) -> str:
    """A live recording of ``call``, started (and paused) by level 10; its id."""
    line = call.line
    reply = api.start(admin, {"deviceName": line.device_name, "directoryNumber": line.directory_number})
    expect.status(reply, 201, check="set-up: start a recording", why="level 10 starts a connected line")
    rec = str(reply.json()["id"])
    if paused:
        expect.status(api.pause(admin, rec), 204, check="set-up: pause", why="level 10 pauses it")
    return rec


def _completed_for(scene: Scene, admin: ApiClient, user: User, number: str | None = None) -> str:
    """A completed recording owned by ``user`` (uploaded by level 10 with localParty = user), dated an
    hour ago by the server's clock (inside any retention)."""
    meta = {
        "startDateTime": scene.upload_window.hours_ago(1).isoformat(),
        "duration": "PT1S",
        "direction": 2,
        "localParty": {"username": user.username, "phoneNumber": number or user.extension or scene.number()},
        "remoteParty": {"phoneNumber": scene.number()},
    }
    reply = api.upload_recording(admin, meta, audio.wav("pcm16", seconds=0.2), "audio/wav")
    expect.status(reply, 201, check="set-up: upload", why="level 10 uploads a recording")
    return str(reply.json()["id"])


BY_ID_OPS = ("stopRecording", "pauseRecording", "resumeRecording")
"""Own-line rows that act on a live recording of the caller's own line by its id."""


def _idle_situation(scene: Scene, admin: ApiClient, role: str, op: str, variant: str) -> Situation:
    """An own-line row on the caller's declared line with no call (a lab role without a standing-call
    line): the same request as on a line with a call, where no recording can exist."""
    caller = scene.user(role)
    if op in BY_ID_OPS:
        pytest.skip(
            f'needs a standing-call line of role {role} (a [[lines]] entry with role = "{role}" and '
            f'call = "standing"): {op} acts by id on a live recording of the caller\'s own line, and its '
            "declared line has no call"
        )
    try:
        line = scene.idle_line(role=role)
    except pytest.skip.Exception:
        pytest.skip(
            f'needs a declared [[lines]] entry with role = "{role}" (the own line of that role\'s user): '
            'call = "standing" for every own-line row, or call = "none" for those that need no live '
            "recording; this target file declares none (among its usable lines)"
        )
    s = Situation(caller, idle=True)
    if op == "listMyActiveRecordings":
        s.other_ids.add(_live_on(admin, _other_line(scene, role)))
    elif op == "listActiveRecordings":
        s.send = lambda c: api.list_active(c, deviceName=line.device_name)
    elif op == "startRecording":
        body = {"deviceName": line.device_name, "directoryNumber": line.directory_number}
        s.send = (lambda c: api.start(c)) if variant == "own-nobody" else (lambda c: api.start(c, body))
    elif op == "stopRecordingByLine":
        s.send = lambda c: api.stop_by_line(c, line.device_name, line.directory_number)
    elif op == "stopMyRecording":
        s.send = api.stop_mine
    elif op == "pauseRecordingsByLine":
        s.send = lambda c: api.pause_by_line(c, line.directory_number)
    elif op == "resumeRecordingsByLine":
        s.send = lambda c: api.resume_by_line(c, line.directory_number)
    return s


def build(scene: Scene, admin: ApiClient, role: str, op: str, variant: str) -> Situation:
    """Set the scene for (role, op, variant) and return the request to send as the caller."""
    own = variant.startswith("own")
    if own and (op in LIVE_SCENE_OPS or op == "listMyActiveRecordings") and not scene.has_standing_line(role):
        return _idle_situation(scene, admin, role, op, variant)  # a lab only: the emulator makes its lines
    if op in LIVE_SCENE_OPS:
        if own:
            caller, call = _own_line(scene, role)
        else:
            caller, call = _caller(scene, role), _other_line(scene, role)
        return _live_situation(admin, caller, call, op, variant)
    if op == "listMyActiveRecordings":
        caller, own_call = _own_line(scene, role)
        s = Situation(caller, api.list_mine)
        s.own_ids.add(_live_on(admin, own_call))
        s.other_ids.add(_live_on(admin, _other_line(scene, role)))
        return s
    caller = _caller(scene, role)
    s = Situation(caller)
    if op == "listRecordings":
        other = _other_user(scene, role, caller)
        # a run-unique local number: the answer holds this row's two recordings, whatever else exists
        number = scene.number()
        s.own_ids.add(_completed_for(scene, admin, caller, number))
        s.other_ids.add(_completed_for(scene, admin, other, number))
        s.send = lambda c: api.list_recordings(c, {"localPartyNumber": number})
    elif op in ("getRecording", "downloadRecording"):
        rec = _completed_for(scene, admin, caller if own else _other_user(scene, role, caller))
        s.send = (
            (lambda c: api.get_recording(c, rec))
            if op == "getRecording"
            else (lambda c: api.download_recording(c, rec))
        )
    elif op == "uploadRecording":
        meta = {
            "startDateTime": scene.upload_window.hours_ago(2).isoformat(),
            "duration": "PT1S",
            "direction": 1,
            "localParty": {"username": caller.username, "phoneNumber": caller.extension or scene.number()},
        }
        s.send = lambda c: api.upload_recording(c, meta, audio.wav("pcm16", seconds=0.2), "audio/wav")
    return s


def _live_situation(admin: ApiClient, caller: User, call: Call, op: str, variant: str) -> Situation:
    """A live operation by ``caller`` on ``call``'s line (the caller's own, or another user's)."""
    line = call.line
    s = Situation(caller)
    if op == "listActiveRecordings":
        _live_on(admin, call)
        s.send = lambda c: api.list_active(c, deviceName=line.device_name)
    elif op == "startRecording":
        body = {"deviceName": line.device_name, "directoryNumber": line.directory_number}
        s.send = (lambda c: api.start(c)) if variant == "own-nobody" else (lambda c: api.start(c, body))
    elif op == "stopRecordingByLine":
        _live_on(admin, call)
        s.send = lambda c: api.stop_by_line(c, line.device_name, line.directory_number)
    elif op == "stopMyRecording":
        _live_on(admin, call)
        s.send = api.stop_mine
    elif op in ("stopRecording", "pauseRecording"):
        rec = _live_on(admin, call)
        s.send = (lambda c: api.stop(c, rec)) if op == "stopRecording" else (lambda c: api.pause(c, rec))
    elif op == "resumeRecording":
        rec = _live_on(admin, call, paused=True)
        s.send = lambda c: api.resume(c, rec)
    elif op == "pauseRecordingsByLine":
        _live_on(admin, call)
        s.send = lambda c: api.pause_by_line(c, line.directory_number)
    elif op == "resumeRecordingsByLine":
        _live_on(admin, call, paused=True)
        s.send = lambda c: api.resume_by_line(c, line.directory_number)
    return s


SUCCESS = {op: 200 if method == "GET" else 204 for op, (method, _) in api.OPERATIONS.items()}
SUCCESS.update(uploadRecording=201, startRecording=201)

OWN_LINE_OPS = (
    "startRecording",
    "stopRecordingByLine",
    "stopRecording",
    "pauseRecording",
    "resumeRecording",
    "pauseRecordingsByLine",
    "resumeRecordingsByLine",
)
"""Live operations a user may run on their own line (A-15) and only level 10 on others' (documented)."""


def expected(role: str, op: str, variant: str) -> tuple[int, str]:
    """(status, provenance) the reference predicts for ``role`` doing ``op`` on ``variant``."""
    level = LEVELS[role]
    if level == 10:
        return SUCCESS[op], "documented"
    if level == 0:
        return 403, "A-15"
    if op in OWN_LINE_OPS:
        if variant == "other":
            return 403, "documented"
        return SUCCESS[op], "A-15"
    if op in ("stopMyRecording", "listMyActiveRecordings"):
        return SUCCESS[op], "A-15"
    if op == "listActiveRecordings":
        return 403, "documented"
    if op == "uploadRecording":
        return 403, "A-15"
    if op in ("getRecording", "downloadRecording"):
        if level == 2 and variant == "own":
            return 200, "documented"
        return 403, "A-15"
    if op == "listRecordings":
        return (200, "A-15") if level == 2 else (403, "A-15")
    raise AssertionError(f"no expectation for {role} {op} {variant}")  # pragma: no cover


IDLE_ANSWERS: dict[str, tuple[int, str]] = {
    "startRecording": (409, "A-16"),  # no connected call [doc]; a user's own line is known
    "stopRecordingByLine": (409, "A-16,A-17"),  # no live recording on that line [doc]; known line: A-16/17
    "pauseRecordingsByLine": (409, "A-16,A-17"),  # none on the line [doc]
    "resumeRecordingsByLine": (409, "A-16,A-17"),
    "stopMyRecording": (409, "documented"),  # the caller has no active recording
    "listMyActiveRecordings": (200, "documented"),  # none of the caller's: the other's is still absent
    "listActiveRecordings": (200, "documented"),
}
"""What an allowed own-line row answers on the caller's line with no connected call: the documented
state answer (not 403) proves the permission passed, which is what the row checks. A refused row stays
403 with its own provenance: permission is judged first, a line with no call changes nothing."""


def _joined(*provenances: str) -> str:
    """One provenance for a row resting on several: ``documented`` only when every part is."""
    parts = sorted({p for prov in provenances for p in prov.split(",") if p != "documented"})
    return ",".join(parts) if parts else "documented"


def expected_on_idle_line(role: str, op: str, variant: str) -> tuple[int, str]:
    """(status, provenance) for an own-line row played on the caller's line with no call."""
    status, provenance = expected(role, op, variant)
    if status == 403:
        return status, provenance
    answer, state = IDLE_ANSWERS[op]
    return answer, _joined(provenance, state)


def _variants(op: str) -> tuple[str, ...]:
    if op == "startRecording":
        return ("own-nobody", "own", "other")
    if op in OWN_LINE_OPS or op in ("getRecording", "downloadRecording", "listActiveRecordings"):
        return ("own", "other")
    return ("own",)


MATRIX = [
    pytest.param(role, op, variant, id=f"{role}-{op}-{variant}")
    for role in ("l10", "l2", "l1", "l0")
    for op in ALL_OPS
    for variant in _variants(op)
]


@pytest.mark.recqual(family="auth", operation="(each)", check="level permissions")
@pytest.mark.parametrize(("role", "operation", "variant"), MATRIX)
def test_level_permissions(role: str, operation: str, variant: str, scene: Scene, admin: ApiClient) -> None:
    """Each level, each operation, on its own and on another user's line or recording."""
    situation = build(scene, admin, role, operation, variant)
    status, provenance = (expected_on_idle_line if situation.idle else expected)(role, operation, variant)
    reply = situation.send(scene.client_for(situation.caller))
    if operation == "startRecording" and reply.status == 201 and isinstance(reply.json_or_none(), dict):
        rec = str(reply.json().get("id", ""))
        scene.on_cleanup(lambda: api.stop(admin, rec))  # a no-body start records whatever the server owns
    why = f"level {LEVELS[role]} {operation} on {'its own' if variant.startswith('own') else 'another'} " + (
        "line or recording"
    )
    if situation.idle:
        why += " (its declared line with no connected call)"
    expect.status(reply, status, check="level permissions", why=why, provenance=provenance)
    if operation in ("listRecordings", "listMyActiveRecordings") and reply.status == 200:
        _visible_only_own(reply, situation, operation, role)


def _owner_of(item: Any, operation: str) -> str:
    """Who a listed item belongs to: ``ownerUsername`` (completed) or ``localParty.username`` (live)."""
    if not isinstance(item, dict):
        return ""
    if operation == "listRecordings":
        return str(item.get("ownerUsername") or "<no ownerUsername>").lower()
    party = item.get("localParty")
    name = party.get("username") if isinstance(party, dict) else None
    return str(name or "<no localParty.username>").lower()


def _visible_only_own(reply: Reply, s: Situation, operation: str, role: str) -> None:
    body = reply.json()
    items = body.get("recordings", []) if isinstance(body, dict) else body
    seen = {str(item.get("id", "")).lower() for item in items if isinstance(item, dict)}
    own = {i.lower() for i in s.own_ids}
    others = {i.lower() for i in s.other_ids}
    check = "own recordings only" if operation == "listRecordings" else "/Mine shows only the caller's own"
    provenance = "A-15" if operation == "listRecordings" else "documented"
    expect.that(
        own <= seen,
        reply,
        check=check,
        title="the caller's own recordings are missing",
        expected=sorted(own),
        actual=sorted(seen & (own | others)),
        provenance=provenance,
    )
    if operation == "listRecordings" and LEVELS[role] == 10:
        return
    expect.that(
        not (others & seen),
        reply,
        check=check,
        title="another user's recordings are visible",
        expected="none of " + ", ".join(sorted(others)),
        actual=sorted(others & seen),
        provenance=provenance,
    )
    caller = s.caller.username.lower()
    foreign = sorted({_owner_of(item, operation) for item in items} - {caller})
    expect.that(
        not foreign,
        reply,
        check=check,
        title="the answer lists recordings of other owners",
        expected=f"only recordings of {caller}",
        actual=foreign,
        provenance=provenance,
    )


CHECK_OWNER_FILTER = "filters cannot widen what a level sees"
PAGE_SIZE = 100
MAX_PAGES = 50
"""Pages read per listing (5,000 recordings): a level-2 user's own recordings, on any lab, fit."""


def _foreign_owner(admin: ApiClient, *known: User) -> str | None:
    """The owner of a recent recording on the server that is none of ``known`` (a lab's data)."""
    reply = api.list_recordings(admin, {"page": 0, "pageSize": 50})
    body = reply.json_or_none() if reply.status == 200 else None
    items = body.get("recordings", []) if isinstance(body, dict) else []
    names = {u.username.lower() for u in known}
    return next(
        (
            str(item["ownerUsername"])
            for item in items
            if isinstance(item, dict)
            and item.get("ownerUsername")
            and str(item["ownerUsername"]).lower() not in names
        ),
        None,
    )


def _pages_all_own(
    client: ApiClient, caller: User, owner: str | None, why: str
) -> tuple[set[str], Reply] | None:
    """Every page of a level-2 listing (``ownerUsername=owner`` when given): each item must be the
    caller's. The ids seen and the first page, or ``None`` when a filter naming another user was
    refused (403)."""
    seen: set[str] = set()
    mine = caller.username.lower()
    first: Reply | None = None
    for page in range(MAX_PAGES):
        params: dict[str, Any] = {"page": page, "pageSize": PAGE_SIZE}
        if owner is not None:
            params["ownerUsername"] = owner
        reply = api.list_recordings(client, params)
        if page == 0 and reply.status == 403 and owner is not None and owner.lower() != mine:
            return None
        first = first or reply
        expect.status(reply, 200, check=CHECK_OWNER_FILTER, why=f"{why}, page {page}", provenance="A-15")
        body = expect.json_body(reply, check=CHECK_OWNER_FILTER, provenance="A-15")
        items = [
            i for i in (body.get("recordings", []) if isinstance(body, dict) else []) if isinstance(i, dict)
        ]
        owners = {str(item.get("ownerUsername") or "<no ownerUsername>") for item in items}
        foreign = sorted(name for name in owners if name.lower() != mine)
        expect.that(
            not foreign,
            reply,
            check=CHECK_OWNER_FILTER,
            title=f"{why}: page {page} lists recordings of other owners",
            expected=f"only recordings of {caller.username}",
            actual=foreign,
            provenance="A-15",
        )
        seen |= {str(item.get("id", "")).lower() for item in items}
        total = body.get("totalCount") if isinstance(body, dict) else None
        if not items or not isinstance(total, int) or (page + 1) * PAGE_SIZE >= total:
            break
    assert first is not None
    return seen, first


@pytest.mark.recqual(family="auth", operation="listRecordings", check=CHECK_OWNER_FILTER, provenance="A-15")
def test_owner_filter_cannot_widen_base_access(scene: Scene, admin: ApiClient) -> None:
    """A-15: a Base Access user lists its own recordings only, and a filter narrows that set; it never
    replaces it. ``ownerUsername=<another user>`` is the natural bug (the owner restriction implemented
    as a default value of the very filter the caller may set): the plain level-2 row sends no filter,
    so it cannot see it. A 403 is accepted too (refusing the filter is not a leak).

    Holds on any data: on every page of every listing, each recording must be the caller's (a lab's
    foreign recordings included); ``ownerUsername`` names this run's other user, the owner of a recording
    already on the server when there is one, and the caller (whose fresh upload must be listed)."""
    caller = _caller(scene, "l2")
    other = _other_user(scene, "l2", caller)
    own = _completed_for(scene, admin, caller).lower()
    foreign = _completed_for(scene, admin, other).lower()
    client = scene.client_for(caller)
    probes: list[tuple[str | None, set[str]]] = [(other.username, set())]
    stranger = _foreign_owner(admin, caller, other)
    if stranger is not None:
        probes.append((stranger, set()))
    probes += [(caller.username, {own}), (None, {own})]
    for owner, may_see in probes:
        why = "level 2 lists " + (f"with ownerUsername={owner}" if owner is not None else "with no filter")
        answer = _pages_all_own(client, caller, owner, why)
        if answer is None:
            continue
        seen, reply = answer
        expect.that(
            foreign not in seen and may_see <= seen,
            reply,
            check=CHECK_OWNER_FILTER,
            title=f"{why}: " + ("another user's recording is visible" if foreign in seen else "own missing"),
            expected=f"{sorted(may_see)} and not {foreign}",
            actual=sorted(seen & {own, foreign}),
            provenance="A-15",
        )


# ------------------------------------------------------------------- real servers: what needs no set-up


@pytest.mark.recqual(
    family="auth", operation="(each)", check="level permissions (configured users)", writes=False
)
@pytest.mark.parametrize(
    "operation", _params(("listRecordings", "listActiveRecordings", "listMyActiveRecordings"))
)
@pytest.mark.parametrize("role", ["l2", "l1", "l0"])
def test_configured_users_reads(role: str, operation: str, scene: Scene) -> None:
    """With only credentials (any target): the GET rows of the matrix that need no data.

    get/download need a recording of a known owner; test_level_permissions covers them.
    """
    client = scene.client(role)
    reply = harmless_request(operation)(client)
    status, provenance = expected(role, operation, "other" if operation == "listActiveRecordings" else "own")
    expect.status(
        reply,
        status,
        check="level permissions",
        why=f"level {LEVELS[role]} {operation}",
        provenance=provenance,
    )
    if reply.status == 200 and operation == "listMyActiveRecordings":
        username = scene.user(role).username.lower()
        for item in reply.json():
            owner = str(item.get("localParty", {}).get("username", "")).lower()
            expect.that(
                owner == username,
                reply,
                check="/Mine shows only the caller's own",
                title="/Mine lists another user's recording",
                expected=username,
                actual=owner,
            )

"""Credentials as inputs (reference sections 1 and 5; issue #17 item 4).

The level matrix tries one wrong password ("-wrong" appended). A server that compares passwords on a
prefix, on their first characters, after trimming, up to a NUL, with SQL ``LIKE``, ignoring case or
accents, or that resolves a username by prefix or pattern, refuses that one and lets a near miss in.
These checks send near misses of each real user's credentials (``contract.credential_variants``) to
every operation, every pair of (variant, operation, level) at least once, Hypothesis drawing the
near miss itself:

- a near miss must be 401 (documented: Basic on every operation; wrong credentials are 401); a
  4 KiB value may also be refused by the HTTP layer (400, 431);
- a username in another case or padded with a space may be the same user (the reference is silent;
  directories often fold case): then it gets exactly that user's answers, the same listing, the same
  recording, the same ``/Mine``; never another user's or a higher level's (A-15); else 401;
- a password with a colon authenticates (documented: Basic splits the pair at the first colon, a
  password may hold more), and a password that differs from a stored non-ASCII, colon or ``LIKE``
  password only where that character is is refused (emulator only: a lab cannot create such users).

Lockout safety on real servers: a near-miss password for a real account is a failed login, and a
directory locks an account after a few. Outside the emulator each declared user takes at most
``MAX_WRONG_PER_ACCOUNT`` (3) of them per run, the most revealing first (strict prefix, suffix,
other case); every other near-miss password goes to a username that does not exist, derived from
the real one, which locks nothing (its pairs then count as not reached). Near misses of the
username (with the right password) name no real account and are not limited. The level matrix's
own wrong-password rows use such a username outside the emulator for the same reason.

No secret is printed: each near miss is registered with the run's redactor before it is sent, and
failures name the variant, never its value.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from contract import api, expect
from contract.client import ApiClient, Credentials, Reply
from contract.credential_variants import (
    MAX_WRONG_PER_ACCOUNT,
    PRIORITY,
    SAME_USER,
    WRONG,
    budget_of,
    near_misses,
    refusals,
    unknown_username,
)
from contract.pair_ledger import NO_SHRINK, PairLedger
from contract.run_context import RunContext
from contract.scene import Scene, User
from contract.test_auth_matrix import ALL_OPS, _completed_for, _live_on, harmless_request
from strategies.pairwise import covering_rows

CHECK_NEAR = "near-miss credentials are 401"
CHECK_SAME = "a username in another form is that user or none"
CHECK_SPECIAL = "passwords with meaningful characters"
ROLES = ("l10", "l2", "l1", "l0")
GET_OPS = tuple(op for op in ALL_OPS if api.OPERATIONS[op][0] == "GET")
BY_NAME = {v.name: v for v in (*WRONG, *SAME_USER)}


SPREAD = ("downloadRecording", "listActiveRecordings", "listRecordings", "uploadRecording", "startRecording")
"""Parts of the API a server often implements apart (media streaming, LiveRecordings, Recordings JSON,
multipart upload, live writes): a scarce real-account attempt goes to a part not yet tried first."""


def budget_order(rows: list[dict[str, Hashable]]) -> list[dict[str, Hashable]]:
    """The rows in the order that spends a real account's lockout budget best: the most revealing
    variants (``PRIORITY``) taking turns (prefix, suffix, case, prefix, ...), each variant's rows
    going from one separately implemented part of the API to the next (``SPREAD``); then the rest."""

    def op_rank(row: Mapping[str, Hashable]) -> int:
        op = str(row["operation"])
        return SPREAD.index(op) if op in SPREAD else len(SPREAD)

    turns: list[tuple[int, int, int]] = []
    seen: dict[str, int] = {}
    ordered = sorted(rows, key=op_rank)
    for i, row in enumerate(ordered):
        name = str(row["variant"])
        turn = seen.get(name, 0)
        seen[name] = turn + 1
        priority = PRIORITY.index(name) if name in PRIORITY else len(PRIORITY)
        turns.append((0 if priority < len(PRIORITY) else 1, turn * len(PRIORITY) + priority, i))
    return [ordered[i] for *_, i in sorted(turns)]


def _as(scene: Scene, username: str, password: str, role: str) -> ApiClient:
    """A client sending this pair; the client registers it with the redactor before any request."""
    return scene.api.as_user(Credentials(username, password, f"{role}-near-miss"))


@pytest.mark.recqual(family="auth", operation="(each)", check=CHECK_NEAR, writes=False)
def test_near_miss_credentials_refused(
    scene: Scene, pairs: PairLedger, run_context: RunContext, request: pytest.FixtureRequest
) -> None:
    """Every pair of (near-miss variant, operation, level of the real user it is derived from)."""
    roles = tuple(role for role in ROLES if role in scene.users)
    operations = GET_OPS if run_context.read_only else ALL_OPS
    dimensions: dict[str, tuple[Hashable, ...]] = {
        "variant": tuple(v.name for v in WRONG),
        "operation": operations,
        "role": roles,
    }
    rows = budget_order(covering_rows(dimensions))
    budget = budget_of(request.config, is_emulator=scene.is_emulator)
    ran: list[dict[str, Hashable]] = []

    @settings(max_examples=run_context.examples(full=2, quick=1), phases=NO_SHRINK)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        for row in rows:
            variant, op, role = BY_NAME[str(row["variant"])], str(row["operation"]), str(row["role"])
            user = scene.user(role)
            username, password = data.draw(near_misses(variant, user.username, user.credentials.password))
            account, recorded = "its real username", dict(row)
            if variant.spends and not budget.take(user.username):
                username = unknown_username(user.username, secrets.token_hex(3))
                account = f"an unknown username ({MAX_WRONG_PER_ACCOUNT} failed logins per account spent)"
                recorded["role"] = "unknown-user"
            event(f"near miss {variant.name}")
            reply = harmless_request(op)(_as(scene, username, password, role))
            expect.status(
                reply,
                refusals(variant.judged),
                check=CHECK_NEAR,
                why=f"{variant.about}, derived from the {role} user's credentials, with {account}, on {op}",
            )
            if recorded not in ran:
                ran.append(recorded)

    try:
        run()
    finally:
        pairs.record("(each)", ran, dimensions)


# ---------------------------------------------------------------------- a username in another form


@dataclass
class Cast:
    """One role's user as the probes see it: a recording of theirs, maybe a live one on their line."""

    role: str
    user: User
    recording: str = ""
    live: str | None = None
    device: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    """The real credentials' canonical answer per probe (asked once)."""


PROBES = (
    "listRecordings",
    "getRecording",
    "downloadRecording",
    "listMyActiveRecordings",
    "listActiveRecordings",
)


def _cast(scene: Scene, admin: ApiClient, role: str, marker: str) -> Cast | None:
    """The role's user with a recording of theirs (marker-numbered) and, when their line can carry a
    call, a live recording on it (so ``/Mine`` tells users apart); ``None`` when the target lacks it."""
    try:
        if scene.has_standing_line(role):
            owner, call = scene.line_with_call(role=role, stem=f"case{role}")
            assert owner is not None
            cast = Cast(role, owner, live=_live_on(admin, call), device=call.line.device_name)
        else:
            cast = Cast(role, scene.user(role))
    except pytest.skip.Exception:
        return None
    cast.recording = _completed_for(scene, admin, cast.user, marker)
    return cast


def canonical(probe: str, reply: Reply) -> tuple[Any, ...]:
    """What identifies an answer's rights and identity: the status, and the ids (and count) it holds;
    a download by its length. Two answers of one user to one question are equal."""
    body = reply.json_or_none() if reply.status == 200 and probe != "downloadRecording" else None
    if probe == "downloadRecording":
        return reply.status, len(reply.content) if reply.status == 200 else None
    if isinstance(body, dict) and probe == "listRecordings":
        items = body.get("recordings") or []
        ids = sorted(str(i.get("id", "")).lower() for i in items if isinstance(i, dict))
        return reply.status, body.get("totalCount"), tuple(ids)
    if isinstance(body, dict):
        return reply.status, str(body.get("id", "")).lower()
    if isinstance(body, list):
        return reply.status, tuple(sorted(str(i.get("id", "")).lower() for i in body if isinstance(i, dict)))
    return (reply.status,)


def _probe(probe: str, cast: Cast, marker: str, others: str) -> Callable[[ApiClient], Reply]:
    sends: dict[str, Callable[[ApiClient], Reply]] = {
        "listRecordings": lambda c: api.list_recordings(c, {"localPartyNumber": marker}),
        "getRecording": lambda c: api.get_recording(c, cast.recording),
        "downloadRecording": lambda c: api.download_recording(c, others),
        "listMyActiveRecordings": api.list_mine,
        "listActiveRecordings": lambda c: api.list_active(c, deviceName=cast.device or "rq-no-such-device"),
    }
    return sends[probe]


@pytest.mark.recqual(family="auth", operation="(each)", check=CHECK_SAME, provenance="A-15")
def test_username_in_another_form_is_that_user(
    scene: Scene, admin: ApiClient, pairs: PairLedger, run_context: RunContext
) -> None:
    """Each pair of (level, username form, probe): the answer is 401 or the real user's own answer."""
    marker = scene.number()
    casts = [c for c in (_cast(scene, admin, role, marker) for role in ROLES) if c is not None]
    if len(casts) < 2:
        pytest.skip("needs two declared users ([credentials.<role>]) so that identities can be told apart")
    by_role = {c.role: c for c in casts}
    dimensions: dict[str, tuple[Hashable, ...]] = {
        "role": tuple(by_role),
        "variant": tuple(v.name for v in SAME_USER),
        "probe": PROBES,
    }
    rows = covering_rows(dimensions)
    ran: list[dict[str, Hashable]] = []

    @settings(max_examples=run_context.examples(full=2, quick=1), phases=NO_SHRINK)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        for row in rows:
            cast, variant, probe = by_role[str(row["role"])], BY_NAME[str(row["variant"])], str(row["probe"])
            others = casts[(casts.index(cast) + 1) % len(casts)].recording
            send = _probe(probe, cast, marker, others)
            if probe not in cast.answers:
                cast.answers[probe] = canonical(probe, send(scene.client_for(cast.user)))
            username, password = data.draw(
                near_misses(variant, cast.user.username, cast.user.credentials.password)
            )
            reply = send(_as(scene, username, password, cast.role))
            if reply.status != 401:
                got = canonical(probe, reply)
                expect.that(
                    got == cast.answers[probe],
                    reply,
                    check=CHECK_SAME,
                    title=f"{variant.about} of the {cast.role} user is accepted with other rights or data "
                    f"than that user's on {probe}",
                    expected=f"401, or the {cast.role} user's own answer {cast.answers[probe]}",
                    actual=got,
                    provenance="A-15",
                )
            if row not in ran:
                ran.append(row)

    try:
        run()
    finally:
        pairs.record("(each)", ran, dimensions)


# -------------------------------------------------------------------- passwords only the emulator has

SPECIAL_PASSWORDS: dict[str, Callable[[str], str]] = {
    "colon": lambda token: f"rq:{token}:x",
    "non-ascii": lambda token: f"pässwörd-{token}",
    "like": lambda token: f"rq%_{token}",
    "backslash": lambda token: f"rq\\{token}\\",
}
"""Stored passwords whose characters mean something to Basic, a charset, SQL LIKE or an escaper."""


def special_near_misses(kind: str, password: str) -> list[str]:
    """Wrong passwords that differ from ``password`` only where its meaningful characters are."""
    if kind == "colon":
        head, _, rest = password.partition(":")
        return [head, f"{head}:{rest.partition(':')[0]}"]
    if kind == "non-ascii":
        return [password.replace("ä", "a").replace("ö", "o"), password.replace("ä", "ae").replace("ö", "oe")]
    if kind == "like":
        return [password.replace("%_", "%"), password.replace("%_", "ab"), "rq%"]
    return [password.replace("\\", ""), password.replace("\\", "\\\\")]


@pytest.mark.recqual(
    family="auth", operation="listMyActiveRecordings", check=CHECK_SPECIAL, needs=("emulator",)
)
def test_passwords_with_meaningful_characters(scene: Scene) -> None:
    """A Record Only user per kind of stored password: the password authenticates (documented for a
    colon and ASCII: Basic splits at the first colon; a non-ASCII password may be refused, the
    reference names no charset), and each near miss at its meaningful characters is 401."""
    control = scene.require_emulator("creating users with chosen passwords")
    for kind, make in SPECIAL_PASSWORDS.items():
        password = make(secrets.token_hex(6))
        user = Credentials(scene.name(f"pw{kind.replace('-', '')}"), password, f"special-{kind}")
        scene.api.config.redactor.add(user)
        control.create_user(username=user.username, password=password, level=1)
        right = api.list_mine(scene.api.as_user(user))
        allowed = {200, 401} if kind == "non-ascii" else {200}
        expect.status(right, allowed, check=CHECK_SPECIAL, why=f"the right password ({kind} characters)")
        for wrong in special_near_misses(kind, password):
            if wrong == password:
                continue
            reply = api.list_mine(_as(scene, user.username, wrong, "special"))
            expect.status(
                reply, 401, check=CHECK_SPECIAL, why=f"a password differing only at its {kind} characters"
            )

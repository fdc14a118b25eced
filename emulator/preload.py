"""Preloaded recordings: the "foreign data" a deployed UCX already holds when the suite arrives.

Deterministic for a given seed (ids, owners, numbers, offsets from now), and deliberately awkward:
spread over the whole retention window, owned by the site's users and by names that are no user at
all, remote numbers with filter metacharacters (``;``, ``\\``, ``%``, ``_``), spaces, letters, unicode,
very long or empty, all three directions, durations from zero to hours, start times with and without
fractions of a second, and groups of recordings that share one start time. Each one is a valid
completed recording: its audio is a real MP3 and ``size``/``hash`` describe exactly those bytes (A-6,
A-10).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Collection, Sequence
from typing import Any

from emulator.audio import StoredAudio, generated_mp3
from emulator.auth import LEVEL_COMPLETE, User, unknown_user_json
from emulator.store import NewRecording
from emulator.times import TICKS_PER_DAY, TICKS_PER_SECOND
from emulator.upload import PBX_VARIANTS

# Owners with no user account: left the company, service accounts, directory-style names.
GHOST_OWNERS = (
    "former.employee",
    "svc-ivr",
    "CORP\\j.doe",
    "zoë.müller",
    "o'brien",
    "agent_%",
    "user with spaces",
    "x" * 120,
)

REMOTE_NUMBERS = (
    "+390212345678",
    "0039 02 1234 5678",
    "+1 (555) 010-9999",
    "a;b",
    "c:\\x",
    "100%",
    "under_score",
    "+",
    "++39",
    "anonymous",
    "Restricted",
    "sip:alice@example.com;user=phone",
    "contains:x",
    "equals:",
    "Zoë ☎ 東京",
    "عربي 123",
    "*67#",
    "\\;\\",
    "9" * 300,
    "",
    " leading and trailing ",
    "tab\there",
)

PBX_KINDS = tuple(PBX_VARIANTS)
NOTE_TEXTS = ("called back", "escalated; see ticket 42", "contraseña olvidada", "a\\b", "100% done_ok")

_RECENT = 3 * 60 * TICKS_PER_SECOND  # the newest are a few minutes old
_INSIDE = 60 * 60 * TICKS_PER_SECOND  # the oldest are this far inside the retention window
_AUDIO_SECONDS = (1, 2, 3)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _hex(rng: random.Random, n: int = 16) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def _pbx_info(rng: random.Random) -> dict[str, str] | None:
    kind = rng.choice((*PBX_KINDS, None))
    if kind is None:
        return None
    return {"type": kind, **{name: _hex(rng) for name in PBX_VARIANTS[kind]}}


def _start_ticks(rng: random.Random, lo: int, hi: int) -> int:
    """Whole seconds, milliseconds or full 100 ns ticks, a third each."""
    ticks = rng.randint(lo, hi)
    style = rng.randrange(3)
    if style == 0:
        return ticks - ticks % TICKS_PER_SECOND
    if style == 1:
        return ticks - ticks % 10_000
    return ticks


def _duration_ticks(rng: random.Random) -> int:
    kind = rng.randrange(10)
    if kind == 0:
        return 0
    if kind == 1:
        return rng.randint(1, TICKS_PER_SECOND - 1)  # under a second
    if kind == 2:
        return rng.randint(1, 8) * 3600 * TICKS_PER_SECOND + rng.randint(0, 3599) * TICKS_PER_SECOND
    if kind == 3:
        return rng.randint(1, 600) * TICKS_PER_SECOND + rng.randint(1, TICKS_PER_SECOND - 1)
    return rng.randint(1, 900) * TICKS_PER_SECOND


def _start_range(retention_days: int, now: int) -> tuple[int, int]:
    """``(lo, hi)`` in ticks: from just inside the retention window to a few minutes before ``now``
    (each margin at most a tenth of the window, so a short retention still leaves room)."""
    window = retention_days * TICKS_PER_DAY
    hi = now - min(_RECENT, window // 10)
    lo = max(now - window + min(_INSIDE, window // 10), 0)
    return lo, max(hi, lo)


def _pick_start(rng: random.Random, i: int, previous_start: int | None, lo: int, hi: int) -> int:
    """Now and then the previous start again (a tie for A-3's tie-break); the first three at the
    recent edge and the next three just inside retention (both edges always present); else random."""
    if previous_start is not None and rng.random() < 0.06:
        return previous_start
    if i < 3:
        return hi - i * TICKS_PER_SECOND
    if i < 6:
        return lo + (i - 3) * TICKS_PER_SECOND
    return _start_ticks(rng, lo, hi)


def _pick_owner(
    rng: random.Random, users: Sequence[User], ghosts: Sequence[str]
) -> tuple[dict[str, Any], str]:
    """``(owner, local number)``: mostly a site user on their extension, otherwise a ghost owner
    (no account) on an odd or empty local number."""
    owner_user: User | None = None
    if users and (not ghosts or rng.random() < 0.65):
        owner_user = rng.choice(users)
    if owner_user is not None:
        return owner_user.as_json(), owner_user.extension or rng.choice(("", "200"))
    owner = unknown_user_json(rng.choice(ghosts))
    return owner, rng.choice(("", "0", "2" + f"{rng.randrange(1000):03d}", "+39 055 123"))


def _pick_note_and_preserving(
    rng: random.Random, admins: Sequence[User]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """A note by an admin on about one in ten, a preserving admin on about one in twenty."""
    note: dict[str, Any] | None = None
    preserving = None
    if admins and rng.random() < 0.1:
        note = {"owner": rng.choice(admins).as_json(), "text": rng.choice(NOTE_TEXTS)}
    if admins and rng.random() < 0.05:
        preserving = rng.choice(admins).as_json()
    return note, preserving


def generate(
    count: int,
    seed: int,
    users: Sequence[User],
    retention_days: int,
    now: int,
    *,
    taken: Collection[str] = (),
) -> list[NewRecording]:
    """``count`` completed recordings dated inside the retention window that ends at ``now`` (ticks).

    Owners are ``users`` and ghost names that are none of ``users`` nor of ``taken`` (lowercase names
    of every other account on the server). Every draw comes from one ``random.Random(seed)`` in a
    fixed order, so a seed always gives the same recordings.
    """
    rng = random.Random(seed)
    audio: list[StoredAudio] = [generated_mp3(s) for s in _AUDIO_SECONDS]
    known_lower = {u.lower for u in users} | set(taken)
    ghosts = [g for g in GHOST_OWNERS if g.lower() not in known_lower]
    admins = [u for u in users if u.level == LEVEL_COMPLETE] or list(users)
    lo, hi = _start_range(retention_days, now)

    out: list[NewRecording] = []
    previous_start: int | None = None
    for i in range(count):
        start = previous_start = _pick_start(rng, i, previous_start, lo, hi)
        duration = min(_duration_ticks(rng), max(now - start - TICKS_PER_SECOND, 0))
        owner, local = _pick_owner(rng, users, ghosts)
        note, preserving = _pick_note_and_preserving(rng, admins)
        clip = audio[rng.randrange(len(audio))]
        out.append(
            NewRecording(
                id=_uuid(rng),
                start_ticks=start,
                duration_ticks=duration,
                direction=i % 3 if i < 3 else rng.randrange(3),
                local_number=local,
                remote_number=REMOTE_NUMBERS[rng.randrange(len(REMOTE_NUMBERS))],
                owner=owner,
                preserving_user=preserving,
                note=note,
                pbx_call_id=rng.choice((None, _hex(rng, 8))),
                pbx_info=_pbx_info(rng),
                audio=clip.data,
                size=clip.size,
                sha256=clip.sha256,
            )
        )
    return out

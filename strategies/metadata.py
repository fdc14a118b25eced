"""Upload metadata (`UploadRecordingMetadata`, reference §3 and §2.2) and its invalid variants.

Invariants (tested against `specs/recordings.yaml`):

* `upload_metadata()` yields JSON-ready dicts valid against `UploadRecordingMetadata`, with every
  optional field both present and absent, every `PbxInfo` variant, and a start date in the past inside
  the retention window (so the documented answer is 201);
* every `InvalidMetadata` is invalid for exactly the reason in `why` and is answered 400 reason 1;
  wrong types are shapes no JSON binder coerces (objects/arrays where scalars belong), never strings
  that a lenient binder reads as numbers or booleans;
* `now=None` means "the clock when the example is drawn", so future and past stay future and past
  however long a test session runs; `now` may also be a function called at each draw (the contract
  suite passes the server's clock, through its upload window) and `max_age_s` the width of the
  window starts may use (the server's retention), so no date is fixed and none depends on this
  machine's clock.
"""

from __future__ import annotations

import calendar
import functools
import string
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from strategies.durations import iso_duration
from strategies.rhs_colon import TICKS_PER_MINUTE, TICKS_PER_SECOND, Instant, TimeFormat, min_digits
from strategies.telephony import phone_numbers

__all__ = [
    "PBX_TYPES",
    "UPLOAD_DIMENSIONS",
    "InvalidMetadata",
    "dst_edges",
    "durations_of",
    "invalid_metadata",
    "outside_retention_metadata",
    "pbx_infos",
    "remote_numbers",
    "start_regions",
    "starts_in",
    "summer_spans",
    "upload_case",
    "upload_metadata",
]

DAY = 86_400 * TICKS_PER_SECOND

PBX_TYPES: dict[str, tuple[str, ...]] = {
    "generic": ("localCallId", "remoteCallId"),
    "media-forking": ("localCallId", "remoteCallId", "sessionId"),
    "siprec": ("localSessionId", "remoteSessionId"),
    "webex": ("callId", "externalTrackingId"),
    "ms-teams": ("callId", "callChainId"),
}
"""§3 PbxInfo: discriminator `type` and the fields of each variant (all optional but `type`)."""

_FUTURE_MARGIN = 10 * TICKS_PER_MINUTE
"""A-5 refuses starts more than 5 minutes ahead; 10 minutes leaves room for clock skew with the server."""


def _call_ids() -> SearchStrategy[str]:
    return st.one_of(
        st.uuids().map(str),
        st.integers(1, 10**12).map(str),
        st.tuples(st.uuids(), st.sampled_from(("pbx.example.com", "10.0.0.1"))).map(
            lambda t: f"{t[0].hex[:16]}@{t[1]}"
        ),
    )


def pbx_infos() -> SearchStrategy[dict[str, str]]:
    """Every `PbxInfo` variant (§3), each field present or absent."""
    return st.one_of(
        *(
            st.fixed_dictionaries({"type": st.just(kind)}, optional={f: _call_ids() for f in fields})
            for kind, fields in PBX_TYPES.items()
        )
    )


Clock = Instant | Callable[[], Instant] | None
"""`now` of the strategies: an instant, a function giving "now" at each draw, or None (this machine)."""


def _now(now: Clock) -> Instant:
    if now is None:
        return Instant.now()
    return now() if callable(now) else now


def _max_age(max_age_days: int, max_age_s: int | None) -> int:
    """The widest age a valid start may have, in ticks (`max_age_s` wins when given)."""
    if max_age_s is None:
        if max_age_days < 1:
            raise ValueError("max_age_days must be at least 1")
        return max_age_days * DAY
    if max_age_s < 3 * 60:
        raise ValueError(f"max_age_s must be at least 180 s, got {max_age_s}")
    return max_age_s * TICKS_PER_SECOND


@st.composite
def _past_starts(draw: st.DrawFn, now: Clock, max_age: int) -> str:
    """A start in (now - max_age, now - 1 min] (`max_age` in ticks), written with `Z` or an offset
    (never zone-less: A-14 makes zone-less *filters* UTC, nothing says so for upload metadata)."""
    age = draw(st.integers(TICKS_PER_MINUTE, max_age - TICKS_PER_MINUTE))
    ticks = _now(now).ticks - age  # an age, not an instant, is drawn: choices must not follow the clock
    if draw(st.booleans()):
        ticks -= ticks % TICKS_PER_SECOND
    start = Instant(ticks)
    offset = draw(st.sampled_from((0, 0, 60, 120, -300, 330)))
    digits = max(draw(st.sampled_from((0, 3, 7))), min_digits(ticks))
    return TimeFormat(offset, digits).render(start)


def _durations() -> SearchStrategy[str]:
    """Whole seconds, 1 s to 2 h: `PT1S`, `PT1M30S`, `PT1H`; fractions are not proven interoperable."""
    return st.one_of(st.sampled_from((1, 30, 60, 90, 3600)), st.integers(1, 7200)).map(
        lambda s: iso_duration(s * TICKS_PER_SECOND)
    )


_NOTES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=0, max_size=60
)


def upload_metadata(
    *,
    usernames: Sequence[str] = ("admin",),
    now: Clock = None,
    max_age_days: int = 29,
    max_age_s: int | None = None,
) -> SearchStrategy[dict[str, Any]]:
    """Valid `UploadRecordingMetadata` dicts (§3): start in the past within `max_age_s` seconds (or
    `max_age_days`) before `now`; keep that below the server's retention. Owner from `usernames`."""
    if not usernames:
        raise ValueError("usernames must not be empty")
    max_age = _max_age(max_age_days, max_age_s)
    return st.fixed_dictionaries(
        {
            "startDateTime": _past_starts(now, max_age),
            "duration": _durations(),
            "direction": st.sampled_from((0, 1, 2)),
            "localParty": st.fixed_dictionaries(
                {"username": st.sampled_from(tuple(usernames)), "phoneNumber": phone_numbers()}
            ),
        },
        optional={
            "remoteParty": st.fixed_dictionaries({"phoneNumber": phone_numbers()}),
            "notes": _NOTES,
            "preserved": st.booleans(),
            "pbxCallId": _call_ids(),
            "pbxInfo": pbx_infos(),
        },
    )


@dataclass(frozen=True)
class InvalidMetadata:
    """Metadata the server must refuse with 400 reason 1 (§2.2), and why."""

    metadata: dict[str, Any]
    why: str
    expected_status: int = 400
    expected_reason: int = 1
    assumptions: tuple[str, ...] = ()


_REQUIRED = ("startDateTime", "duration", "direction", "localParty")
_UNCOERCIBLE: tuple[Any, ...] = ({}, [], {"value": 1})
_WRONG_TYPES: dict[str, tuple[Any, ...]] = {
    "startDateTime": ({}, [], 12345, "not-a-date"),
    "duration": ({}, [], "ninety seconds"),
    "direction": _UNCOERCIBLE,
    "localParty": ("admin", [], 42),
    "preserved": _UNCOERCIBLE,
    "notes": _UNCOERCIBLE,
    "remoteParty": ("+390212345", []),
}


@st.composite
def invalid_metadata(
    draw: st.DrawFn,
    *,
    usernames: Sequence[str] = ("admin",),
    now: Clock = None,
    max_age_s: int | None = None,
) -> InvalidMetadata:
    """Metadata that is invalid for one labelled reason: a missing required field, a wrong type, a
    direction outside 0/1/2, an unknown `pbxInfo.type`, or a start more than 5 minutes ahead (A-5).
    Its other fields are valid, the start (when kept) within `max_age_s` before `now`."""
    base = dict(draw(upload_metadata(usernames=usernames, now=now, max_age_s=max_age_s)))
    how = draw(
        st.sampled_from(("missing", "missing-nested", "wrong-type", "direction", "pbx-type", "future"))
    )
    if how == "missing":
        name = draw(st.sampled_from(_REQUIRED))
        del base[name]
        return InvalidMetadata(base, f"required field {name!r} is missing")
    if how == "missing-nested":
        name = draw(st.sampled_from(("username", "phoneNumber")))
        base["localParty"] = {k: v for k, v in base["localParty"].items() if k != name}
        return InvalidMetadata(base, f"required field 'localParty.{name}' is missing")
    if how == "wrong-type":
        name = draw(st.sampled_from(sorted(_WRONG_TYPES)))
        value = draw(st.sampled_from(_WRONG_TYPES[name]))
        base[name] = value
        return InvalidMetadata(base, f"{name!r} has the wrong type: {value!r}")
    if how == "direction":
        value = draw(st.sampled_from((3, -1, 99, 255)))
        base["direction"] = value
        return InvalidMetadata(base, f"direction {value} is not 0, 1 or 2")
    if how == "pbx-type":
        kind = draw(st.sampled_from(("avaya", "sip", "unknown", "")))
        base["pbxInfo"] = {"type": kind, "callId": str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1))))}
        return InvalidMetadata(base, f"pbxInfo type {kind!r} is none of {', '.join(PBX_TYPES)}")
    ahead = draw(st.one_of(st.just(_FUTURE_MARGIN), st.integers(_FUTURE_MARGIN, 365 * DAY)))
    start = _now(now) + ahead
    base["startDateTime"] = start.isoformat(digits=min_digits(start.ticks))
    return InvalidMetadata(
        base, f"start {ahead // TICKS_PER_SECOND} s in the future (limit 5 min)", assumptions=("A-5",)
    )


@st.composite
def outside_retention_metadata(
    draw: st.DrawFn,
    *,
    retention_days: int,
    usernames: Sequence[str] = ("admin",),
    now: Clock = None,
) -> dict[str, Any]:
    """Valid metadata whose start is at least a day before the retention period: 409 (§2.2). The
    start is written with `Z` or an offset (an offset is the same instant, A-14: the retention
    applies to it as well)."""
    meta = dict(draw(upload_metadata(usernames=usernames, now=now)))
    age = draw(st.integers((retention_days + 1) * DAY, (retention_days + 400) * DAY))
    start = _now(now) - age
    offset = draw(st.sampled_from((0, 120, -300, 330)))
    meta["startDateTime"] = (start - start.ticks % TICKS_PER_SECOND).isoformat(offset, digits=0)
    return meta


# --------------------------------------------------------------------------------------------------
# Covering-array uploads: one upload per row of dimension values (issue #17)
# --------------------------------------------------------------------------------------------------

UPLOAD_DIMENSIONS: dict[str, tuple[Any, ...]] = {
    "direction": (0, 1, 2),
    "audio": ("pcm16", "pcm8", "alaw", "ulaw", "mp3"),
    "notes": ("none", "ascii", "unicode"),
    "preserved": (False, True),
    "remote": ("none", "digits", "plus", "unicode", "special"),
    "start": ("utc", "sub-second", "offset", "summer", "dst-edge"),
    "duration": ("seconds", "minutes", "hours", "fraction", "minutes-fraction"),
    "owner": ("self", "other"),
}
"""What an upload's answer may depend on (§2.2, §3): the Direction enum, each accepted audio
encoding (MP3 and the four WAV encodings of §2.2), notes absent / ASCII / beyond Latin-1, preserved,
the remote number's character class (none, digits, E.164 `+`, non-ASCII, characters with a meaning
in SQL LIKE, RHS-Colon or URLs), where the start lies (whole-second UTC, 100-ns precision, an
offset, European summer time with an offset, an hour around a daylight-saving change), the
duration's shape (seconds, minutes, `PT1H2M3S`, a fraction alone, a fraction after minutes) and
whose recording it is (the caller's, or another user's uploaded by Complete Management)."""

_NOTE_TEXTS = {
    "ascii": st.text(alphabet=string.ascii_letters + string.digits + " .,-", min_size=1, max_size=40),
    "unicode": st.tuples(
        st.sampled_from(("Café Ж", "漢字メモ", "Ελληνικά", "call back 🎧", "Łódź ø")),
        st.text(alphabet=string.ascii_letters + " ", max_size=12),
    ).map(" ".join),
}
"""Notes per class; every ``unicode`` note has a character outside Latin-1 (a code-page column or
an ID3 comment written as Latin-1 would lose it)."""

_PBX_INFOS = pbx_infos()

_SPECIAL_REMOTES = ("a;b", "c:\\x", "x\\;y", "100%_[x]", "equals:5", "a b", "sip:Alice@Example.com")
"""Remote numbers with characters that mean something to SQL LIKE (`%`, `_`, `[`), RHS-Colon (`;`,
`\\`, `:`), or a URL (space, `@`): the filter corpus uploads the same ones, so a server that keeps
remote numbers as opaque strings accepts them."""


@functools.cache
def remote_numbers(kind: str) -> SearchStrategy[str | None]:
    """A remote number of one character class (`UPLOAD_DIMENSIONS["remote"]`); `None` for "none"."""
    if kind == "none":
        return st.none()
    if kind == "digits":
        return st.text(string.digits, min_size=3, max_size=11).map(lambda d: "0" + d)
    if kind == "plus":
        return st.tuples(st.sampled_from("123456789"), st.text(string.digits, min_size=7, max_size=13)).map(
            lambda t: "+" + t[0] + t[1]
        )
    if kind == "unicode":
        return st.tuples(
            st.sampled_from(("Café Ж", "漢字", "Ørsted")), st.text(string.digits, max_size=4)
        ).map(" ".join)
    if kind == "special":
        return st.sampled_from(_SPECIAL_REMOTES)
    raise ValueError(f"unknown remote class {kind!r}")


_DURATION_BOUNDS_S = {
    "seconds": (1, 59),
    "minutes": (60, 3599),
    "hours": (3600, 4 * 3600),
    "fraction": (0, 59),
    "minutes-fraction": (60, 3599),
}


@functools.cache
def durations_of(kind: str) -> SearchStrategy[str]:
    """An ISO-8601 duration of one shape (`UPLOAD_DIMENSIONS["duration"]`): whole seconds under a
    minute, whole minutes and seconds, an hour or more (`PT1H2M3S`), or a fraction of a second alone
    (`PT2.5S`) or after minutes (`PT1M2.25S`)."""
    low, high = _DURATION_BOUNDS_S[kind]
    whole = st.integers(low, high).map(lambda s: s * TICKS_PER_SECOND)
    if "fraction" not in kind:
        return whole.map(iso_duration)
    fraction = st.integers(1, TICKS_PER_SECOND - 1).map(lambda f: f - f % 10_000 or 5_000_000)
    return st.tuples(whole, fraction).map(lambda wf: iso_duration(wf[0] + wf[1]))


def _last_sunday_utc(year: int, month: int, hour: int) -> Instant:
    day = calendar.monthrange(year, month)[1]
    while calendar.weekday(year, month, day) != calendar.SUNDAY:
        day -= 1
    return Instant.parse(f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:00:00Z")


def summer_spans(earliest: Instant, latest: Instant) -> list[tuple[Instant, Instant]]:
    """The parts of ``[earliest, latest]`` in European summer time (last Sunday of March 01:00 UTC to
    last Sunday of October 01:00 UTC), when daylight saving is also in force in North America."""
    spans = []
    for year in range(earliest.to_datetime().year, latest.to_datetime().year + 1):
        begin = max(_last_sunday_utc(year, 3, 1).ticks, earliest.ticks)
        end = min(_last_sunday_utc(year, 10, 1).ticks, latest.ticks)
        if end - begin > 2 * 3600 * TICKS_PER_SECOND:
            spans.append((Instant(begin), Instant(end)))
    return spans


def dst_edges(earliest: Instant, latest: Instant) -> list[Instant]:
    """European daylight-saving changes (01:00 UTC, last Sundays of March and October) inside
    ``[earliest + 1 h, latest - 1 h]``: a start within an hour of one tests the server's zone rules."""
    hour = 3600 * TICKS_PER_SECOND
    found = []
    for year in range(earliest.to_datetime().year, latest.to_datetime().year + 1):
        for month in (3, 10):
            edge = _last_sunday_utc(year, month, 1)
            if earliest.ticks + hour <= edge.ticks <= latest.ticks - hour:
                found.append(edge)
    return found


def start_regions(earliest: Instant, latest: Instant) -> tuple[str, ...]:
    """The start regions (`UPLOAD_DIMENSIONS["start"]`) that have an instant inside the window."""
    regions = ["utc", "sub-second", "offset"]
    if summer_spans(earliest, latest):
        regions.append("summer")
    if dst_edges(earliest, latest):
        regions.append("dst-edge")
    return tuple(regions)


@st.composite
def starts_in(draw: st.DrawFn, region: str, earliest: Instant, latest: Instant) -> str:
    """A start in ``region`` inside ``[earliest, latest]``, written as the region says: whole seconds
    with `Z`; 7 fractional digits; a non-UTC offset; a summer instant with an offset; or an instant
    within an hour of a daylight-saving change, with the offset European local time had then."""
    second = TICKS_PER_SECOND
    if region == "summer":
        begin, end = draw(st.sampled_from(summer_spans(earliest, latest)))
    elif region == "dst-edge":
        edge = draw(st.sampled_from(dst_edges(earliest, latest)))
        begin, end = edge - 3600 * second, edge + 3600 * second
    else:
        begin, end = earliest, latest
    ticks = draw(st.integers(begin.ticks, end.ticks))
    if region == "sub-second":
        fraction = draw(st.integers(1, second - 1).map(lambda f: f if f % 10 else f + 1))
        return TimeFormat(0, 7).render(Instant(ticks - ticks % second + fraction))
    ticks -= ticks % second
    if region == "utc":
        return TimeFormat(0, 0).render(Instant(ticks))
    offsets = (120, 60) if region in ("summer", "dst-edge") else (120, -300, 330, 60)
    return TimeFormat(draw(st.sampled_from(offsets)), draw(st.sampled_from((0, 3)))).render(Instant(ticks))


@st.composite
def upload_case(
    draw: st.DrawFn,
    row: dict[str, Any],
    *,
    owners: dict[str, str],
    local_number: str,
    earliest: Instant,
    latest: Instant,
) -> dict[str, Any]:
    """Valid metadata for one covering-array row (`UPLOAD_DIMENSIONS`): the row fixes each
    dimension's class, Hypothesis draws the values inside it. ``owners`` maps "self"/"other" to
    usernames; ``local_number`` is unique to the upload, so the check can find it in the list."""
    meta: dict[str, Any] = {
        "startDateTime": draw(starts_in(row["start"], earliest, latest)),
        "duration": draw(durations_of(row["duration"])),
        "direction": row["direction"],
        "localParty": {"username": owners[row["owner"]], "phoneNumber": local_number},
        "preserved": row["preserved"],
    }
    remote = draw(remote_numbers(row["remote"]))
    if remote is not None:
        meta["remoteParty"] = {"phoneNumber": remote}
    if row["notes"] != "none":
        meta["notes"] = draw(_NOTE_TEXTS[row["notes"]])
    if draw(st.booleans()):
        meta["pbxInfo"] = draw(_PBX_INFOS)
    return meta

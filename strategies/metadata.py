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
    "InvalidMetadata",
    "invalid_metadata",
    "outside_retention_metadata",
    "pbx_infos",
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
    return st.one_of(
        st.sampled_from((1, 30, 60, 90, 3600)), st.integers(1, 7200)
    ).map(lambda s: iso_duration(s * TICKS_PER_SECOND))


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
    """Valid metadata whose start is at least a day before the retention period: 409 (§2.2)."""
    meta = dict(draw(upload_metadata(usernames=usernames, now=now)))
    age = draw(st.integers((retention_days + 1) * DAY, (retention_days + 400) * DAY))
    start = _now(now) - age
    meta["startDateTime"] = (start - start.ticks % TICKS_PER_SECOND).isoformat(digits=0)
    return meta

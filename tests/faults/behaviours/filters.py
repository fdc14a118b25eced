"""Filter faults: each RHS-Colon operator and boundary, escaping, case, and the plain filters
(reference 2.1 and section 4, A-2, A-4, A-12..A-14).

Every one works the same way (``listing.recompute``): the emulator answers the request as it is, so
validation stays correct; then the filter under test is evaluated locally with the bug, over the
superset the emulator returns without that filter.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import rhs
from ..listing import recompute
from ..ticks import TICKS_PER_SECOND, has_offset, item_end, item_start, parse_instant
from ..upstream import Px
from ..wire import Req, Resp
from . import Behaviour

Item = dict
DATETIME_PARAMS = {"startTime": item_start, "endTime": item_end}
PLAIN_FIELDS = {"localPartyNumber": "localPartyNumber", "ownerUsername": "ownerUsername"}


class LocalFilter(Behaviour):
    """listRecordings where the parameters ``applies`` picks are evaluated by ``matches`` (the bug)."""

    def __init__(
        self,
        applies: Callable[[str, str], bool],
        matches: Callable[[str, str, Item], bool],
    ) -> None:
        super().__init__()
        self.applies = applies
        self.matches = matches

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op != "listRecordings":
            return await px.forward(req)
        targets = [(k, v) for k, v in req.params() if self.applies(k, v)]
        if not targets:
            return await px.forward(req)

        def keep(item: Item) -> bool:
            return all(self.matches(k, v, item) for k, v in targets)

        correct, faulty = await recompute(px, req, drop={k for k, _ in targets}, keep=keep)
        return self.report(correct, faulty)


# ---------------------------------------------------------------------------------------- datetimes


def _datetime_op(name: str, value: str) -> str | None:
    if name not in DATETIME_PARAMS:
        return None
    return rhs.split(value, rhs.DATETIME_OPERATORS)[0]


def datetime_matches(
    value: str,
    x: int | None,
    *,
    upper_inclusive: bool = False,
    lower_exclusive: bool = False,
    after_inclusive: bool = False,
    before_inclusive: bool = False,
    equals_to_the_second: bool = False,
    ignore_offset: bool = False,
) -> bool:
    """Section 4's datetime semantics, with one switch per boundary bug (all off: correct)."""
    if x is None:
        return False
    op, operand = rhs.split(value, rhs.DATETIME_OPERATORS)

    def instant(text: str) -> int:
        ticks = parse_instant(text, ignore_offset=ignore_offset)
        assert ticks is not None, text  # the emulator accepted it, so it parses
        return ticks

    if op == "between":
        low_text, _, high_text = operand.partition(";")
        low, high = instant(low_text), instant(high_text)
        above = x > low if lower_exclusive else x >= low
        below = x <= high if upper_inclusive else x < high
        return above and below
    t = instant(operand)
    if op == "before":
        return x <= t if before_inclusive else x < t
    if op == "after":
        return x >= t if after_inclusive else x > t
    if equals_to_the_second:
        return x // TICKS_PER_SECOND == t // TICKS_PER_SECOND
    return x == t


def datetime_fault(operator: str | None, **bug: bool) -> Callable[[], Behaviour]:
    """A factory: startTime/endTime filters using ``operator`` (any if ``None``) evaluated with ``bug``."""

    def applies(name: str, value: str) -> bool:
        op = _datetime_op(name, value)
        return op is not None and (operator is None or op == operator)

    def matches(name: str, value: str, item: Item) -> bool:
        return datetime_matches(value, DATETIME_PARAMS[name](item), **bug)

    return lambda: LocalFilter(applies, matches)


def offset_ignored() -> Behaviour:
    """Numeric offsets are dropped (``10:00+02:00`` read as ``10:00Z``): only zone-aware operands differ."""

    def applies(name: str, value: str) -> bool:
        if _datetime_op(name, value) is None:
            return False
        operand = rhs.split(value, rhs.DATETIME_OPERATORS)[1]
        return any(has_offset(part) for part in operand.split(";"))

    def matches(name: str, value: str, item: Item) -> bool:
        return datetime_matches(value, DATETIME_PARAMS[name](item), ignore_offset=True)

    return LocalFilter(applies, matches)


def end_time_as_start_time() -> Behaviour:
    """endTime is compared with the start column (a copy-paste bug), not startTime + duration (A-2)."""
    return LocalFilter(
        lambda name, value: name == "endTime",
        lambda name, value, item: datetime_matches(value, item_start(item)),
    )


# ------------------------------------------------------------------------------------------ strings


def string_fault(applies_to_value: Callable[[str], bool], *, plain_too: bool = False, **bug: bool):  # type: ignore[no-untyped-def]
    """A factory: remoteParty values ``applies_to_value`` picks (and, if ``plain_too``, the plain
    filters) evaluated with ``bug`` (see ``rhs.string_matches``)."""

    def applies(name: str, value: str) -> bool:
        if name == "remoteParty":
            return applies_to_value(value)
        return plain_too and name in PLAIN_FIELDS

    def matches(name: str, value: str, item: Item) -> bool:
        if name == "remoteParty":
            return rhs.string_matches(str(item.get("remotePartyNumber", "")), value, **bug)
        field = str(item.get(PLAIN_FIELDS[name], ""))
        return field == value if bug.get("case_sensitive") else field.lower() == value.lower()

    return lambda: LocalFilter(applies, matches)


def _is_contains(value: str) -> bool:
    return rhs.split(value, rhs.STRING_OPERATORS)[0] == "contains"


def _is_equals(value: str) -> bool:
    return rhs.split(value, rhs.STRING_OPERATORS)[0] == "equals"


contains_as_prefix = string_fault(_is_contains, contains_as_prefix=True)
escape_backslash_literal = string_fault(lambda v: "\\\\" in v, unescape_backslash=False)
escape_semicolon_literal = string_fault(lambda v: "\\;" in v, unescape_semicolon=False)
case_sensitive_equals = string_fault(_is_equals, plain_too=True, case_sensitive=True)
equals_prefix_literal = string_fault(lambda v: v.startswith("equals:"), recognise_equals=False)


# ------------------------------------------------------------------------------ ignored parameters


class DropParams(Behaviour):
    """``op`` ignores the parameters ``drops`` picks (after the emulator has validated them)."""

    def __init__(self, op: str, drops: Callable[[str, str], bool]) -> None:
        super().__init__()
        self.op = op
        self.drops = drops

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op != self.op:
            return await px.forward(req)
        names = {k for k, v in req.params() if self.drops(k, v)}
        if not names:
            return await px.forward(req)
        correct = await px.forward(req)
        if correct.status != 200:
            return correct
        return self.report(correct, await px.forward(req.without_params(*names)))


def direction_ignored() -> Behaviour:
    """The direction filter is accepted and validated but never applied."""
    return DropParams("listRecordings", lambda k, v: k == "direction")


def empty_filter_matches_all() -> Behaviour:
    """An empty plain filter (``ownerUsername=``) is treated as absent, not as "equals empty" (A-4)."""
    return DropParams("listRecordings", lambda k, v: k in PLAIN_FIELDS and v == "")


def live_username_ignored() -> Behaviour:
    """listActiveRecordings ignores its ``username`` filter (reference 2.3)."""
    return DropParams("listActiveRecordings", lambda k, v: k == "username")


FILTER_NAMES = ("startTime", "endTime", "localPartyNumber", "remoteParty", "ownerUsername", "direction")


class InvalidFilterIgnored(Behaviour):
    """A lenient parser: a filter it cannot parse is skipped instead of answering 400 reason 0 (A-13)."""

    async def handle(self, req: Req, px: Px) -> Resp:
        correct = await px.forward(req)
        body = correct.json()
        if (
            req.op != "listRecordings"
            or correct.status != 400
            or not isinstance(body, dict)
            or body.get("reason") != 0
        ):
            return correct
        bad = []
        for name in {k for k, _ in req.params() if k in FILTER_NAMES}:
            alone = [(k, v) for k, v in req.params() if k == name]
            probe = await px.forward(req.with_params(alone))
            if probe.status == 400:
                bad.append(name)
        if not bad:
            return correct
        return self.report(correct, await px.forward(req.without_params(*bad)))


def live_numeric_user_id_ignored() -> Behaviour:
    """listActiveRecordings ignores its ``numericUserId`` filter (reference 2.3)."""
    return DropParams("listActiveRecordings", lambda k, v: k == "numericUserId")


def direction_zero_ignored() -> Behaviour:
    """``direction=0`` (unknown) is taken for "no direction filter": the value is tested for
    truthiness instead of presence, so 0 filters nothing while 1 and 2 work (reference 2.1)."""
    return DropParams("listRecordings", lambda k, v: k == "direction" and v.strip() == "0")


def local_party_suffix_match() -> Behaviour:
    """localPartyNumber matches every number that *ends* with the value (a "smart" match that ignores
    country and trunk prefixes), not only the equal one (reference 2.1: equals only)."""
    return LocalFilter(
        lambda name, value: name == "localPartyNumber" and value != "",
        lambda name, value, item: str(item.get("localPartyNumber", "")).lower().endswith(value.lower()),
    )


def _reversed_between(value: str) -> bool:
    op, operand = rhs.split(value, rhs.DATETIME_OPERATORS)
    if op != "between":
        return False
    low_text, _, high_text = operand.partition(";")
    low, high = parse_instant(low_text), parse_instant(high_text)
    return low is not None and high is not None and low >= high


class BetweenReversedRejected(Behaviour):
    """``between:T1;T2`` with T1 >= T2 is refused as invalid (400 reason 0) instead of matching
    nothing (A-14: 200 with an empty result)."""

    async def handle(self, req: Req, px: Px) -> Resp:
        correct = await px.forward(req)
        if (
            req.op != "listRecordings"
            or correct.status != 200
            or not any(k in DATETIME_PARAMS and _reversed_between(v) for k, v in req.params())
        ):
            return correct
        faulty = Resp.of_json(
            400, {"reason": 0, "message": "The lower bound of between must be before the upper."}
        )
        return self.report(correct, faulty)

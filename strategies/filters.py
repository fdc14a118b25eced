r"""Hypothesis strategies for RHS-Colon filters: valid ones weighted toward the corners, and malformed ones.

Reference: §4 of `shared/api/recording-api-reference.md`, A-4 and A-12..A-14.

Invariants (tested in `tests/strategies/`):

* every `DatetimeFilter`/`StringFilter` drawn here satisfies `parse(encode(f), f.kind) == f`;
* valid string filters only hold oracle-safe text (`oracle_safety`), never a trailing space in an
  `equals` operand, and never a bare operand that looks like an operator (`is_operator_lookalike`),
  so the oracle's answer is the same for every correct server;
* every `MalformedFilter` is rejected by `parse` with exactly its `rule`, and every malformed text is
  invalid under *any* reasonable reading (no date-only values, no `+hhmm` offsets, no surrounding
  whitespace, nothing longer than IIS's default 2048-byte query string), so a lenient but correct
  server is never reported;
* the corner classes (bounds at / ±1 tick / ±1 s of the `around` values, `between` equal / reversed /
  one tick apart, non-`Z` zones, 7-digit fractions, every escaping shape) each make up at least 2% of
  the draws (`test_strategies_distribution.py`).

`one_of` lists the simplest alternative first so failures shrink to small, plain filters.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from strategies.oracle_safety import SAFE_NON_ASCII, is_oracle_safe_char, is_oracle_safe_value
from strategies.rhs_colon import (
    ALL_OPERATORS,
    EXPECTED_REASON,
    EXPECTED_STATUS,
    STRING_OPERATORS,
    TICKS_PER_SECOND,
    DatetimeFilter,
    DatetimeOp,
    FilterKind,
    Instant,
    StringFilter,
    TimeFormat,
    ZoneStyle,
    escape,
    min_digits,
)

__all__ = [
    "BETWEEN_SHAPES",
    "NUDGES",
    "SAFE_ALPHABET",
    "MalformedFilter",
    "datetime_filters",
    "free_instants",
    "instants",
    "is_operator_lookalike",
    "malformed_filters",
    "string_filters",
    "string_operands",
    "time_formats",
]

SECOND = TICKS_PER_SECOND
NUDGES: tuple[int, ...] = (0, -1, 1, -SECOND, SECOND)
"""Distances from a known value that matter for `<`, `<=`, `==`: at, one tick either side, one second."""

BETWEEN_SHAPES = ("ordered", "equal", "one-tick", "reversed")
"""`between` bounds: a normal range, T1 == T2 and T1 > T2 (both select nothing, A-14), T2 = T1 + 1 tick."""

_LOW = Instant.parse("2000-01-01T00:00:00Z")
_HIGH = Instant.parse("2099-12-31T23:59:59Z")

_OTHER_ZONES: tuple[tuple[ZoneStyle, int], ...] = (
    ("none", 0),
    ("offset", 0),
    ("offset", 120),
    ("offset", -300),
    ("offset", 330),
    ("offset", 345),
    ("offset", -210),
    ("offset", 840),
    ("offset", -720),
    ("offset", 60),
)
"""Zone-less (UTC, A-14), `+00:00`, and real-world offsets incl. half and quarter hours and ±12..14 h."""

_DIGITS = (7, 0, 3, 6, 1, 2, 4, 5)


# --------------------------------------------------------------------------------------------------
# Instants and how they are written
# --------------------------------------------------------------------------------------------------


def free_instants() -> SearchStrategy[Instant]:
    """Instants in 2000..2099 at each precision: whole seconds, milliseconds, single ticks."""
    return _FREE_INSTANTS


_FREE_INSTANTS = st.one_of(
    st.integers(_LOW.ticks // SECOND, _HIGH.ticks // SECOND).map(lambda s: Instant(s * SECOND)),
    st.integers(_LOW.ticks // 10_000, _HIGH.ticks // 10_000).map(lambda ms: Instant(ms * 10_000)),
    st.integers(_LOW.ticks, _HIGH.ticks).map(Instant),
)
_NUDGE = st.sampled_from(NUDGES)
_ZONE: SearchStrategy[tuple[ZoneStyle, int]] = st.one_of(st.just(("Z", 0)), st.sampled_from(_OTHER_ZONES))
_DIGIT = st.sampled_from(_DIGITS)


def _draw_instant(draw: st.DrawFn, anchors: tuple[Instant, ...]) -> Instant:
    """At, ±1 tick or ±1 s of an anchor three times in four; anywhere otherwise (or without anchors)."""
    if anchors and draw(st.integers(0, 3)) < 3:
        return anchors[draw(st.integers(0, len(anchors) - 1))] + draw(_NUDGE)
    return draw(_FREE_INSTANTS)


def _draw_format(draw: st.DrawFn, instant: Instant) -> TimeFormat:
    """`Z` half the time, else another zone; 0..7 fractional digits, never fewer than `instant` needs."""
    zone, offset = draw(_ZONE)
    digits = max(draw(_DIGIT), min_digits(instant.ticks))
    return TimeFormat(offset_minutes=offset, digits=digits, zone=zone)


def instants(*, around: Sequence[Instant] = ()) -> SearchStrategy[Instant]:
    """Instants at, ±1 tick and ±1 s of `around` (three times in four), else anywhere."""
    anchors = _check_instants(around)
    return _instants(anchors) if anchors else _FREE_INSTANTS


@st.composite
def _instants(draw: st.DrawFn, anchors: tuple[Instant, ...]) -> Instant:
    return _draw_instant(draw, anchors)


@st.composite
def time_formats(draw: st.DrawFn, instant: Instant) -> TimeFormat:
    """Ways to write `instant` exactly (see `_draw_format`)."""
    return _draw_format(draw, instant)


def _check_instants(around: Sequence[Instant]) -> tuple[Instant, ...]:
    anchors = tuple(around)
    for a in anchors:
        if not isinstance(a, Instant):
            raise TypeError(f"around must hold Instants, got {a!r}")
    return anchors


# --------------------------------------------------------------------------------------------------
# Valid datetime filters
# --------------------------------------------------------------------------------------------------

_DATETIME_OP: SearchStrategy[DatetimeOp] = st.sampled_from(("equals", "before", "after", "between"))
_BETWEEN_SHAPE = st.sampled_from(BETWEEN_SHAPES)
_REVERSAL = st.sampled_from((1, SECOND, 3600 * SECOND))


def _draw_between(draw: st.DrawFn, anchors: tuple[Instant, ...]) -> DatetimeFilter:
    shape = draw(_BETWEEN_SHAPE)
    lower = _draw_instant(draw, anchors)
    if shape == "ordered":
        lower, upper = sorted((lower, _draw_instant(draw, anchors)))
        if upper == lower:
            upper = upper + SECOND
    elif shape == "equal":
        upper = lower
    elif shape == "one-tick":
        upper = lower + 1
    else:
        upper = lower - draw(_REVERSAL)
    fmt = _draw_format(draw, lower)
    if draw(st.booleans()):
        upper_fmt = TimeFormat(fmt.offset_minutes, max(fmt.digits, min_digits(upper.ticks)), fmt.zone)
    else:
        upper_fmt = _draw_format(draw, upper)
    return DatetimeFilter(
        "between", lower, upper, fmt.offset_minutes, fmt.digits, True, fmt.zone, upper_format=upper_fmt
    )


def _draw_datetime_filter(draw: st.DrawFn, anchors: tuple[Instant, ...]) -> DatetimeFilter:
    op = draw(_DATETIME_OP)  # sampled in order, so failures shrink toward `equals`
    if op == "between":
        return _draw_between(draw, anchors)
    value = _draw_instant(draw, anchors)
    fmt = _draw_format(draw, value)
    explicit = True if op != "equals" else draw(st.booleans())
    return DatetimeFilter(op, value, None, fmt.offset_minutes, fmt.digits, explicit, fmt.zone)


_ANCHOR_LISTS = st.lists(_FREE_INSTANTS, min_size=1, max_size=3).map(tuple)


def datetime_filters(*, around: Sequence[Instant] = ()) -> SearchStrategy[DatetimeFilter]:
    """Valid `RHS-Colon:datetime` filters (§4, A-14) with bounds at, ±1 tick and ±1 s of `around`.

    Without `around`, each example first draws 1..3 anchor instants of its own. Offsets other than `Z`,
    zone-less values, 0..7 fractional digits and bare `equals` all occur; `between` comes in the four
    `BETWEEN_SHAPES`.
    """
    return _datetime_filters(_check_instants(around))


@st.composite
def _datetime_filters(draw: st.DrawFn, anchors: tuple[Instant, ...]) -> DatetimeFilter:
    return _draw_datetime_filter(draw, anchors or draw(_ANCHOR_LISTS))


# --------------------------------------------------------------------------------------------------
# Valid string filters
# --------------------------------------------------------------------------------------------------

SAFE_ALPHABET = string.ascii_letters + string.digits + " -._~+@" + SAFE_NON_ASCII
"""Plain operand text: ASCII letters/digits/punctuation and the oracle-safe non-ASCII letters."""

_OPERATOR_PREFIXES = ("contains:", "equals:", "before:", "after:", "between:", "CONTAINS:", "Equals:")
_ESCAPE_PIECES = (";", "\\", "\\;", "\\\\", ";;", "\\\\;")
_COLON_PIECES = (":", "::", "c:\\x", "a:b")
_URL_PIECES = ("&", "=", "+", "#", "%", "?", "/", "%20", "%3B", "%5C", "&remoteParty=x")
_SQL_PIECES = ("'", "_", "[a]", "' OR '1'='1", "--", "*", "%_")
_NON_ASCII_PIECES = ("Café", "CAFÉ", "жук", "ЖУК", "漢字", "Ωδ", "ñÑ")
_SPACE_PIECES = (" ", "a b", "  x")


def is_operator_lookalike(operand: str) -> bool:
    """A bare operand starting with *any* operator name and `:`, in any case, is written `equals:...`.

    A-12 makes only lowercase string operators special, so bare `before:x` and `CONTAINS:x` are
    literals on `remoteParty`. A server that accepts every operator name on every format, or matches
    operator names case-insensitively, reads them as operators. Writing `equals:` explicitly means the
    same thing under both readings, so valid strategies do that (the parser still accepts the bare form).
    """
    head, sep, _ = operand.partition(":")
    return bool(sep) and head.lower() in ALL_OPERATORS


_plain_text = st.text(alphabet=SAFE_ALPHABET, min_size=1, max_size=6)
_pieces = st.one_of(
    _plain_text,
    st.sampled_from(_ESCAPE_PIECES),
    st.sampled_from(_COLON_PIECES),
    st.sampled_from(_URL_PIECES + _SQL_PIECES),
    st.sampled_from(_NON_ASCII_PIECES),
    st.sampled_from(_SPACE_PIECES),
)


@st.composite
def _generic_operands(draw: st.DrawFn) -> str:
    prefix = draw(st.one_of(st.just(""), st.just(""), st.sampled_from(_OPERATOR_PREFIXES)))
    body = "".join(draw(st.lists(_pieces, min_size=1, max_size=4)))
    suffix = draw(st.sampled_from(("", "", "", "\\")))
    return prefix + body + suffix


_RECASINGS: tuple[Callable[[str], str], ...] = (str, str.lower, str.upper, str.swapcase)


@st.composite
def _operands_from_values(draw: st.DrawFn, values: tuple[str, ...]) -> str:
    value = draw(st.sampled_from(values))
    cut = draw(st.sampled_from(("whole", "prefix", "suffix", "middle", "one-char", "near-miss")))
    n = len(value)
    if cut == "whole":
        text = value
    elif cut == "prefix":
        text = value[: draw(st.integers(1, n))]
    elif cut == "suffix":
        text = value[draw(st.integers(0, n - 1)) :]
    elif cut == "middle":
        i = draw(st.integers(0, n - 1))
        text = value[i : draw(st.integers(i + 1, n))]
    elif cut == "one-char":
        text = value[draw(st.integers(0, n - 1))]
    else:  # one character more than the stored value: selects nothing unless another value has it
        extra = draw(st.sampled_from(("x", "0", ";", "\\", "É")))
        text = value + extra if draw(st.booleans()) else extra + value
    recased = draw(st.sampled_from(_RECASINGS))(text)
    return recased if all(map(is_oracle_safe_char, recased)) else text


def string_operands(*, around: Sequence[str] = ()) -> SearchStrategy[str]:
    """Unescaped operands: pieces of `around` values (recased, A-4) and escaping/encoding edge cases.

    Edge cases: `;`, `\\`, `\\;` and `\\\\` as data, trailing backslashes, colons, operator names as data
    (`contains:` in an `equals` operand), spaces, non-ASCII letters, characters that need URL encoding
    and SQL `LIKE` wildcards. Unsafe `around` values (`oracle_safety`) are ignored.
    """
    values = tuple(v for v in around if isinstance(v, str) and is_oracle_safe_value(v))
    if not values:
        return _generic_operands()
    from_values = _operands_from_values(values)
    return st.one_of(from_values, from_values, from_values, _generic_operands())


def _equals_safe(operand: str) -> str:
    """`equals` operands never end in a space (`oracle_safety.has_trailing_space`)."""
    stripped = operand.rstrip(" ")
    return stripped or "x"


@st.composite
def _string_filters(draw: st.DrawFn, operands: SearchStrategy[str]) -> StringFilter:
    op = draw(st.sampled_from(STRING_OPERATORS))
    operand = draw(operands)
    if op == "equals":
        operand = _equals_safe(operand)
    explicit = op != "equals" or is_operator_lookalike(operand) or draw(st.booleans())
    return StringFilter(op, operand, explicit)


def string_filters(*, around: Sequence[str] = ()) -> SearchStrategy[StringFilter]:
    """Valid `RHS-Colon:string` filters (§4, A-4, A-12): `equals` (bare or explicit) and `contains`."""
    return _string_filters(string_operands(around=around))


# --------------------------------------------------------------------------------------------------
# Malformed filters
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MalformedFilter:
    """A filter text the server must refuse: `rule` is the `rhs_colon.RULES` id `parse` reports,
    `why` says what is wrong in words, `assumptions` the reference ids the outcome rests on."""

    text: str
    kind: FilterKind
    rule: str
    why: str
    expected_status: int = EXPECTED_STATUS
    expected_reason: int = EXPECTED_REASON
    assumptions: tuple[str, ...] = ("A-13",)


_MAX_OVERLONG = 1024
"""IIS refuses query strings over 2048 bytes (`maxQueryString`) with its own 404.15 page before the API
sees them, so overlong values stay well under that: the check is about the API, not the web server."""


def _stamp_texts() -> SearchStrategy[str]:
    return free_instants().flatmap(lambda i: time_formats(i).map(lambda f: f.render(i)))


_BAD_DATETIMES: tuple[tuple[str, str], ...] = (
    ("2023-13-01T00:00:00Z", "month 13"),
    ("2023-00-10T00:00:00Z", "month 0"),
    ("2023-01-32T00:00:00Z", "day 32"),
    ("2023-02-29T00:00:00Z", "29 February in a common year"),
    ("2023-04-31T00:00:00Z", "31 April"),
    ("2023-01-01T25:00:00Z", "hour 25"),
    ("2023-01-01T12:60:00Z", "minute 60"),
    ("2023-01-01T12:00:61Z", "second 61"),
    ("2023-01-01T00:00:00+24:00", "offset +24:00"),
    ("2023-01-01T00:00:00+05:60", "offset minutes 60"),
    ("0000-01-01T00:00:00Z", "year 0"),
    ("2023-01-01T00:00:00ZZ", "two zone designators"),
    ("yesterday", "a word, not a date-time"),
    ("now", "a word, not a date-time"),
    ("null", "the word null"),
    ("1672531200", "Unix seconds, not ISO-8601"),
)
_INJECTIONS = ("' OR '1'='1", "' OR 1=1--", " OR 1=1", "<script>alert(1)</script>", "${jndi:ldap://x/a}")
_CONTROL_CHARS = ("\x01", "\x08", "\x1b", "\x7f")
"""No NUL (some date parsers stop at it) and no tab/newline (parsers skip whitespace)."""

_UNKNOWN_OPERATORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("lt", ("A-13",)),
    ("gt", ("A-13",)),
    ("on", ("A-13",)),
    ("since", ("A-13",)),
    ("until", ("A-13",)),
    ("from", ("A-13",)),
    ("notequals", ("A-13",)),
    ("like", ("A-13",)),
    ("contains", ("A-13",)),
    ("betwen", ("A-13",)),
    ("BEFORE", ("A-12", "A-13")),
    ("After", ("A-12", "A-13")),
    ("EQUALS", ("A-12", "A-13")),
)
"""Unknown on a datetime; the capitalised ones are unknown because operator names are lowercase (A-12)."""

_SINGLE_OPS = ("", "equals:", "before:", "after:")


def _datetime_rule(rule: str, why: str, *assumptions: str) -> Callable[[str], MalformedFilter]:
    """A malformed datetime filter text -> its ``MalformedFilter`` (A-13 unless said otherwise)."""
    return lambda text: MalformedFilter(text, "datetime", rule, why, assumptions=assumptions or ("A-13",))


def _datetime_empty_operands(stamps: SearchStrategy[str]) -> SearchStrategy[MalformedFilter]:
    """Nothing after the operator, or one ``between`` bound empty."""
    return st.sampled_from(("", "equals:", "before:", "after:", "between:", "between:;")).map(
        _datetime_rule("empty-operand", "nothing after the operator")
    ) | stamps.flatmap(
        lambda t: st.sampled_from((f"between:;{t}", f"between:{t};")).map(
            _datetime_rule("empty-operand", "one between bound is empty")
        )
    )


def _datetime_unknown_operators(stamps: SearchStrategy[str]) -> SearchStrategy[MalformedFilter]:
    """A valid date-time behind an operator the datetime filters do not have (``_UNKNOWN_OPERATORS``)."""
    return st.tuples(st.sampled_from(_UNKNOWN_OPERATORS), stamps).map(
        lambda t: MalformedFilter(
            f"{t[0][0]}:{t[1]}",
            "datetime",
            "unknown-operator",
            f"{t[0][0]!r} is not a datetime operator",
            assumptions=t[0][1],
        )
    )


def _datetime_fixed_bad(ops: SearchStrategy[str]) -> SearchStrategy[MalformedFilter]:
    """A single operator (or none) over one of the ``_BAD_DATETIMES``."""
    return st.tuples(ops, st.sampled_from(_BAD_DATETIMES)).map(
        lambda t: MalformedFilter(t[0] + t[1][0], "datetime", "bad-datetime", t[1][1])
    )


@st.composite
def _datetime_mutated_bad(
    draw: st.DrawFn, stamps: SearchStrategy[str], ops: SearchStrategy[str], how: str
) -> MalformedFilter:
    """A valid date-time spoiled ``how``: an injection-shaped suffix, a control character inside,
    overlong (extra digits or repeated, within ``_MAX_OVERLONG``), or a bad ``between`` bound."""
    stamp = draw(stamps)
    op = draw(ops)
    if how == "injection":
        text, why = op + stamp + draw(st.sampled_from(_INJECTIONS)), "injection-shaped suffix"
    elif how == "control":
        pos = draw(st.integers(1, len(stamp) - 2))
        ch = draw(st.sampled_from(_CONTROL_CHARS))
        text, why = op + stamp[:pos] + ch + stamp[pos:], f"control character {ch!r} inside"
    elif how == "overlong" and draw(st.booleans()):
        n = draw(st.integers(256, _MAX_OVERLONG - len(stamp) - 10))
        text, why = op + stamp + "0" * n, f"overlong: {n} extra digits after the date-time"
    elif how == "overlong":
        n = draw(st.integers(256 // len(stamp) + 1, _MAX_OVERLONG // len(stamp) - 1))
        text, why = op + stamp * n, f"overlong: the date-time repeated {n} times"
    else:
        bad = draw(st.sampled_from(_BAD_DATETIMES))
        pair = (stamp, bad[0]) if draw(st.booleans()) else (bad[0], stamp)
        text, why = "between:" + ";".join(pair), f"a between bound is bad: {bad[1]}"
    return MalformedFilter(text, "datetime", "bad-datetime", why)


@st.composite
def _datetime_backslashed(
    draw: st.DrawFn, stamps: SearchStrategy[str], ops: SearchStrategy[str]
) -> MalformedFilter:
    """A backslash where a date-time has none to escape (A-14): inside it, before the ``between``
    separator, or trailing."""
    stamp = draw(stamps)
    how = draw(st.sampled_from(("inside", "escaped-separator", "trailing")))
    if how == "inside":
        pos = draw(st.integers(0, len(stamp)))
        text = draw(ops) + stamp[:pos] + "\\" + stamp[pos:]
        why = "a backslash inside the date-time"
    elif how == "escaped-separator":
        text, why = f"between:{stamp}\\;{draw(stamps)}", "between with an escaped separator"
    else:
        text, why = f"between:{stamp};{draw(stamps)}\\", "a trailing backslash after a between bound"
    return MalformedFilter(text, "datetime", "backslash-in-datetime", why, assumptions=("A-13", "A-14"))


@st.composite
def _datetime_between_separators(draw: st.DrawFn, stamps: SearchStrategy[str]) -> MalformedFilter:
    """``between`` with other than exactly one ``;`` between two bounds."""
    a, b, c = draw(stamps), draw(stamps), draw(stamps)
    text, why = draw(
        st.sampled_from(
            (
                (f"between:{a}", "between with no separator"),
                (f"between:{a};{b};{c}", "between with two separators"),
                (f"between:{a};;{b}", "between with a doubled separator"),
                (f"between:{a};{b};", "between with a trailing separator"),
                ("between:;;", "between with only two separators"),
            )
        )
    )
    return MalformedFilter(text, "datetime", "between-separators", why)


def _datetime_malformed() -> SearchStrategy[MalformedFilter]:
    """Every class of malformed datetime filter, simplest first (empty operands shrink best)."""
    stamps = _stamp_texts()
    ops = st.sampled_from(_SINGLE_OPS)
    return st.one_of(
        _datetime_empty_operands(stamps),
        _datetime_unknown_operators(stamps),
        _datetime_fixed_bad(ops),
        *(
            _datetime_mutated_bad(stamps, ops, how)
            for how in ("injection", "control", "overlong", "between-bound")
        ),
        _datetime_backslashed(stamps, ops),
        _datetime_between_separators(stamps),
    )


_malformed_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00\\;", exclude_categories=["Cs"]),
    max_size=8,
)
"""Filler around a defect: anything but NUL, backslash and semicolon (escaped it stays defect-free)."""
_BAD_ESCAPE_TARGETS = ("n", "t", "x", ":", " ", "'", "%", "0", '"', "é", "\x01", "\x7f", "\n")
_STRING_INJECTIONS = ("x'; DROP TABLE Recordings;--", "1; SELECT * FROM Users", "+39;+44", "a;b")


def _string_malformed() -> SearchStrategy[MalformedFilter]:
    ops = st.sampled_from(("", "equals:", "contains:"))
    safe = _malformed_text.map(escape)

    empty = st.sampled_from(("", "equals:", "contains:")).map(
        lambda t: MalformedFilter(t, "string", "empty-operand", "nothing to compare with")
    )

    @st.composite
    def semicolons(draw: st.DrawFn) -> MalformedFilter:
        op = draw(ops)
        how = draw(
            st.sampled_from(("plain", "after-escaped-backslash", "after-escaped-semicolon", "injection"))
        )
        left, right = draw(safe), draw(safe)
        if how == "plain":
            text, why = f"{op}{left};{right}", "a bare ';'"
        elif how == "after-escaped-backslash":
            text, why = f"{op}{left}\\\\;{right}", "'\\\\;' is an escaped backslash, then a bare ';'"
        elif how == "after-escaped-semicolon":
            text, why = f"{op}{left}\\;{right};", "an escaped ';' followed later by a bare one"
        else:
            text = op + draw(st.sampled_from(_STRING_INJECTIONS))
            why = "injection-shaped value with a bare ';'"
        return MalformedFilter(text, "string", "unescaped-semicolon", why)

    @st.composite
    def dangling(draw: st.DrawFn) -> MalformedFilter:
        op = draw(ops)
        if draw(st.booleans()):
            text, why = f"{op}{draw(safe)}\\", "ends in a lone backslash"
        else:
            k = draw(st.integers(1, 3))
            text, why = f"{op}{draw(safe)}" + "\\" * (2 * k + 1), f"ends in {2 * k + 1} backslashes"
        return MalformedFilter(text, "string", "dangling-backslash", why)

    @st.composite
    def overlong(draw: st.DrawFn) -> MalformedFilter:
        n = draw(st.integers(256, _MAX_OVERLONG - 20))
        filler = "7" * n
        rule, text = draw(
            st.sampled_from(
                (
                    ("dangling-backslash", f"{filler}\\"),
                    ("unescaped-semicolon", f"contains:{filler};"),
                    ("bad-escape", f"\\x{filler}"),
                )
            )
        )
        return MalformedFilter(text, "string", rule, f"overlong ({n} characters) with a {rule}")

    @st.composite
    def bad_escapes(draw: st.DrawFn) -> MalformedFilter:
        target = draw(st.sampled_from(_BAD_ESCAPE_TARGETS))
        text = f"{draw(ops)}{draw(safe)}\\{target}{draw(safe)}"
        kind = "a control character" if not target.isprintable() else repr(target)
        return MalformedFilter(text, "string", "bad-escape", f"a backslash before {kind}")

    return st.one_of(empty, semicolons(), dangling(), bad_escapes(), overlong())


def malformed_filters(kind: FilterKind) -> SearchStrategy[MalformedFilter]:
    """Invalid filter texts of `kind`, each labelled with the A-13 rule it breaks: 400 reason 0.

    Datetime: unknown operators, unparsable and injection-shaped or overlong date-times, control
    characters, backslashes, empty operands, `between` with 0 or 2+ separators. String: unescaped `;`
    (also after `\\\\`), dangling and bad escapes, empty operands. Unknown operators on a string are
    data (A-12), so they are not here.
    """
    if kind == "datetime":
        return _datetime_malformed()
    if kind == "string":
        return _string_malformed()
    raise ValueError(f"kind must be 'datetime' or 'string', got {kind!r}")

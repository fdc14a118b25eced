r"""The RHS-Colon model: reference examples, round trips, error rules, and the oracle vs a naive reading.

Invariants under test (reference §4, A-4, A-11..A-14):
* the reference's own examples parse and select as the reference says;
* `parse(encode(f)) == f` for every filter, including arbitrary (not only oracle-safe) operands;
* escaping changes the text exactly where §4 says (an identity encoder fails these);
* `matches` agrees with `brute_readings`, which reads the encoded text independently.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from brute_readings import datetime_selects, instant_key, string_selects
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies.filters import datetime_filters, instants, string_filters, time_formats
from strategies.rhs_colon import (
    RULES,
    TICKS_PER_SECOND,
    DatetimeFilter,
    FilterSyntaxError,
    Instant,
    StringFilter,
    TimeFormat,
    encode,
    escape,
    matches,
    min_digits,
    parse,
    selection_key,
    unescape,
)

FAST = settings(max_examples=100, deadline=None)


def at(text: str) -> Instant:
    return Instant.from_datetime(datetime.fromisoformat(text.replace("Z", "+00:00")))


# --------------------------------------------------------------------------------------------------
# The reference's examples (§4, A-11, A-12, A-14, specs/recordings.yaml examples)
# --------------------------------------------------------------------------------------------------


def test_after_example_selects_strictly_later_instants():
    f = parse("after:2023-01-01T00:00:00Z", "datetime")
    bound = at("2023-01-01T00:00:00Z")
    assert (f.op, f.value) == ("after", bound)
    assert [matches(f, bound + d) for d in (-1, 0, 1)] == [False, False, True]


def test_between_example_includes_lower_and_excludes_upper():
    f = parse("between:2018-11-01T00:00:00Z;2018-11-02T00:00:00Z", "datetime")
    lower, upper = at("2018-11-01T00:00:00Z"), at("2018-11-02T00:00:00Z")
    assert (f.op, f.value, f.upper) == ("between", lower, upper)
    assert [matches(f, x) for x in (lower - 1, lower, upper - 1, upper)] == [False, True, True, False]


def test_before_example_from_the_spec_selects_strictly_earlier_instants():
    f = parse("before:2018-10-10T13:05:34Z", "datetime")
    bound = at("2018-10-10T13:05:34Z")
    assert [matches(f, bound + d) for d in (-1, 0, 1)] == [True, False, False]


def test_bare_datetime_is_equals():
    f = parse("2018-11-01T00:00:00Z", "datetime")
    assert (f.op, f.explicit_op, f.value) == ("equals", False, at("2018-11-01T00:00:00Z"))


def test_contains_example():
    f = parse("contains:+39", "string")
    assert f == StringFilter("contains", "+39")
    assert matches(f, "0039+390212") and not matches(f, "0039")


def test_escaped_semicolon_example_matches_a_semicolon():
    f = parse("equals:a\\;b", "string")
    assert f.operand == "a;b"
    assert matches(f, "a;b") and matches(f, "A;B") and not matches(f, "a\\;b")


def test_escaped_backslash_example_matches_one_backslash():
    f = parse("c:\\\\x", "string")
    assert (f.op, f.operand, f.explicit_op) == ("equals", "c:\\x", False)
    assert matches(f, "c:\\x") and not matches(f, "c:\\\\x")


def test_explicit_equals_makes_an_operator_name_data():
    f = parse("equals:contains:x", "string")
    assert (f.op, f.operand) == ("equals", "contains:x")
    assert encode(StringFilter("equals", "contains:x", explicit_op=False)) == "equals:contains:x"


def test_offsets_are_honoured_and_no_zone_is_utc():
    utc = Instant.parse("2018-11-01T00:00:00Z")
    assert Instant.parse("2018-11-01T02:00:00+02:00") == utc
    assert Instant.parse("2018-10-31T19:00:00-05:00") == utc
    assert Instant.parse("2018-11-01T00:00:00") == utc


def test_vendor_live_recording_timestamp_parses():
    """A-11: zone-less, 7 fractional digits, as in the vendor's LiveRecording example."""
    assert Instant.parse("2018-07-02T15:07:00.0000000") == at("2018-07-02T15:07:00Z")
    assert Instant.parse("2018-07-02T15:07:00.0000001") == at("2018-07-02T15:07:00Z") + 1


def test_reversed_and_equal_between_select_nothing_without_error():
    """A-14: T1 >= T2 is a valid filter that matches nothing."""
    t = at("2018-11-01T00:00:00Z")
    for text in (
        "between:2018-11-02T00:00:00Z;2018-11-01T00:00:00Z",
        "between:2018-11-01T00:00:00Z;2018-11-01T00:00:00Z",
    ):
        f = parse(text, "datetime")
        assert f.is_empty_range
        assert not any(matches(f, t + d) for d in (-TICKS_PER_SECOND, -1, 0, 1, 24 * 3600 * TICKS_PER_SECOND))


@pytest.mark.parametrize(
    ("text", "kind", "rule"),
    [
        ("lt:2023-01-01T00:00:00Z", "datetime", "unknown-operator"),
        ("2023-13-01T00:00:00Z", "datetime", "bad-datetime"),
        ("between:2023-01-01T00:00:00Z", "datetime", "between-separators"),
        (
            "between:2023-01-01T00:00:00Z;2023-01-02T00:00:00Z;2023-01-03T00:00:00Z",
            "datetime",
            "between-separators",
        ),
        ("a;b", "string", "unescaped-semicolon"),
        ("a\\b", "string", "bad-escape"),
        ("ab\\", "string", "dangling-backslash"),
        ("contains:", "string", "empty-operand"),
        ("before:", "datetime", "empty-operand"),
        ("before:2023-01-01T00:00:00\\Z", "datetime", "backslash-in-datetime"),
    ],
)
def test_each_a13_clause_is_rejected_with_its_rule(text, kind, rule):
    with pytest.raises(FilterSyntaxError) as info:
        parse(text, kind)
    assert info.value.rule == rule
    assert rule in RULES


def test_operator_names_are_lowercase_only():
    """A-12: `CONTAINS:x` is a literal on a string, and not an operator at all on a datetime."""
    assert parse("CONTAINS:x", "string") == StringFilter("equals", "CONTAINS:x", explicit_op=False)
    with pytest.raises(FilterSyntaxError) as info:
        parse("BEFORE:2023-01-01T00:00:00Z", "datetime")
    assert info.value.rule == "unknown-operator"


def test_first_escaping_fault_names_the_rule():
    with pytest.raises(FilterSyntaxError) as info:
        unescape("a\\x;b")
    assert (info.value.rule, info.value.position) == ("bad-escape", 1)
    with pytest.raises(FilterSyntaxError) as info:
        unescape("a;b\\")
    assert (info.value.rule, info.value.position) == ("unescaped-semicolon", 1)


# --------------------------------------------------------------------------------------------------
# Instants
# --------------------------------------------------------------------------------------------------


@FAST
@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
        ),
    )
)
def test_instant_agrees_with_datetime(dt):
    inst = Instant.from_datetime(dt)
    assert inst.to_datetime() == dt
    assert Instant.parse(dt.isoformat()) == inst
    assert Instant.parse(inst.isoformat(digits=6)) == inst


@FAST
@given(instants(), st.data())
def test_instant_text_round_trips_in_every_format(inst, data):
    fmt = data.draw(time_formats(inst))
    text = fmt.render(inst)
    assert Instant.parse(text) == inst
    whole, fraction = instant_key(text)
    assert Instant.from_datetime(whole) + int(fraction * TICKS_PER_SECOND) == inst


@FAST
@given(st.integers(-(10**17), 10**17), st.integers(0, 6))
def test_rendering_never_drops_a_tick(ticks, digits):
    inst = Instant(ticks)
    if min_digits(ticks) > digits:
        with pytest.raises(ValueError):
            inst.isoformat(digits=digits)
    else:
        assert Instant.parse(inst.isoformat(digits=digits)) == inst


def test_instant_arithmetic_and_order():
    a = Instant(10)
    assert a + 1 == Instant(11) == 1 + a
    assert a - 1 == Instant(9)
    assert Instant(11) - a == 1
    assert sorted([Instant(3), Instant(-1), Instant(2)]) == [Instant(-1), Instant(2), Instant(3)]
    assert len({Instant(1), Instant(1), Instant(2)}) == 2


# --------------------------------------------------------------------------------------------------
# Round trips and escaping
# --------------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.one_of(datetime_filters(), string_filters()))
def test_parse_inverts_encode_for_generated_filters(f):
    assert parse(encode(f), f.kind) == f


_any_text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=20)


@FAST
@given(st.sampled_from(("equals", "contains")), _any_text, st.booleans())
def test_parse_inverts_encode_for_any_operand(op, operand, explicit):
    f = StringFilter(op, operand, explicit)
    assert parse(encode(f), "string") == f


@FAST
@given(_any_text)
def test_escape_round_trips_and_grows_by_one_per_special_character(s):
    escaped = escape(s)
    assert unescape(escaped) == s
    assert len(escaped) == len(s) + s.count(";") + s.count("\\")


@FAST
@given(_any_text, _any_text, st.sampled_from(";\\"))
def test_a_special_character_changes_the_encoded_text(left, right, special):
    """An identity encoder fails this: the encoding of `;`/`\\` must not be the character itself."""
    operand = left + special + right
    encoded = encode(StringFilter("contains", operand))
    assert encoded != "contains:" + operand
    assert "\\" + special in encoded


def test_filters_that_select_the_same_instants_share_a_selection_key():
    t = at("2023-06-01T12:00:00Z")
    z = DatetimeFilter("before", t)
    offset = DatetimeFilter("before", t, offset_minutes=120, digits=0)
    assert z != offset and encode(z) != encode(offset)
    assert selection_key(z) == selection_key(offset)
    assert parse(encode(offset), "datetime") == offset


def test_between_bounds_may_be_written_differently():
    lower, upper = at("2023-06-01T12:00:00Z"), at("2023-06-01T12:00:00Z") + 1
    f = DatetimeFilter("between", lower, upper, 60, 0, upper_format=TimeFormat(0, 7, "none"))
    assert encode(f) == "between:2023-06-01T13:00:00+01:00;2023-06-01T12:00:00.0000001"
    assert parse(encode(f), "datetime") == f


def test_inconsistent_filter_values_are_refused():
    t = at("2023-06-01T12:00:00Z")
    with pytest.raises(ValueError):
        DatetimeFilter("between", t)
    with pytest.raises(ValueError):
        DatetimeFilter("before", t, upper=t)
    with pytest.raises(ValueError):
        DatetimeFilter("equals", t + 1, digits=3)
    with pytest.raises(ValueError):
        DatetimeFilter("equals", t, offset_minutes=60, zone="Z")
    with pytest.raises(ValueError):
        StringFilter("equals", "")
    with pytest.raises(ValueError):
        parse("x", "number")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# The oracle against the naive reading
# --------------------------------------------------------------------------------------------------


@st.composite
def datetime_cases(draw):
    f = draw(datetime_filters())
    anchors = [f.value] + ([f.upper] if f.upper is not None else [])
    return f, draw(instants(around=anchors))


@settings(max_examples=200, deadline=None)
@given(datetime_cases())
def test_datetime_matches_agrees_with_the_naive_reading(case):
    f, x = case
    assert matches(f, x) == datetime_selects(encode(f), x.isoformat())
    assert matches(f, x.to_datetime()) == matches(f, Instant.from_datetime(x.to_datetime()))


_STORED = ("+39021234567", "a;b", "A;B", "c:\\x", "Café Ж", "contains:+39", "x\\;y", "漢字 100", "100%_[x]")


@settings(max_examples=200, deadline=None)
@given(string_filters(around=_STORED), st.sampled_from(_STORED))
def test_string_matches_agrees_with_the_naive_reading(f, stored):
    assert matches(f, stored) == string_selects(encode(f), stored)


def test_absent_string_matches_nothing():
    assert not matches(StringFilter("contains", "a"), None)

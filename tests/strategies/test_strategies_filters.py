"""Filter strategies: malformed filters are rejected for their labelled rule; valid ones are oracle-safe.

Invariants under test (reference §4, A-4, A-12, A-13):
* every `MalformedFilter` makes `parse` raise `FilterSyntaxError` with exactly its `rule`, 400 reason 0;
* every valid string filter holds only oracle-safe text, no trailing space in `equals`, and writes
  `equals:` whenever the bare operand looks like an operator;
* strategies refuse nonsense arguments up front.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies.filters import _CONTROL_CHARS as CONTROL_CHARS
from strategies.filters import (
    SAFE_ALPHABET,
    MalformedFilter,
    datetime_filters,
    is_operator_lookalike,
    malformed_filters,
    string_filters,
)
from strategies.oracle_safety import SAFE_NON_ASCII, is_oracle_safe_char, is_oracle_safe_value
from strategies.rhs_colon import RULES, FilterSyntaxError, Instant, encode, parse


@settings(max_examples=300, deadline=None)
@given(st.one_of(malformed_filters("datetime"), malformed_filters("string")))
def test_every_malformed_filter_is_rejected_for_its_labelled_rule(bad: MalformedFilter):
    with pytest.raises(FilterSyntaxError) as info:
        parse(bad.text, bad.kind)
    assert info.value.rule == bad.rule, (bad.why, str(info.value))
    assert bad.rule in RULES
    assert (bad.expected_status, bad.expected_reason) == (400, 0)
    assert "A-13" in bad.assumptions


@settings(max_examples=200, deadline=None)
@given(st.one_of(malformed_filters("datetime"), malformed_filters("string")))
def test_malformed_texts_avoid_what_lenient_servers_may_accept(bad: MalformedFilter):
    """No NUL, no surrounding whitespace on date-times, and short enough for IIS's 2048-byte limit."""
    assert "\x00" not in bad.text
    assert len(quote(bad.text, safe="")) <= 2048 - 200  # room for the path and the other parameters
    if bad.kind == "datetime":
        assert bad.text == bad.text.strip()


@settings(max_examples=300, deadline=None)
@given(string_filters())
def test_valid_string_filters_are_oracle_safe(f):
    assert all(map(is_oracle_safe_char, f.operand))
    if f.op == "equals":
        assert is_oracle_safe_value(f.operand)
    if is_operator_lookalike(f.operand):
        assert f.explicit_op and encode(f).startswith(f.op + ":")


def test_safe_alphabets_pass_every_exclusion():
    assert all(map(is_oracle_safe_char, SAFE_ALPHABET + SAFE_NON_ASCII))


@pytest.mark.parametrize(
    "char",
    [
        "İ",
        "ß",
        "ς",
        "ı",
        "\u212a",
        "\uab70",
        "Ａ",
        "ア",
        "æ",
        "ﬁ",
        "\u00ad",
        "\u0301",
        "😀",
        "\u00a0",
        "٣",
        "\x07",
    ],
)
def test_ambiguous_characters_are_excluded(char):
    assert not is_oracle_safe_char(char)


def test_trailing_space_is_not_a_safe_value():
    assert not is_oracle_safe_value("123 ")
    assert is_oracle_safe_value("1 23")


@pytest.mark.parametrize("operand", ["before:x", "CONTAINS:x", "Between:a", "equals:"])
def test_operator_lookalikes(operand):
    assert is_operator_lookalike(operand)


@pytest.mark.parametrize("operand", ["c:\\x", "beforex", ":before", "sip:alice"])
def test_not_operator_lookalikes(operand):
    assert not is_operator_lookalike(operand)


def test_control_characters_used_by_malformed_datetimes_are_controls():
    assert all(not c.isprintable() and not c.isspace() and c != "\x00" for c in CONTROL_CHARS)


def test_arguments_are_checked_up_front():
    with pytest.raises(TypeError):
        datetime_filters(around=["2023-01-01T00:00:00Z"])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        malformed_filters("number")  # type: ignore[arg-type]
    datetime_filters(around=[Instant(0)])  # fine

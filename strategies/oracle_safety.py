"""Values whose right answer does not depend on how a correct server compares strings.

The string oracle (`rhs_colon.matches`) compares `str.lower()` of both sides (A-4: case-insensitive,
SQL Server's default collation). Real servers compare with a database collation, which agrees with
`str.lower()` on plain letters but not on every character. A check must never fail a correct server,
so the *valid* values that strategies feed to oracle comparisons avoid every character on which two
correct implementations may disagree. Each exclusion is a named predicate whose docstring gives the
concrete case; `is_oracle_safe_char` / `is_oracle_safe_value` combine them.

Invariant: every value produced by `filters.string_filters`, `corpus.corpora` and the plain-filter
strategies satisfies `is_oracle_safe_value` (tested).
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "SAFE_NON_ASCII",
    "has_ambiguous_case",
    "has_collation_expansion",
    "has_trailing_space",
    "is_collation_ignorable",
    "is_non_ascii_digit_or_space",
    "is_oracle_safe_char",
    "is_oracle_safe_value",
    "is_outside_bmp",
    "is_width_or_kana_variant",
]

SAFE_NON_ASCII = "éÉàÀñÑöÖçÇαΑβΒδΔωΩжЖдДяЯ漢字中文"
"""Non-ASCII letters with one-to-one case mappings in every collation: Latin-1 accents, Greek,
Cyrillic, CJK ideographs (no case at all). All pass `is_oracle_safe_char`."""


def has_ambiguous_case(c: str) -> bool:
    """Lowering is not a clean one-to-one pair, so implementations disagree on what "equal" means.

    Cases: `'İ'.lower()` is two code points (`i` + U+0307); `'ß'.casefold()` is `'ss'` and
    `'ß'.upper()` is `'SS'`; Cherokee small `'ꭰ'` (U+AB70) is its own lower case but case-folds to
    capital `'Ꭰ'`, so `lower()` and `casefold()` comparisons disagree; final sigma `'ς'` upper-cases
    to `'Σ'`, which lowers to `'σ'`; dotless `'ı'` upper-cases to `'I'`, which lowers to `'i'`
    (Turkish rules differ again); the Kelvin sign U+212A lowers to ASCII `'k'`, whose upper case is
    ASCII `'K'`.
    """
    lower, upper = c.lower(), c.upper()
    return (
        len(lower) != 1
        or len(upper) != 1
        or lower != c.casefold()
        or upper.lower() != lower
        or lower.upper() != upper
    )


def is_width_or_kana_variant(c: str) -> bool:
    """Width- and kana-insensitive collations (SQL Server's `*_CI_AS` defaults) equate variants.

    Case: fullwidth `'Ａ'` (U+FF21) equals `'A'`, and katakana `'ア'` equals hiragana `'あ'`, under
    `Latin1_General_CI_AS`, while `str.lower()` keeps them distinct.
    """
    decomposition = unicodedata.decomposition(c)
    code = ord(c)
    return (
        decomposition.startswith(("<wide>", "<narrow>", "<small>", "<vertical>"))
        or 0x3040 <= code <= 0x30FF
        or 0x31F0 <= code <= 0x31FF
        or 0xFF00 <= code <= 0xFFEF
    )


_EXPANSIONS = frozenset("ßæÆœŒðÐþÞ")


def has_collation_expansion(c: str) -> bool:
    """Windows collations expand some letters to sequences, and compatibility characters to their base.

    Case: `N'æ' = N'ae'` and `N'straße' = N'strasse'` are true under `Latin1_General_CI_AS`; the ligature
    `'ﬁ'` (U+FB01, decomposition `<compat> 0066 0069`) and superscript `'²'` compare like `'fi'` and `'2'`.
    """
    return c in _EXPANSIONS or unicodedata.decomposition(c).startswith("<")


_IGNORABLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me", "Mc", "Zl", "Zp"})


def is_collation_ignorable(c: str) -> bool:
    """Controls, format characters, combining marks and unassigned code points weigh nothing (or
    something undefined) in a collation.

    Case: soft hyphen U+00AD and zero-width joiner U+200D make `N'a' + NCHAR(173) + N'b' = N'ab'` true;
    a combining acute after `e` may or may not equal precomposed `é` depending on normalisation.
    """
    return unicodedata.category(c) in _IGNORABLE_CATEGORIES


def is_outside_bmp(c: str) -> bool:
    """Supplementary characters are UTF-16 surrogate pairs in non-`_SC` collations.

    Case: an emoji such as U+1F600 is two code units there; characters newer than the collation's
    Unicode version have no weight, so two different emoji can compare equal.
    """
    return ord(c) > 0xFFFF


def is_non_ascii_digit_or_space(c: str) -> bool:
    """Digits and spaces from other scripts may be folded onto ASCII ones by some collations.

    Case: no-break space U+00A0 next to a regular space, Arabic-Indic `'٣'` next to `'3'`: whether they
    compare equal differs between collation versions, so neither answer can be asserted.
    """
    return not c.isascii() and (c.isdigit() or c.isspace() or unicodedata.category(c) == "Zs")


def is_oracle_safe_char(c: str) -> bool:
    """A character whose comparison result is the same for every correct implementation."""
    if c.isascii():
        return c.isprintable()
    return not (
        has_ambiguous_case(c)
        or is_width_or_kana_variant(c)
        or has_collation_expansion(c)
        or is_collation_ignorable(c)
        or is_outside_bmp(c)
        or is_non_ascii_digit_or_space(c)
    )


def has_trailing_space(s: str) -> bool:
    """SQL Server pads strings with spaces before `=` (ANSI padding), so a trailing space is ignored.

    Case: `WHERE remotePartyNumber = N'123 '` selects the stored value `'123'`, and `= N'123'` selects
    a stored `'123 '`. The oracle (whole-value equality) would say no in both.
    """
    return s.endswith(" ")


def is_oracle_safe_value(s: str) -> bool:
    """A stored value or `equals` operand that every correct implementation compares the same way.

    (`contains` operands may end in spaces: `LIKE` keeps trailing spaces of the pattern significant;
    check them with `all(map(is_oracle_safe_char, s))`.)
    """
    return bool(s) and all(map(is_oracle_safe_char, s)) and not has_trailing_space(s)

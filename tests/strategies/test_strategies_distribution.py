r"""Coverage of the corner classes cannot silently collapse.

Invariant under test: over a few thousand draws, every operator and every edge class named in the
issue (bounds at / ±1 tick / ±1 s, `between` equal / reversed / one tick apart, non-`Z` zones, 7-digit
fractions, operands with `;`, `\`, `\;`, `\\`, trailing `\`, colons, operator-like prefixes, spaces,
non-ASCII, URL-reserved characters; every malformed rule and adversarial shape; both oracle outcomes)
makes up at least 2% of them. Classes are computed from the drawn values, not from the strategies'
internal choices, so a strategy that stops producing a class fails here.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from strategies.corpus import corpora, filters_for
from strategies.filters import (
    datetime_filters,
    instants,
    is_operator_lookalike,
    malformed_filters,
    string_filters,
)
from strategies.rhs_colon import TICKS_PER_SECOND, DatetimeFilter, Instant, StringFilter, matches

SECOND = TICKS_PER_SECOND
MIN_SHARE = 0.02
BASE = Instant.now()  # corpora refuse a base in the future; the draws themselves do not depend on it


def draw_many(strategy: st.SearchStrategy, n: int) -> list:
    seen: list = []

    @settings(
        max_examples=n,
        database=None,
        deadline=None,
        derandomize=True,  # a fixed sequence: the shares are a property of the strategy, not of luck
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(x):
        seen.append(x)

    collect()
    return seen


def shares(values: list, classify: Callable[[object], Iterable[str]]) -> Counter:
    counts: Counter = Counter()
    for v in values:
        counts.update(set(classify(v)))
    return counts


def assert_every_class_common(values: list, counts: Counter, expected: Iterable[str]) -> None:
    assert len(values) >= 300, f"only {len(values)} draws"
    rare = {name: counts[name] / len(values) for name in expected if counts[name] / len(values) < MIN_SHARE}
    assert not rare, f"classes under {MIN_SHARE:.0%} of {len(values)} draws: {rare}"


# --------------------------------------------------------------------------------------------------

ANCHORS = (
    Instant.parse("2026-03-01T10:00:00.1234567Z"),
    Instant.parse("2026-03-02T23:59:59.9999999Z"),
    Instant.parse("2026-03-05T00:00:00.0000001Z"),
)
"""More than 2 s apart, so each nudge class has exactly one explanation."""


def datetime_classes(f: DatetimeFilter) -> Iterable[str]:
    yield f"op:{f.op}"
    for name, delta in (
        ("at", 0),
        ("minus-tick", -1),
        ("plus-tick", 1),
        ("minus-second", -SECOND),
        ("plus-second", SECOND),
    ):
        if f.value - delta in ANCHORS:  # the lower (or only) bound: `between` shapes move the upper one
            yield f"bound:{name}"
    if f.op == "between":
        assert f.upper is not None
        if f.upper == f.value:
            yield "between:equal"
        elif f.upper < f.value:
            yield "between:reversed"
        elif f.upper - f.value == 1:
            yield "between:one-tick"
        else:
            yield "between:ordered"
    if f.zone != "Z":
        yield "zone:not-Z"
    if f.zone == "none":
        yield "zone:none"
    if f.offset_minutes % 60:
        yield "zone:fractional-hour"
    if f.digits == 7 and f.value.ticks % 10:
        yield "digits:seven"
    if f.digits < 7:
        yield "digits:fewer"
    if f.op == "equals" and not f.explicit_op:
        yield "equals:bare"


def test_datetime_filter_corners_are_common():
    values = draw_many(datetime_filters(around=ANCHORS), 800)
    counts = shares(values, datetime_classes)
    expected = [
        *(f"op:{op}" for op in ("equals", "before", "after", "between")),
        *(f"bound:{n}" for n in ("at", "minus-tick", "plus-tick", "minus-second", "plus-second")),
        *(f"between:{s}" for s in ("equal", "reversed", "one-tick", "ordered")),
        "zone:not-Z",
        "zone:none",
        "zone:fractional-hour",
        "digits:seven",
        "digits:fewer",
        "equals:bare",
    ]
    assert_every_class_common(values, counts, expected)


def test_datetime_filters_without_anchors_still_cover_operators_and_formats():
    values = draw_many(datetime_filters(), 400)
    counts = shares(values, lambda f: (c for c in datetime_classes(f) if not c.startswith("bound:")))
    expected = [
        *(f"op:{op}" for op in ("equals", "before", "after", "between")),
        "zone:not-Z",
        "zone:none",
        "digits:seven",
        "digits:fewer",
        "equals:bare",
    ]
    assert_every_class_common(values, counts, expected)


# --------------------------------------------------------------------------------------------------

URL_RESERVED = set("&=+#%?/")


def string_classes(f: StringFilter) -> Iterable[str]:
    s = f.operand
    yield f"op:{f.op}"
    if f.op == "equals" and not f.explicit_op:
        yield "equals:bare"
    checks = {
        "semicolon": ";" in s,
        "backslash": "\\" in s,
        "backslash-semicolon": "\\;" in s,
        "double-backslash": "\\\\" in s,
        "trailing-backslash": s.endswith("\\"),
        "colon": ":" in s,
        "operator-prefix": is_operator_lookalike(s),
        "space": " " in s,
        "non-ascii": not s.isascii(),
        "url-reserved": bool(URL_RESERVED & set(s)),
    }
    yield from (name for name, hit in checks.items() if hit)


def test_string_filter_corners_are_common():
    values = draw_many(string_filters(), 500)
    counts = shares(values, string_classes)
    expected = [
        "op:equals",
        "op:contains",
        "equals:bare",
        "semicolon",
        "backslash",
        "backslash-semicolon",
        "double-backslash",
        "trailing-backslash",
        "colon",
        "operator-prefix",
        "space",
        "non-ascii",
        "url-reserved",
    ]
    assert_every_class_common(values, counts, expected)


STORED = ("+39021234567", "+3902123", "a;b", "c:\\x", "Café Ж", "sip:Alice@Example.com", "x\\;y")


def test_string_filters_around_values_hit_match_and_miss():
    values = draw_many(string_filters(around=STORED), 400)

    def classes(f: StringFilter) -> Iterable[str]:
        hits = [v for v in STORED if matches(f, v)]
        yield "selects-some" if hits else "selects-none"
        if hits and len(hits) < len(STORED):
            yield "strict-subset"
        if any(f.operand.casefold() == v.casefold() and f.operand != v for v in STORED):
            yield "recased-whole-value"
        if any(f.operand in v and f.operand != v for v in STORED):
            yield "proper-substring"

    counts = shares(values, classes)
    assert_every_class_common(
        values,
        counts,
        ["selects-some", "selects-none", "strict-subset", "recased-whole-value", "proper-substring"],
    )


# --------------------------------------------------------------------------------------------------


def malformed_classes(bad) -> Iterable[str]:
    yield f"rule:{bad.kind}:{bad.rule}"
    if len(bad.text) > 256:
        yield "shape:overlong"
    if any(not c.isprintable() for c in bad.text):
        yield "shape:control"
    if any(marker in bad.text for marker in ("'", "<", "$", "DROP", " OR ")):
        yield "shape:injection"


def test_malformed_rules_and_shapes_are_common():
    dt = draw_many(malformed_filters("datetime"), 400)
    counts = shares(dt, malformed_classes)
    assert_every_class_common(
        dt,
        counts,
        [
            *(
                f"rule:datetime:{r}"
                for r in (
                    "unknown-operator",
                    "bad-datetime",
                    "empty-operand",
                    "between-separators",
                    "backslash-in-datetime",
                )
            ),
            "shape:overlong",
            "shape:control",
            "shape:injection",
        ],
    )
    s = draw_many(malformed_filters("string"), 400)
    counts = shares(s, malformed_classes)
    assert_every_class_common(
        s,
        counts,
        [
            *(f"rule:string:{r}" for r in ("unescaped-semicolon", "dangling-backslash", "bad-escape")),
            "shape:overlong",
            "shape:control",
            "shape:injection",
        ],
    )
    # An empty string operand has exactly three texts, and Hypothesis never repeats an example, so a
    # share is meaningless here: all three must occur instead.
    assert {b.text for b in s if b.rule == "empty-operand"} == {"", "equals:", "contains:"}


# --------------------------------------------------------------------------------------------------


@st.composite
def filter_and_value(draw):
    f = draw(datetime_filters(around=ANCHORS))
    return f, draw(instants(around=[f.value] + ([f.upper] if f.upper else [])))


def test_the_oracle_says_yes_and_no_often():
    """A constant `matches` would pass agreement tests only if one answer were rare; it is not."""
    pairs = draw_many(filter_and_value(), 400)
    counts = Counter(matches(f, x) for f, x in pairs)
    assert counts[True] / len(pairs) > 0.15 and counts[False] / len(pairs) > 0.15, counts


def corpus_classes(corpus) -> Iterable[str]:
    starts = [r.start for r in corpus]
    ticks = sorted(s.ticks for s in starts)
    if len(set(ticks)) < len(ticks):
        yield "equal-starts"
    if any(b - a == 1 for a, b in itertools.pairwise(ticks)):
        yield "one-tick-neighbours"
    if any(a // SECOND == b // SECOND and a != b for a, b in itertools.pairwise(ticks)):
        yield "same-second"
    if len({r.offset_minutes for r in corpus}) > 1:
        yield "mixed-offsets"
    remotes = [r.remote_party_number for r in corpus if r.remote_party_number]
    if any(a != b and (a in b) for a in remotes for b in remotes):
        yield "shared-substring"
    if any(";" in r or "\\" in r for r in remotes):
        yield "escapes"
    if any(":" in r for r in remotes):
        yield "colon"
    texts = remotes + [r.local_party_number for r in corpus]
    if any(a != b and a.lower() == b.lower() for a in texts for b in texts):
        yield "case-variants"
    if len({r.end for r in corpus}) < len(corpus):
        yield "equal-ends"


def test_corpora_cluster_at_boundaries():
    values = draw_many(corpora(base=BASE), 60)
    counts = shares(values, corpus_classes)
    assert len(values) >= 50
    rare = {
        k: counts[k] / len(values)
        for k in (
            "equal-starts",
            "one-tick-neighbours",
            "same-second",
            "mixed-offsets",
            "shared-substring",
            "escapes",
            "colon",
            "case-variants",
            "equal-ends",
        )
        if counts[k] / len(values) < 0.1
    }
    assert not rare, rare


def test_filters_for_a_corpus_mostly_land_on_its_values():
    """Most datetime bounds sit at, or 1 tick / 1 s from, a start or end of the corpus they aim at."""
    corpus = draw_many(corpora(min_size=8, max_size=8, base=BASE), 1)[0]
    pairs = draw_many(filters_for(corpus), 300)
    landed = Counter()
    for name, f in pairs:
        if name == "remoteParty":
            landed["string"] += 1
            continue
        values = {r.start if name == "startTime" else r.end for r in corpus}
        near = {v + d for v in values for d in (0, 1, -1, SECOND, -SECOND)}
        landed["near" if {f.value, f.upper} & near else "far"] += 1
    assert landed["near"] > 2 * landed["far"], landed
    assert landed["string"] / len(pairs) > 0.15, landed

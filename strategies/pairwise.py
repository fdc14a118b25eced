"""Pairwise covering arrays: every pair of dimension values meets in at least one generated case.

Faults that hide in combinations (two filters at once, a page after the first on one access level,
the second pause of a recording by line) are missed by one example per rule and are too many to
enumerate exhaustively: with d dimensions of v values the full product is v**d cases, while a
covering array reaching every *pair* needs about v**2 * log(d). ``allpairspy`` builds the array (a
well-kept implementation of the classic greedy all-pairs algorithm, deterministic for a given input
order); Hypothesis draws the concrete values inside each cell, so the values vary by seed and the
combinations of dimensions do not.

``pair_coverage`` recounts, independently of the generator, which pairs the cases that actually ran
reached: a check that skips a row (a lab without a second user) reports its true coverage, and the
report shows it per operation.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from allpairspy import AllPairs

Row = dict[str, Hashable]
Pair = tuple[tuple[str, Hashable], tuple[str, Hashable]]
Allowed = Callable[[Mapping[str, Hashable]], bool]
"""A constraint: is this (possibly partial) assignment of dimension values a case that can exist?
It must be honest on partial assignments: a pair it allows must extend to a whole allowed case."""


def covering_rows(dimensions: Mapping[str, Sequence[Hashable]], allowed: Allowed | None = None) -> list[Row]:
    """Cases (one value per dimension) in which every allowed pair of values meets at least once."""
    names = list(dimensions)
    if not names:
        return []
    for name, values in dimensions.items():
        if not values:
            raise ValueError(f"dimension {name!r} has no values")
    if len(names) == 1:
        return [
            {names[0]: value}
            for value in dimensions[names[0]]
            if allowed is None or allowed({names[0]: value})
        ]

    def keep(partial: list[Hashable]) -> bool:
        return allowed is None or allowed(dict(zip(names, partial, strict=False)))

    parameters = [list(dimensions[name]) for name in names]  # a list, not a dict: any dimension name works
    rows: list[Row] = [dict(zip(names, row, strict=True)) for row in AllPairs(parameters, filter_func=keep)]
    return rows + _top_up(rows, dimensions, allowed)


def _top_up(
    rows: list[Row], dimensions: Mapping[str, Sequence[Hashable]], allowed: Allowed | None
) -> list[Row]:
    """Rows for the allowed pairs the greedy generator left out (it can, under a constraint)."""
    extra: list[Row] = []
    left = all_pairs(dimensions, allowed) - _reached([*rows], list(dimensions))
    for (a, va), (b, vb) in sorted(left, key=repr):
        if _reached(extra, list(dimensions)) >= {((a, va), (b, vb))}:
            continue
        row: Row = {a: va, b: vb}
        for name in dimensions:
            if name in row:
                continue
            fits = [v for v in dimensions[name] if allowed is None or allowed({**row, name: v})]
            if not fits:
                break
            row[name] = fits[0]
        else:
            extra.append({name: row[name] for name in dimensions})
    return extra


def _reached(rows: Sequence[Mapping[str, Hashable]], names: list[str]) -> set[Pair]:
    reached: set[Pair] = set()
    for case in rows:
        for a, b in itertools.combinations(names, 2):
            if a in case and b in case:
                reached.add(((a, case[a]), (b, case[b])))
    return reached


@dataclass(frozen=True)
class PairCoverage:
    """How many of the allowed value pairs the cases that ran reached."""

    dimensions: tuple[str, ...]
    covered: int
    total: int
    missing: tuple[str, ...] = field(default=())
    """Up to ten pairs never reached, as ``dim=value & dim=value``, so a report can say which."""

    @property
    def percent(self) -> float:
        return 100.0 if self.total == 0 else round(100.0 * self.covered / self.total, 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dimensions": list(self.dimensions),
            "pairs_covered": self.covered,
            "pairs_total": self.total,
            "percent": self.percent,
            "missing": list(self.missing),
        }


def all_pairs(dimensions: Mapping[str, Sequence[Hashable]], allowed: Allowed | None = None) -> set[Pair]:
    """Every allowed pair of (dimension, value) across two different dimensions."""
    pairs: set[Pair] = set()
    for a, b in itertools.combinations(list(dimensions), 2):
        for va, vb in itertools.product(dimensions[a], dimensions[b]):
            if allowed is None or allowed({a: va, b: vb}):
                pairs.add(((a, va), (b, vb)))
    return pairs


def pair_coverage(
    ran: Sequence[Mapping[str, Hashable]],
    dimensions: Mapping[str, Sequence[Hashable]],
    allowed: Allowed | None = None,
) -> PairCoverage:
    """Recount which allowed pairs the cases in ``ran`` reached (not trusting the generator)."""
    wanted = all_pairs(dimensions, allowed)
    names = list(dimensions)
    reached = _reached(ran, names)
    missing = sorted(wanted - reached, key=repr)
    text = tuple(f"{a}={va!r} & {b}={vb!r}" for (a, va), (b, vb) in missing[:10])
    return PairCoverage(tuple(names), len(wanted & reached), len(wanted), text)

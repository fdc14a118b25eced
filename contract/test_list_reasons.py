"""listRecordings' 400 reasons across every pair of what else the request carries (reference 2.1, A-13).

Invariant: a list request with exactly one invalid parameter is 400 with the reason of *that*
parameter, whatever valid parameters come with it and in whatever order: reason 0 for a filter
(documented; which filter values are invalid is A-13), reason 1 for page or pageSize (documented:
page is an integer >= 0, pageSize >= 1). One-rule checks send the invalid parameter alone; a server
whose validator gives the right reason only then (an invalid filter beside a second filter reported
as paging, bad paging in a filtered list reported as a filter error) passes them.

Dimensions (a pairwise covering array, ``strategies.pairwise``): which parameter is invalid x what
comes with it (nothing, one or two valid filters, valid paging, a filter and paging) x where the
invalid one stands in the query. Hypothesis draws the invalid and the valid values in each row.
GET only: runs in every profile, read-only included.
"""

from __future__ import annotations

from collections.abc import Hashable

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from contract import api, expect
from contract.client import ApiClient
from contract.pair_ledger import NO_SHRINK, PairLedger
from strategies.pairwise import covering_rows

CHECK = "400 reason names the invalid parameter in any company"

REASON_DIMENSIONS: dict[str, tuple[Hashable, ...]] = {
    "invalid": ("startTime", "endTime", "remoteParty", "page", "pageSize"),
    "company": ("none", "one filter", "two filters", "paging", "filter and paging"),
    "position": ("first", "last"),
}

INVALID_VALUES: dict[str, tuple[str, ...]] = {
    "startTime": ("after:not-a-date", "between:2024-01-01T00:00:00Z", "sometime:2024-01-01T00:00:00Z"),
    "endTime": ("before:2024-13-45T00:00:00Z", "between:2024-01-01T00:00:00Z;", "2024-01-01T00:00:00Z\\;"),
    "remoteParty": ("contains:", "a;b", "x\\q", "back\\"),
    "page": ("-1", "x", "1.5"),
    "pageSize": ("0", "-3", "abc"),
}
"""Values invalid by the reference: an unparsable datetime, ``between`` without exactly one ``;``,
an unknown operator on a datetime, an empty operand, an unescaped ``;``, a backslash before anything
but ``;`` or ``\\``, a dangling backslash (A-13); a page below 0, a pageSize below 1, a number that
is not an integer (2.1)."""

VALID_FILTERS: dict[str, tuple[str, ...]] = {
    "startTime": ("after:2000-01-01T00:00:00Z", "before:2100-01-01T00:00:00+02:00"),
    "endTime": ("before:2100-01-01T00:00:00Z", "between:2000-01-01T00:00:00Z;2100-01-01T00:00:00Z"),
    "remoteParty": ("contains:7", "contains:a\\;b", "equals:+39"),
    "direction": ("0", "1", "2"),
    "localPartyNumber": ("1001", "+390212345"),
    "ownerUsername": ("admin", "nobody-rq"),
}
PAGING = ("page", "pageSize")


def expected_reason(invalid: str) -> tuple[int, str]:
    """The reason the invalid parameter must get, and what that rests on."""
    if invalid in PAGING:
        return 1, "documented"
    return 0, "A-13"


@st.composite
def reason_cases(draw: st.DrawFn, row: dict[str, Hashable]) -> list[tuple[str, str]]:
    """The query of one row: the invalid parameter, its company, in the row's order."""
    invalid = str(row["invalid"])
    bad = (invalid, draw(st.sampled_from(INVALID_VALUES[invalid])))
    company: list[tuple[str, str]] = []
    wants_filters = {"one filter": 1, "two filters": 2, "filter and paging": 1}.get(str(row["company"]), 0)
    names = draw(st.permutations([n for n in VALID_FILTERS if n != invalid]))[:wants_filters]
    company += [(name, draw(st.sampled_from(VALID_FILTERS[name]))) for name in names]
    if row["company"] in ("paging", "filter and paging") or invalid == "page":
        # An invalid page needs a valid pageSize beside it: a page alone is ignored (A-3b).
        company += [(n, v) for n, v in (("page", "0"), ("pageSize", "5")) if n != invalid]
    return [bad, *company] if row["position"] == "first" else [*company, bad]


@pytest.mark.recqual(family="status", operation="listRecordings", check=CHECK, writes=False)
def test_list_reasons_in_company(admin: ApiClient, pairs: PairLedger) -> None:
    rows = covering_rows(REASON_DIMENSIONS)
    ran: list[dict[str, Hashable]] = []

    @settings(
        max_examples=1,
        phases=NO_SHRINK,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        ran.clear()
        for row in rows:
            query = data.draw(reason_cases(row), label=f"row {row}")
            note(f"row {row}: {query}")
            reply = api.list_recordings(admin, query)
            reason, provenance = expected_reason(str(row["invalid"]))
            ran.append(row)
            expect.reason(
                reply,
                reason,
                check=CHECK,
                why=f"only {row['invalid']} is invalid ({dict(query)[str(row['invalid'])]!r}), "
                f"beside {[n for n, _ in query if n != row['invalid']] or 'nothing'}",
                provenance=provenance,
            )

    try:
        check()
    finally:
        pairs.record("listRecordings", ran, REASON_DIMENSIONS)

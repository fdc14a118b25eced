"""Every pair of listRecordings dimensions meets in a query the oracle judges, on every kind of page.

Invariant: for each row of a covering array over the filter parameter, its operator and how it is
written, the class of its operand, a second filter and the page (``contract.filter_pairs``), the
server's answer is the oracle's ``select``: unpaged, the same recordings most recent first with an
honest ``totalCount``; paged, exactly the oracle's slice (ties in start time at its edges may be any
of their group: A-3 breaks them by ``referenceNumber``) with the ``totalCount`` of every match. One
request per row.

Why a check of its own: the random filter check draws operands from the whole corpus, so a value
where a ``_``, ``%``, ``[ab]``, ``.`` or ``+`` read as a pattern selects something else comes up only
by luck, and the paging check pages with at most one filter. Here each operand class is aimed at a
group of stored values that holds its decoys (``a_c9`` beside ``abc9``: ``contains:a_c`` must list
only the first), every class meets every other dimension at least once, and the report shows the
pair coverage per operation. A server that reads a filter value as a SQL LIKE pattern, a regular
expression or URL-decodes it twice; that loses the second filter, or the offset, on later pages;
or that pages a filtered result with a count of the unfiltered one, fails here.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st

from contract import api, expect
from contract.client import ApiClient
from contract.corpus_support import UploadedCorpus, assert_matches_oracle, listed_ids, provenance_of, query
from contract.filter_pairs import DIMENSIONS, ORDER, Plan, allowed, page_fits, page_slots, plans
from contract.pair_ledger import PairLedger
from contract.run_context import RunContext
from strategies import corpus
from strategies.pairwise import covering_rows

CHECK = "filter pairs match the oracle on every page"
REDRAWS = 12
"""Draws per row until its page kind fits the selected count (a deep page needs three pages)."""


def _draw_plan(data: st.DataObject, row: dict[str, Hashable], uploaded: UploadedCorpus) -> Plan:
    plan = data.draw(plans(row, uploaded.items, uploaded.groups))
    for _ in range(REDRAWS):
        if plan.ran["page"] == row["page"]:
            break
        plan = data.draw(plans(row, uploaded.items, uploaded.groups))
    return plan


def expect_page_matches_oracle(admin: ApiClient, plan: Plan, uploaded: UploadedCorpus) -> None:
    """The page is the oracle's slice (most recent first; ties at its edges may be any of their
    group, A-3) and ``totalCount`` counts every match, not the page (documented)."""
    assert plan.page is not None
    page, size = plan.page
    shown = corpus.query_params(plan.params)
    reply = api.list_recordings(admin, {**shown, "page": page, "pageSize": size})
    prov = provenance_of(plan.params)
    expect.status(reply, 200, check=CHECK, why=f"valid filters {shown}, page {page} of size {size}")
    body = expect.json_body(reply, check=CHECK)
    expected = corpus.select(uploaded.items, plan.params)
    ties = [[uploaded.id_of(r) for r in group] for group in corpus.tie_groups(expected)]
    slots = page_slots(ties, page, size)
    got = listed_ids(reply)
    want = [i for ids, _ in slots for i in sorted(ids)]
    total = body.get("totalCount") if isinstance(body, dict) else None
    expect.that(
        page_fits(got, slots) and total == len(expected),
        reply,
        check=CHECK,
        title=f"page {page} of size {size} is not that slice of the matches of {shown}",
        expected=f"{sum(n for _, n in slots)} recordings (positions {page * size} on of the "
        f"{len(expected)} matches, most recent first), totalCount {len(expected)}",
        actual=f"{len(got)} recordings, totalCount {total}",
        provenance=prov,
        notes=[
            f"row: {plan.describe()}",
            *[f"missing: {uploaded.describe(i)}" for i in want if i not in got][:4],
            *[f"unexpected: {uploaded.describe(i)}" for i in got if i not in want][:4],
        ],
    )


def judge(admin: ApiClient, plan: Plan, uploaded: UploadedCorpus) -> None:
    """One request: the unpaged answer, or the page asked, against the oracle."""
    if plan.page is None:
        assert_matches_oracle(query(admin, plan.params), uploaded, plan.params, CHECK)
    else:
        expect_page_matches_oracle(admin, plan, uploaded)


def run_row(
    row: dict[str, Hashable],
    uploaded: UploadedCorpus,
    admin: ApiClient,
    run_context: RunContext,
    ran: list[dict[str, Any]],
) -> None:
    """Hypothesis draws the row's values (``examples`` times); a failure shrinks within the row."""

    @settings(max_examples=run_context.examples(full=3, quick=1))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        plan = _draw_plan(data, row, uploaded)
        ran.append(plan.ran)
        event(f"{plan.ran['param']}:{plan.ran['operand']}:{plan.ran['page']}")
        note(f"query: {plan.describe()}")
        judge(admin, plan, uploaded)

    check()


@pytest.mark.recqual(family="filters", operation="listRecordings", check=CHECK, provenance="A-3")
def test_filter_pairs(
    uploaded_corpus: UploadedCorpus, admin: ApiClient, run_context: RunContext, pairs: PairLedger
) -> None:
    dimensions = {name: DIMENSIONS[name] for name in ORDER}
    ran: list[dict[str, Any]] = []
    try:
        for row in covering_rows(dimensions, allowed):
            run_row(row, uploaded_corpus, admin, run_context, ran)
    finally:
        pairs.record("listRecordings", ran, dimensions, allowed)

"""Every pair of listRecordings dimensions meets in a query the oracle judges, on every kind of page.

Invariant: for each row of a covering array over the filter parameter, its operator and how it is
written, the class of its operand, a second filter and the page (``contract.filter_pairs``), the
server's unpaged answer is the oracle's ``select`` (same recordings, most recent first, honest
``totalCount``), and the page asked is exactly that answer's slice with the same ``totalCount``.

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
from contract.filter_pairs import DIMENSIONS, ORDER, Plan, allowed, plans
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


def expect_page_is_slice(admin: ApiClient, plan: Plan, whole: list[str], uploaded: UploadedCorpus) -> None:
    """A-3: the page is the unpaged answer's slice (the order is total), with the unpaged count."""
    assert plan.page is not None
    page, size = plan.page
    shown = corpus.query_params(plan.params)
    reply = api.list_recordings(admin, {**shown, "page": page, "pageSize": size})
    prov = provenance_of(plan.params)
    expect.status(reply, 200, check=CHECK, why=f"valid filters {shown}, page {page} of size {size}")
    body = expect.json_body(reply, check=CHECK)
    got = listed_ids(reply)
    want = whole[page * size : page * size + size]
    total = body.get("totalCount") if isinstance(body, dict) else None
    expect.that(
        got == want and total == len(whole),
        reply,
        check=CHECK,
        title=f"page {page} of size {size} is not the slice of the unpaged answer for {shown}",
        expected=f"{len(want)} recordings (positions {page * size}..{page * size + len(want) - 1}), "
        f"totalCount {len(whole)}",
        actual=f"{len(got)} recordings, totalCount {total}",
        provenance=prov,
        notes=[
            f"row: {plan.describe()}",
            *[f"missing: {uploaded.describe(i)}" for i in want if i not in got][:4],
            *[f"unexpected: {uploaded.describe(i)}" for i in got if i not in want][:4],
        ],
    )


def judge(admin: ApiClient, plan: Plan, uploaded: UploadedCorpus) -> None:
    """The unpaged answer against the oracle; then the page against the unpaged answer."""
    reply = query(admin, plan.params)
    assert_matches_oracle(reply, uploaded, plan.params, CHECK)
    if plan.page is not None:
        expect_page_is_slice(admin, plan, listed_ids(reply), uploaded)


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

"""listRecordings paging: pages concatenate to the whole ordered result (reference 2.1, A-3, A-3b).

Invariants, for any page size and any filter on the corpus:

- every page has the same, honest ``totalCount`` (the count of all matches; documented);
- pages ``0..n`` concatenated are exactly the unpaged result, in the same order: no gap, no repeat
  (A-3: the order is total, ties broken by ``referenceNumber``, so pages are stable);
- a page past the end is an empty array with the same ``totalCount`` (A-3);
- ``page`` without ``pageSize`` returns everything (A-3b); invalid paging is 400 reason 1 (documented).

A server that pages with an off-by-one skip repeats or loses a record at each page boundary; one
that counts the page instead of the matches fails ``totalCount``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, note, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from contract import api, expect
from contract.client import ApiClient, Reply
from contract.corpus_support import (
    UploadedCorpus,
    assert_matches_oracle,
    expect_most_recent_first,
    listed_ids,
    query,
)
from contract.run_context import RunContext
from strategies import corpus


def _page(admin: ApiClient, params: dict[str, Any], page: int, size: int) -> Reply:
    return api.list_recordings(admin, {**corpus.query_params(params), "page": page, "pageSize": size})


def _extra_filters(uploaded_corpus: UploadedCorpus) -> SearchStrategy[dict[str, Any]]:
    """No filter first (shrinks to the plain isolated set), or one filter on the corpus' own values."""
    return st.one_of(st.just({}), corpus.filters_for(uploaded_corpus.items).map(lambda p: {p[0]: p[1]}))


def read_page_ids(
    admin: ApiClient, params: dict[str, Any], size: int, page_count: int, total: Any
) -> list[str]:
    """The ids of pages ``0..page_count-1`` in order; each page is 200 and reports the unpaged
    ``totalCount`` (documented: the count of all matches, not of the page)."""
    pages: list[str] = []
    for page in range(page_count):
        reply = _page(admin, params, page, size)
        expect.status(reply, 200, check="pages concatenate", why=f"page {page} of size {size}")
        body = reply.json()
        expect.that(
            body.get("totalCount") == total,
            reply,
            check="totalCount honest",
            title=f"page {page} reports another totalCount than the unpaged query",
            expected=total,
            actual=body.get("totalCount"),
        )
        pages.extend(listed_ids(reply))
    return pages


def expect_pages_concatenate(
    pages: list[str], full: list[str], full_reply: Reply, size: int, uploaded_corpus: UploadedCorpus
) -> None:
    """A-3: the pages concatenate to exactly the unpaged result, in its order: no gap, no repeat."""
    repeats = sorted({i for i in pages if pages.count(i) > 1})
    gaps = [i for i in full if i not in pages]
    expect.that(
        pages == full,
        full_reply,
        check="pages concatenate",
        title=f"pages of size {size} do not concatenate to the unpaged result",
        expected=f"{len(full)} recordings in the unpaged order",
        actual=f"{len(pages)} recordings; {len(repeats)} repeated, {len(gaps)} missing, order "
        + ("same" if sorted(pages) == sorted(full) else "differs"),
        provenance="A-3",
        notes=[f"repeated: {uploaded_corpus.describe(i)}" for i in repeats[:3]]
        + [f"missing: {uploaded_corpus.describe(i)}" for i in gaps[:3]],
    )


def expect_page_past_the_end_empty(
    admin: ApiClient, params: dict[str, Any], page_count: int, size: int, total: Any
) -> None:
    """A-3: the page after the last is 200, an empty array, with the same ``totalCount``."""
    past = _page(admin, params, page_count, size)
    expect.status(
        past,
        200,
        check="page past the end is empty",
        why=f"page {page_count} of size {size}",
        provenance="A-3",
    )
    expect.that(
        listed_ids(past) == [] and past.json().get("totalCount") == total,
        past,
        check="page past the end is empty",
        title=f"page {page_count} is past the last match: expected no recordings and the same totalCount",
        expected=f"[] and totalCount {total}",
        actual=f"{len(listed_ids(past))} recordings, totalCount {past.json().get('totalCount')}",
        provenance="A-3",
    )


@pytest.mark.recqual(family="paging", operation="listRecordings", check="pages concatenate", provenance="A-3")
def test_pages_concatenate(
    uploaded_corpus: UploadedCorpus, admin: ApiClient, run_context: RunContext
) -> None:
    @settings(max_examples=run_context.examples(full=60, quick=8))
    @given(extra=_extra_filters(uploaded_corpus), size=st.integers(1, 12), pick=st.integers(0, 1))
    @example(extra={}, size=2, pick=0)  # every seed pages past page 1 (the isolated set holds >= 7)
    def check(extra: dict[str, Any], size: int, pick: int) -> None:
        params = uploaded_corpus.isolate(extra, pick)
        note(f"query: {corpus.query_params(params)} pageSize={size}")
        full_reply = query(admin, params)
        # the unpaged answer is itself judged: pages that agree with a wrong whole prove nothing
        assert_matches_oracle(full_reply, uploaded_corpus, params, "filters match the oracle")
        full = listed_ids(full_reply)
        total = full_reply.json().get("totalCount")
        page_count = -(-len(full) // size)
        pages = read_page_ids(admin, params, size, page_count, total)
        expect_pages_concatenate(pages, full, full_reply, size, uploaded_corpus)
        expect_page_past_the_end_empty(admin, params, page_count, size, total)

    check()


@pytest.mark.recqual(
    family="paging", operation="listRecordings", check="page without pageSize is ignored", provenance="A-3b"
)
def test_page_without_page_size(uploaded_corpus: UploadedCorpus, admin: ApiClient) -> None:
    params = corpus.query_params(uploaded_corpus.isolate({}))
    full = query(admin, uploaded_corpus.isolate({}))
    reply = api.list_recordings(admin, {**params, "page": 3})
    expect.status(
        reply, 200, check="page without pageSize is ignored", why="page=3 without pageSize", provenance="A-3b"
    )
    expect.that(
        listed_ids(reply) == listed_ids(full),
        reply,
        check="page without pageSize is ignored",
        title="page without pageSize did not return every match",
        expected=len(listed_ids(full)),
        actual=len(listed_ids(reply)),
        provenance="A-3b",
    )


@pytest.mark.recqual(
    family="paging", operation="listRecordings", check="invalid paging is 400 reason 1", writes=False
)
@pytest.mark.parametrize(
    "params",
    [
        {"page": -1, "pageSize": 5},
        {"page": 0, "pageSize": 0},
        {"page": 0, "pageSize": -3},
        {"page": "abc", "pageSize": 5},
        {"page": 0, "pageSize": "many"},
        {"page": 1.5, "pageSize": 5},
    ],
    ids=lambda p: f"page={p['page']},pageSize={p['pageSize']}",
)
def test_invalid_paging(params: dict[str, Any], admin: ApiClient) -> None:
    """Documented: paging errors are 400 reason 1 (no filter is sent, so reason 0 cannot apply)."""
    reply = api.list_recordings(admin, params)
    expect.reason(reply, 1, check="invalid paging is 400 reason 1", why=f"invalid paging {params}")


@pytest.mark.recqual(family="paging", operation="listRecordings", check="most recent first", writes=False)
def test_most_recent_first_on_any_data(admin: ApiClient) -> None:
    """Read-only friendly: whatever the server holds, a page is ordered by start time, descending."""
    reply = api.list_recordings(admin, {"page": 0, "pageSize": 50})
    expect.status(reply, 200, check="most recent first", why="first page of everything")
    from strategies.rhs_colon import Instant

    starts = [Instant.parse(r["startTime"]).ticks for r in reply.json().get("recordings", [])]
    expect_most_recent_first(
        reply, starts, [r["startTime"] for r in reply.json().get("recordings", [])], expected="descending"
    )

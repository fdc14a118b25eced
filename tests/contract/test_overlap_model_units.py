"""The overlap oracle (``contract/overlap_model.py``): an answer set is accepted exactly when some
order of the requests, served one at a time, gives it; and the request rows route as the reference
allows. Properties a no-op oracle fails: a real race bug (two winners, a lost write) is refused."""

from __future__ import annotations

import itertools

import pytest

from contract.overlap_model import (
    FIRST,
    NEW,
    Request,
    State,
    explanation,
    initial,
    possible,
    requests_for,
    serial,
    step,
)

RUNNING, PAUSED, NONE = initial("running"), initial("paused"), initial("none")


def test_one_request_rules_of_section_2_3() -> None:
    assert step(NONE, Request("start", "line")) == (201, State(NEW, False))
    assert step(RUNNING, Request("start", "mine"))[0] == 429
    assert step(RUNNING, Request("pause", "id")) == (204, PAUSED)
    assert step(PAUSED, Request("pause", "line"))[0] == 429
    assert step(RUNNING, Request("resume", "id"))[0] == 429
    assert step(PAUSED, Request("resume", "line")) == (204, RUNNING)
    assert step(PAUSED, Request("stop", "mine")) == (204, NONE)
    assert step(NONE, Request("stop", "line"))[0] == 409
    assert step(State(NEW), Request("stop", "id"))[0] == 409  # by id names the first recording only
    assert step(State(NEW), Request("stop", "line"))[0] == 204
    assert step(PAUSED, Request("list", "line")) == (((FIRST, True),), PAUSED)


def test_overlapping_stops_by_three_routes_have_one_winner() -> None:
    stops = [Request("stop", "id"), Request("stop", "line"), Request("stop", "mine")]
    for winner in range(3):
        answers = [204 if i == winner else 409 for i in range(3)]
        assert explanation(RUNNING, stops, answers, NONE) is not None
    assert explanation(RUNNING, stops, [204, 204, 409], NONE) is None  # the two-routes race bug
    assert explanation(RUNNING, stops, [204, 409, 409], RUNNING) is None  # 204 but still live


def test_pause_and_resume_overlapping_are_judged_by_the_final_state() -> None:
    both = [Request("pause", "id"), Request("resume", "line")]
    assert explanation(RUNNING, both, [204, 204], RUNNING) == (0, 1)  # pause, then resume
    assert explanation(RUNNING, both, [204, 429], PAUSED) == (1, 0)  # resume first: not paused yet
    assert explanation(RUNNING, both, [204, 204], PAUSED) is None  # the lost-write bug
    assert explanation(RUNNING, both, [429, 429], RUNNING) is None


def test_a_list_must_show_a_state_some_order_passes_through() -> None:
    reqs = [Request("stop", "line"), Request("list", "line")]
    assert explanation(RUNNING, reqs, [204, ((FIRST, False),)], NONE) is not None
    assert explanation(RUNNING, reqs, [204, ()], NONE) is not None
    assert explanation(RUNNING, reqs, [204, ((FIRST, True),)], NONE) is None  # never paused
    assert explanation(RUNNING, reqs, [204, ((FIRST, False), (NEW, False))], NONE) is None


def test_a_5xx_is_never_explained() -> None:
    reqs = [Request("start", "line"), Request("start", "mine")]
    assert explanation(NONE, reqs, [201, 500], State(NEW)) is None


@pytest.mark.parametrize("k", [2, 3, 4])
def test_every_serial_outcome_is_explained(k: int) -> None:
    """Completeness: whatever order a correct server picks, the oracle accepts what it answers."""
    ops = [Request(op, by) for op, by in itertools.product(("pause", "resume", "stop"), ("id", "line"))]
    ops += [Request("start", "line"), Request("list", "line")]
    for requests in itertools.islice(itertools.combinations(ops, k), 40):
        for before in (NONE, RUNNING, PAUSED):
            for order in itertools.permutations(range(k)):
                got, final = serial(before, [requests[i] for i in order])
                answers: list = [None] * k
                for n, i in enumerate(order):
                    answers[i] = got[n]
                assert explanation(before, list(requests), answers, final) is not None
                assert (answers, final) in possible(before, list(requests))


def test_rows_rotate_routes_and_respect_missing_owner() -> None:
    reqs = requests_for("stop", "id", "same", 4, owner_routes=True)
    assert [r.addressing for r in reqs] == ["id", "line", "mine", "id"]
    reqs = requests_for("stop", "line", "same", 3, owner_routes=False)
    assert [r.addressing for r in reqs] == ["line", "id", "line"]
    reqs = requests_for("start", "mine", "pause", 2, owner_routes=True)
    assert reqs == [Request("start", "mine"), Request("pause", "id")]


def test_the_rows_reach_every_pair_and_every_pause_resume_stop_triple() -> None:
    """The check's covering array: 100% of the allowed pairs, every (lead, partner, state before) of
    pause/resume/stop x running/paused, and no row a route cannot send (start by id, pause by Mine)."""
    import warnings

    from strategies.pairwise import covering_rows, pair_coverage

    with warnings.catch_warnings():  # its recqual markers are registered by the contract plugin only
        warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
        from contract.test_races import OVERLAP_DIMENSIONS, overlap_allowed, triple_ledger, with_triples

    for owner_routes in (True, False):
        allowed = overlap_allowed(owner_routes)
        rows = with_triples(covering_rows(OVERLAP_DIMENSIONS, allowed), allowed)
        assert all(allowed(r) for r in rows) and len(rows) <= 40
        assert pair_coverage(rows, OVERLAP_DIMENSIONS, allowed).percent == 100.0
        assert pair_coverage(*triple_ledger(rows)).percent == 100.0
        assert owner_routes or all(r["addressing"] != "mine" for r in rows)

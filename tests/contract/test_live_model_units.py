"""The live model's logic without a server: far ends learned when not declared, the completed
recording told apart from a line's other recordings by its start, provenance joining; and across
several pause/resume cycles of one recording, the predictions, the recorded-time bounds, the views'
judging (a duration that forgets or repeats a pause, a startedAt that moves, a recording listed twice
or unknown), and the multi-cycle walks' plan (every pair covered, every stretch long somewhere)."""

from __future__ import annotations

import httpx
import pytest

from contract.client import Redactor, Reply
from contract.failures import ConformanceFailure
from contract.live_model import FarEnd, LineModel, LiveModel, Outcome, match_completed
from contract.live_observe import View, concerns_model, judge_item, judge_view
from contract.live_walks import (
    EMULATOR_KINDS,
    LONG_ORDER,
    STRETCHES,
    LineKind,
    Slot,
    Timing,
    actions_of,
    allowed_for,
    dimensions,
    fits,
    make_walks,
)
from strategies.pairwise import covering_rows, pair_coverage

S = 10_000_000  # ticks per second


def test_far_end_known_fields_are_never_learned() -> None:
    far = FarEnd.of("+39021", "Ada", "Rossi", 2)
    assert far.want_remote({"phoneNumber": "+1", "firstName": "X"}) == {
        "phoneNumber": "+39021",
        "firstName": "Ada",
        "lastName": "Rossi",
    }
    assert far.want_direction(1) == 2
    assert far.basis("phoneNumber", "direction") == " (the call's set-up)"


def test_far_end_unknown_fields_are_learned_once_then_held() -> None:
    far = FarEnd.of("+39021")  # a target file declaring remoteParty only
    first = far.want_remote({"phoneNumber": "+1", "firstName": "Lena", "lastName": None})
    assert first == {"phoneNumber": "+39021", "firstName": "Lena", "lastName": ""}
    assert far.want_remote({"firstName": "Keller", "lastName": "Lena"})["firstName"] == "Lena"
    assert far.want_number("+39021") == "+39021"
    assert far.want_direction(1) == 1 and far.want_direction(2) == 1
    assert "first described" in far.basis("firstName")
    assert far.basis("phoneNumber") == " (the call's set-up)"


def test_match_completed_picks_the_start_not_the_count() -> None:
    starts = {"a": 100 * S, "b": 100 * S + 3_000_000}  # two recordings 0.3 s apart on one line
    rows = [("old", 40 * S), ("ca", 100 * S), ("cb", 100 * S + 3_000_000)]
    assert match_completed(rows, "b", starts, set(), S) == ["cb"]
    assert match_completed(rows, "a", starts, set(), S) == ["ca"]
    # b's completed recording is missing: a's (nearer to a's start) must not stand in for it
    assert match_completed(rows[:2], "b", starts, set(), S) == []
    assert match_completed(rows, "a", starts, {"ca"}, S) == []


def test_match_completed_reports_duplicates_and_rounding() -> None:
    starts = {"a": 100 * S + 4_000_000}
    rows = [("x", 100 * S), ("y", 100 * S)]  # listed twice, startTime rounded to the second
    assert match_completed(rows, "a", starts, set(), S) == ["x", "y"]
    assert match_completed(rows, "a", starts, set(), S // 10) == []


def test_outcome_plus_joins_provenance() -> None:
    base = Outcome.of(204, "running")
    assert base.plus("").provenance == "documented"
    assert base.plus("A-15", " (own)").provenance == "A-15"
    assert base.plus("A-15", " (own)").why == "running (own)"
    assert Outcome.of(409, "x", provenance="A-16").plus("A-17").plus("documented").provenance == "A-16,A-17"


def test_standing_line_restarts_but_keeps_what_it_learned() -> None:
    line = LineModel("SEP1", "301", None, call_id="")
    model = LiveModel([line])
    assert model.start(0).statuses == {201}  # a standing call is connected
    model.started(0, "R1", 0.0, 0.1)
    line.starts["r1"] = 5
    line.far.want_direction(2)
    line.restart()
    assert line.rec is None and line.starts == {"r1": 5} and line.far.direction == 2
    assert LiveModel([line]).start(0).statuses == {201}


# -- several pause/resume cycles of one recording (test_live_cycles.py, live_observe.py) --------------


def three_cycles(model: LiveModel) -> None:
    """Start at 0 s; pause 1 at 2 s, resume at 5 s; pause 2 at 6 s, resume at 9 s; pause 3 at 10 s
    (every request answered 0.1 s after it was sent)."""
    model.started(0, "R", 0.0, 0.1)
    for pause, resume in ((2.0, 5.0), (6.0, 9.0)):
        model.paused("r", pause, pause + 0.1)
        model.resumed("r", resume, resume + 0.1)
    model.paused("r", 10.0, 10.1)


def test_three_cycles_predictions_and_counters() -> None:
    model = LiveModel([LineModel("SEP1", "301", "ada", call_id="c1")])
    model.started(0, "R", 0.0, 0.1)
    for cycle in (1, 2, 3):
        assert model.pause("r").statuses == {204} and model.resume("r").statuses == {429}
        model.paused("r", float(cycle), cycle + 0.1)
        assert model.pause("r").statuses == {429}, f"cycle {cycle}: a paused recording pauses 429"
        assert model.on_line(0, "pause").statuses == {429} and model.on_line(0, "resume").statuses == {204}
        model.resumed("r", cycle + 0.5, cycle + 0.6)
        assert model.resume("r").statuses == {429}
    rec = model.find("R")
    assert rec is not None and (rec.pauses, rec.resumes) == (3, 3)


def test_recorded_time_across_cycles_excludes_every_pause() -> None:
    model = LiveModel([LineModel("SEP1", "301", "ada", call_id="c1")])
    three_cycles(model)
    rec = model.find("r")
    assert rec is not None
    lower, upper = rec.time.bounds(20.0, 20.1)  # paused since 10 s: frozen
    assert (lower, upper) == pytest.approx((1.9 + 0.9 + 0.9, 2.1 + 1.1 + 1.1))
    model.stopped_rec("r", 12.0, 12.1)  # stopped while paused: the last pause does not count
    assert (rec.time.lower, rec.time.upper) == pytest.approx((lower, upper))


def _reply(body: object) -> Reply:
    return Reply("listActiveRecordings", "l10", httpx.Response(200, json=body), "curl x", Redactor())


def _item(rid: str, duration: str, *, paused: bool = True, started: str = "2026-01-01T10:00:00Z") -> dict:
    return {
        "id": rid,
        "duration": duration,
        "startedAt": started,
        "localParty": {"username": "ada"},
        "remoteParty": {"phoneNumber": "+39", "firstName": "", "lastName": ""},
        "isPaused": paused,
    }


def _model() -> LiveModel:
    line = LineModel("SEP1", "301", "ada", call_id="c1")
    line.far = FarEnd.of("+39", "", "", 1)
    model = LiveModel([line])
    three_cycles(model)
    return model


def test_a_duration_that_forgets_a_pause_is_rejected_after_two_cycles() -> None:
    """Recorded 3.7..4.3 s (three stretches); counting the first pause again (3 s) is outside
    the bounds plus the one-second allowance; the true value, even truncated to seconds, is in."""
    model = _model()
    rec = model.find("r")
    assert rec is not None
    view = View("live list", _reply([]), 20.0, 20.1)
    line = model.lines[0]
    judge_item(view, line, rec, _item("r", "PT4S"), "t")  # first sighting: startedAt noted
    judge_item(view, line, rec, _item("r", "PT3S"), "t")  # truncated to whole seconds: fine
    for wrong in ("PT7S", "PT1.2S"):  # the first pause counted as recorded / subtracted twice
        with pytest.raises(ConformanceFailure, match="duration"):
            judge_item(view, line, rec, _item("r", wrong), "t")


def test_started_at_must_not_move_between_cycles() -> None:
    model = _model()
    rec = model.find("r")
    assert rec is not None
    view = View("live list", _reply([]), 20.0, 20.1)
    judge_item(view, model.lines[0], rec, _item("r", "PT4S"), "t")
    judge_item(view, model.lines[0], rec, _item("r", "PT4S", started="2026-01-01T10:00:00.003Z"), "t")
    with pytest.raises(ConformanceFailure, match="startedAt"):
        judge_item(view, model.lines[0], rec, _item("r", "PT4S", started="2026-01-01T10:00:09Z"), "t")


def test_judge_view_wants_each_live_recording_once_and_ignores_foreign_ones() -> None:
    model = _model()
    foreign = {**_item("other", "PT1S"), "localParty": {"username": "bob"}}
    fine = [foreign, _item("r", "PT4S")]
    judge_view(View("live list", _reply(fine), 20.0, 20.1), model, {"r"}, "t", concerns=concerns_model(model))
    for body, what in (
        ([_item("r", "PT4S"), _item("r", "PT4S")], "more than once"),
        ([foreign], "exactly"),
        ([_item("r", "PT4S"), _item("phantom", "PT1S")], "exactly"),  # owned by ada, unknown
    ):
        with pytest.raises(ConformanceFailure, match=what):
            judge_view(View("v", _reply(body), 20.0, 20.1), model, {"r"}, "t", concerns=concerns_model(model))
    with pytest.raises(ConformanceFailure, match="exactly"):  # a filtered view: nothing foreign allowed
        judge_view(View("by line", _reply(fine), 20.0, 20.1), model, {"r"}, "t")


def test_walks_cover_every_pair_and_respect_own_line_rules() -> None:
    dims, allowed = dimensions(EMULATOR_KINDS), allowed_for(EMULATOR_KINDS)
    rows = covering_rows(dims, allowed)
    assert pair_coverage(rows, dims, allowed).percent == 100.0
    for row in rows:
        if row["start"] == "no body" or row["stop"] == "mine":
            assert row["actor"] != "admin", row
    # the pairs a constraint forbids are not counted as missing
    assert not allowed({"actor": "admin", "stop": "mine"})


def test_lab_rows_fit_the_declared_lines() -> None:
    kinds = [LineKind(10, 2, True), LineKind(1, None, True), LineKind(None, 1, False)]
    slots = [Slot(i, kind, None, None) for i, kind in enumerate(kinds)]  # type: ignore[arg-type]
    dims, allowed = dimensions(kinds), allowed_for(kinds)
    rows = covering_rows(dims, allowed)
    assert pair_coverage(rows, dims, allowed).percent == 100.0
    for row in rows:
        assert any(fits(slot, row) for slot in slots), row
        if row["owner"] == "none":
            assert row["actor"] == "admin" and row["start"] != "no body", row


def test_every_stretch_is_long_in_some_walk_and_the_walk_shape() -> None:
    rows = covering_rows(dimensions(EMULATOR_KINDS), allowed_for(EMULATOR_KINDS))
    walks = make_walks(rows, Timing(0.2, 2.3, 0.0, tuple([None] * len(rows))))
    long_at = {w.stretches.index(2.3) for w in walks}
    assert long_at == set(range(len(STRETCHES))) and len(LONG_ORDER) == len(STRETCHES)
    assert all(w.stretches.count(2.3) == 1 for w in walks)
    row = dict(rows[0], resume3="none", actor="alternating")
    verbs = [(a.verb, a.cycle, a.actor) for a in actions_of(row)]
    assert verbs[0] == ("start", 0, "owner") and verbs[-1] == ("stop", 3, "owner")
    assert [v for v, *_ in verbs[1:-1]] == ["pause", "resume", "pause", "resume", "pause"]
    assert {actor for verb, _, actor in verbs if verb == "pause"} == {"admin"}

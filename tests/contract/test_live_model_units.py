"""The live model's lab-facing logic without a server: far ends learned when not declared, the
completed recording told apart from a line's other recordings by its start, provenance joining."""

from __future__ import annotations

from contract.live_model import FarEnd, LineModel, LiveModel, Outcome, match_completed

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

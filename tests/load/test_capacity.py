"""The capacity search (open model): the highest arrival rate a server holds under the SLO file.

Invariants:

- the search ramps x factor while steps hold, steps down while none has, tries a break while ramping
  once more (one stall must not end it), then bisects between the highest rate held and the lowest broken:
  its answer lies within (factor - 1) / 2**refine below the rate where a server gives way (checked on a
  model server whose limit is known exactly, and on one that stalls once);
- against the emulator it finds a rate, reports every step (offered, achieved, p99 from the intended
  start, held or not) and draws them in capacity.svg, one band per step;
- a server that holds no rate under the SLO (here: a p99 limit no server meets) is reported as such, and
  the ``[capacity] min_rate`` gate fails the run (exit 1) with the measured rate in its message.
"""

from __future__ import annotations

import dataclasses
import itertools
import xml.etree.ElementTree as ET

import pytest

from load import plot
from load.rate_search import Limits, Measured, RateSearch, SearchPlan
from load.runner import run

LIMITS = Limits(p99_ms=250.0, max_failure_ratio=0.0, max_shortfall=0.05)


def _model_server(limit: float):
    """A window as a server with a hard limit would give it: on time below, falling behind above."""

    def measure(rate: float) -> Measured:
        achieved = min(rate, limit)
        return Measured(
            seconds=4.0, requests=int(achieved * 4), failures=0, p99_intended_ms=5 if rate <= limit else 900
        )

    return measure


def _search(limit: float, plan: SearchPlan) -> RateSearch:
    search, measure, started = RateSearch(plan, LIMITS), _model_server(limit), 0.0
    while (rate := search.next_rate()) is not None:
        search.record(rate, started, measure(rate))
        started += 5
        assert len(search.steps) < 40, "the search never ends"
    return search


@pytest.mark.parametrize("limit", [7.0, 95.0, 1234.0, 50_000.0])
def test_the_search_lands_just_below_a_known_limit(limit: float) -> None:
    plan = SearchPlan(start_rate=20.0, factor=1.5, refine=3)
    search = _search(limit, plan)
    report = search.report()
    held = report["highest_rate"]
    assert held is not None and held <= limit
    assert held >= limit / (1 + (plan.factor - 1) / 2**plan.refine) - 1e-6
    assert report["lowest_broken_rate"] > limit
    rates = [step["rate"] for step in report["steps"]]
    first_break = next(i for i, step in enumerate(report["steps"]) if not step["held"])
    if limit >= plan.start_rate:  # the ramp up: each held rate x factor
        ramp = rates[: first_break + 1]
        assert all(b == pytest.approx(a * plan.factor, rel=1e-3) for a, b in itertools.pairwise(ramp))
    assert rates[first_break + 1] == rates[first_break]  # a break while ramping is tried twice
    assert len(rates) - (first_break + 2) <= plan.refine + 3  # then the bisections (after any steps down)


def test_one_stall_does_not_end_the_ramp() -> None:
    search, stalled = RateSearch(SearchPlan(start_rate=20.0, factor=2.0, refine=1), LIMITS), False
    measure = _model_server(500.0)
    while (rate := search.next_rate()) is not None:
        window = measure(rate)
        if rate == 80.0 and not stalled:  # the machine stalled once during the 80 req/s step
            stalled, window = True, Measured(4.0, 200, 0, p99_intended_ms=2100)
        search.record(rate, 0.0, window)
    assert stalled and search.report()["highest_rate"] >= 320.0


def test_generator_bound_is_judged_at_the_lowest_broken_rate() -> None:
    """The ramp's first break (a quiet generator) is not the step that bounds the answer."""
    limit, plan = 500.0, SearchPlan(start_rate=20.0, factor=2.0, refine=2)
    search, measure = RateSearch(plan, LIMITS), _model_server(limit)
    while (rate := search.next_rate()) is not None:
        busy = 97.0 if rate < 640 else 40.0  # busy only below the ramp's first break
        search.record(rate, 0.0, dataclasses.replace(measure(rate), generator_cpu=busy))
    report = search.report()
    first_break = next(step for step in report["steps"] if not step["held"])
    assert first_break["rate"] == 640 and first_break["generator_cpu"] == 40.0
    assert report["lowest_broken_rate"] < 640 and report["generator_bound"] is True
    assert report["generator_cpu_at_break"] == 97.0
    quiet = _search(limit, plan)  # no CPU figures at all: never generator-bound
    assert quiet.report()["generator_bound"] is False and quiet.report()["generator_cpu_at_break"] is None


def test_a_ceiling_ends_the_search_where_it_holds() -> None:
    search = _search(10_000.0, SearchPlan(start_rate=20.0, factor=2.0, refine=2, max_rate=100.0))
    assert search.report()["highest_rate"] == 100.0 and "ceiling" in search.stopped


def test_the_plot_draws_one_band_per_step_coloured_by_its_verdict() -> None:
    report = _search(95.0, SearchPlan(start_rate=20.0, factor=1.5, refine=2)).report()
    root = ET.fromstring(plot.svg(report))
    groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if "step" in g.get("class", "")]
    assert len(groups) == len(report["steps"])
    verdicts = [g.get("class", "").split()[1] for g in groups]
    assert verdicts == ["held" if step["held"] else "broke" for step in report["steps"]]


def _capacity_run(emulator, tmp_path, slo_text: str, *extra: str):
    slo_file = tmp_path / "slo.toml"
    slo_file.write_text(slo_text)
    return run(
        "capacity",
        target=emulator.url,
        allow_reset=True,
        users=20,
        spawn_rate=20,
        run_time="40s",
        out_dir=tmp_path,
        slo_file=slo_file,
        extra=["--recqual-step-seconds", "2", *extra],
    )


def test_the_emulator_holds_a_rate_and_every_step_is_reported(emulator, tmp_path) -> None:
    result = _capacity_run(
        emulator,
        tmp_path,
        "[capacity]\np99_ms = 250.0\n",
        *("--recqual-start-rate", "40", "--recqual-rate-factor", "2", "--recqual-refine-steps", "1"),
    )
    log = (tmp_path / "locust-master.log").read_text(errors="replace")
    assert result.exit_code == 0, log[-3000:]
    capacity = result.summary["capacity"]
    assert capacity["model"] == "open" and capacity["highest_rate"] >= 40, capacity
    steps = capacity["steps"]
    assert steps[0]["rate"] == 40 and steps[0]["held"], steps
    held = [s for s in steps if s["held"]]
    assert all(s["achieved"] >= 0.95 * s["rate"] for s in held)  # what "held" means
    assert all(s["p99_intended_ms"] <= 250 for s in held)
    svg = ET.fromstring((tmp_path / capacity["plot"]).read_text())
    assert len([g for g in svg.iter("{http://www.w3.org/2000/svg}g") if "step" in g.get("class", "")]) == len(
        steps
    )
    assert "intended" in result.summary["operations"]["startRecording"]  # an open model: intended starts
    assert result.summary["cleanup"]["leftover_live"] == 0 and emulator.live_recordings() == []


def test_a_server_that_holds_no_rate_fails_the_min_rate_gate(emulator, tmp_path) -> None:
    result = _capacity_run(
        emulator,
        tmp_path,
        "[capacity]\np99_ms = 0.01\nmin_rate = 10.0\n",  # no server answers in 10 microseconds
        *("--recqual-start-rate", "20", "--recqual-capacity-mix", "start-stop"),
    )
    capacity = result.summary["capacity"]
    assert capacity["highest_rate"] is None and "no rate held" in capacity["stopped_because"]
    assert len(capacity["steps"]) == 5  # the first rate (twice: a break is tried again), three steps down
    assert result.exit_code == 1
    breach = [b for b in result.summary["slo"]["breaches"] if b["metric"] == "min_rate"]
    assert breach == [{"operation": "*", "metric": "min_rate", "limit": 10.0, "actual": 0.0}]
    assert set(result.summary["operations"]) == {"startRecording", "stopRecording"}  # the start-stop mix


def test_across_workers_every_worker_takes_each_offered_rate(emulator, tmp_path) -> None:
    """Distributed: the master's shape offers each step's rate to both workers (a custom message): the
    achieved rate, the sum of both workers' requests, matches what was offered."""
    result = run(
        "capacity",
        target=emulator.url,
        allow_reset=True,
        users=8,
        spawn_rate=8,
        run_time="60s",
        out_dir=tmp_path,
        workers=2,
        extra=[
            *("--recqual-step-seconds", "8", "--recqual-start-rate", "20", "--recqual-rate-factor", "2"),
            *("--recqual-max-rate", "40", "--recqual-capacity-mix", "start-stop"),
        ],
    )
    log = (tmp_path / "locust-master.log").read_text(errors="replace")
    assert result.exit_code == 0, log[-3000:]
    capacity = result.summary["capacity"]
    assert result.summary["workers"] == 2 and capacity["highest_rate"] == 40, capacity
    assert [step["rate"] for step in capacity["steps"]] == [20, 40]
    for step in capacity["steps"]:  # half the users are on each worker: both must have taken the rate
        assert step["achieved"] == pytest.approx(step["rate"], rel=0.05), step

"""contract/test_list_relations.py: its choices are bounded and sound, and it sees real bugs.

Invariants under test:
* a drawn window lies in the closed past (upper bound <= T0), is never empty or reversed, spans at
  most ``max_rows`` rows of its frame, and is written with no more digits than its bounds need
  (provenance: documented up to milliseconds, A-11 beyond);
* ``(S, S')`` are substrings of a listed value, S' of S, S' shorter whenever S has two characters;
* containment accepts any case rule (A-4 is not needed);
* over HTTP, against an emulator holding recordings this test uploaded (ties, whole seconds,
  milliseconds, odd remote numbers): the module passes on the correct server in read-only and
  strict profiles, never skipped, and fails on servers whose ``after`` is inclusive, whose
  ``between`` includes its upper bound, whose ``contains`` is a prefix match, whose pages overlap,
  or whose order is oldest first. (Default run: the read-only pass and two faults, about 40 s; the
  rest is marked ``slow``: ``python -m pytest tests/contract/test_list_relations_units.py -m ""``.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from contract_harness import ROOT, SECRET_PASSWORD, SECRET_USER, ContractRun, child, free_port
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import audio
from strategies.rhs_colon import TICKS_PER_SECOND, Instant

with warnings.catch_warnings():  # its recqual markers are registered by the contract plugin only
    warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
    from contract.test_list_relations import Row, Window, _contains, _substrings, draw_window

SECOND = TICKS_PER_SECOND
T0 = Instant.parse("2030-01-01T12:00:00Z")


def _rows(offsets: list[int]) -> list[Row]:
    starts = sorted((T0 - o for o in offsets), reverse=True)
    return [Row(f"id{i}", s, s.isoformat(), None) for i, s in enumerate(starts)]  # type: ignore[arg-type]


frames = st.lists(st.integers(1, 10**12), max_size=40).map(_rows)


@settings(max_examples=200, deadline=None)
@given(rows=frames, max_rows=st.integers(1, 50), data=st.data())
def test_windows_are_closed_past_nonempty_and_bounded(rows, max_rows, data):
    window = draw_window(data, rows, T0, max_rows=max_rows)
    assert window.lower < window.upper <= T0
    inside = [r for r in rows if window.lower <= r.start < window.upper]
    # rounding a bound to the whole second may take in that second's other rows: not counted
    apart = [r for r in inside if min(abs(r.start - window.lower), abs(r.start - window.upper)) >= SECOND]
    assert len(apart) <= max_rows
    for bound in (window.lower, window.upper):
        text = bound.isoformat(digits=window.digits)
        assert Instant.parse(text) == bound


def test_window_provenance_follows_its_digits():
    whole = Window(T0 - 5 * SECOND, T0)
    millis = Window(T0 - 5 * SECOND + 1_230_000, T0)
    ticks = Window(T0 - 5 * SECOND + 1, T0)
    assert (whole.digits, whole.provenance) == (0, "documented")
    assert (millis.digits, millis.provenance) == (3, "documented")
    assert (ticks.digits, ticks.provenance) == (7, "A-11")


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=5), data=st.data())
def test_substrings_nest(values, data):
    longer, shorter = data.draw(_substrings(values))
    assert any(longer in v for v in values)
    assert shorter in longer and shorter
    if len(longer) >= 2:
        assert len(shorter) < len(longer)


def test_containment_accepts_any_case_rule():
    assert _contains("+39 02 ABC", "abc")
    assert _contains("+39 02 abc", "ABC")
    assert _contains("a;b\\c", ";b\\")
    assert not _contains("100%", "100_")


# --------------------------------------------------------------------------------------------------
# Over HTTP: the module against a populated emulator, correct and faulty
# --------------------------------------------------------------------------------------------------

REMOTES = ("+390212345", "+39021234", "a;b", "c:\\x", "100%_[x]", "100", "x_y", "ALICE", "alice 7", "")


def _upload_foreign(url: str, count: int = 160) -> None:
    """Recordings of other owners over the last days: ties, whole seconds and milliseconds."""
    now = Instant.now().ticks
    base = now - now % SECOND - 3600 * SECOND
    sound = audio.wav("pcm16", seconds=0.05)
    with httpx.Client(base_url=url, auth=(SECRET_USER, SECRET_PASSWORD), timeout=10) as client:
        for i in range(count):
            start = base - (i // 3) * 97 * SECOND - (i % 3 == 2) * 250 * 10_000  # pairs tie, some .025
            meta = {
                "startDateTime": Instant(start).isoformat(digits=3),
                "duration": f"PT{1 + i % 50}S",
                "direction": i % 3,
                "localParty": {"username": f"foreign{i % 4}", "phoneNumber": f"55{i:04d}"},
            }
            if REMOTES[i % len(REMOTES)]:
                meta["remoteParty"] = {"phoneNumber": REMOTES[i % len(REMOTES)] + str(i % 7)}
            files = {
                "jsondata": (None, json.dumps(meta), "application/json"),
                "attachment": ("a.wav", sound, "audio/wav"),
            }
            reply = client.post("/fw/Apps/Recorder/WebAPI/Recordings/", files=files)
            assert reply.status_code == 201, reply.text


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An emulator of our own (nobody resets it) holding 160 foreign recordings."""
    work = tmp_path_factory.mktemp("relations")
    users = work / "users.json"
    users.write_text(json.dumps([{"username": SECRET_USER, "password": SECRET_PASSWORD, "level": 10}]))
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "emulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--users",
        str(users),
    ]
    cmd += ["--log-level", "warning"]
    url = f"http://127.0.0.1:{port}"
    with child(cmd, ready=f"{url}/_emulator/health", log=work / "emulator.log"):
        _upload_foreign(url)
        yield url


@contextmanager
def fault_proxy(upstream: str, fault: str) -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "tests.faults.proxy", "--fault", fault, "--upstream", upstream]
    cmd += ["--port", str(port)]
    with child(cmd, port=port, log=None):
        yield f"http://127.0.0.1:{port}"


MODULE = str(Path(ROOT) / "contract" / "test_list_relations.py")


def run_module(target: str, tmp_path: Path, profile: str) -> ContractRun:
    """The module as a lab runs it: no --allow-reset (the control plane is never used, so nothing
    resets the recordings), credentials from the environment."""
    results = tmp_path / "results.json"
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", MODULE]
    cmd += ["--target", target, "--quick", "--profile", profile, "--recqual-results", str(results), "-q"]
    cmd += ["--max-rps", "0", "-p", "tests.faults.noshrink"]  # a local server; a failure need not shrink
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECQUAL_")}
    env |= {"PYTHONPATH": str(ROOT), "RECQUAL_USER": SECRET_USER, "RECQUAL_PASSWORD": SECRET_PASSWORD}
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    loaded = json.loads(results.read_text()) if results.exists() else None
    return ContractRun(proc.returncode, proc.stdout, proc.stderr, loaded, {}, time.monotonic() - started)


@pytest.mark.parametrize("profile", ["read-only", pytest.param("strict", marks=pytest.mark.slow)])
def test_a_correct_populated_server_passes(populated: str, profile: str, tmp_path: Path) -> None:
    run = run_module(populated, tmp_path, profile)
    assert run.returncode == 0, run.stdout[-3000:]
    rows = run.rows()
    assert len(rows) == 5 and {r["outcome"] for r in rows} == {"passed"}, rows
    assert all(r["requests"] >= 10 for r in rows), [r["requests"] for r in rows]


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("after-inclusive", "between = (after or equals) and before"),
        pytest.param("before-inclusive", "between = (after or equals) and before", marks=pytest.mark.slow),
        pytest.param(
            "between-upper-inclusive", "between = (after or equals) and before", marks=pytest.mark.slow
        ),
        pytest.param(
            "between-lower-exclusive", "between = (after or equals) and before", marks=pytest.mark.slow
        ),
        ("contains-as-prefix", "contains: longer within shorter"),
        pytest.param("page-overlap", "pages concatenate", marks=pytest.mark.slow),
        pytest.param("past-end-totalcount-zero", "page past the end is empty", marks=pytest.mark.slow),
        pytest.param("order-ascending", "most recent first", marks=pytest.mark.slow),
    ],
)
def test_a_faulty_server_fails_the_right_relation(
    populated: str, fault: str, check: str, tmp_path: Path
) -> None:
    with fault_proxy(populated, fault) as url:
        run = run_module(url, tmp_path, "strict")
    failed = run.rows("failed")
    assert run.returncode != 0 and failed, run.stdout[-3000:]
    assert any(check in r["check"] or check in str(r.get("message", "")) for r in failed), [
        (r["check"], str(r.get("message", ""))[:200]) for r in failed
    ]

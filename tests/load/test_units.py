"""Plain-Python parts of load/ (no locust, no server): summary rows, SLO files, lines, TLS, the CLI.

Each test names the behaviour a careless change would break: the row-name convention that keeps outcome
rows out of the per-operation numbers, a typo in an SLO file being an error rather than a disabled gate,
the lab's lines (usable, owned only when unambiguous, partitioned), TLS verified as configured, and the
CLI's one-line usage errors with exit code 2.
"""

from __future__ import annotations

import base64
import html
import json
import ssl
import subprocess
import sys
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from load import slo, summary, tls
from load.answer_json import is_page, quick_page_length
from load.lines import Line, lab_lines, partition
from load.redaction import REDACTED, Redactor, run_secrets
from load.runner import REPO_ROOT, UsageError, build_commands, parse_run_time, sweep_run_dir
from recqual.target_config import RoleCredentials, resolve


def row(name, n, failures=0, times=None, method="POST"):
    return {
        "name": name,
        "method": method,
        "num_requests": n,
        "num_failures": failures,
        "response_times": times or {1.0: n},
        "max_response_time": max((times or {1.0: n}).keys()),
    }


def test_summary_splits_operation_outcome_intended_and_race_rows():
    rows = [
        row("startRecording", 10, 1, {1.0: 8, 5.0: 1, 50.0: 1}),
        row("startRecording [201]", 9),
        row("startRecording [409]", 1),
        row("startRecording (intended start)", 10, times={2.0: 9, 80.0: 1}),
        row("race startRecording", 4, 1, method="RACE"),
    ]
    errors = [
        {
            "name": "race startRecording",
            "method": "RACE",
            "error": "startRecording race of 3: ...",
            "occurrences": 1,
        }
    ]
    out = summary.build(
        scenario="races", target="http://x", started="t", duration_s=2.0, users=3, rows=rows, errors=errors
    )
    op = out["operations"]["startRecording"]
    assert (op["count"], op["failures"], op["outcomes"]) == (10, 1, {"201": 9, "409": 1})
    assert (op["p50"], op["p99"], op["max"]) == (1.0, 50.0, 50.0)
    assert op["intended"]["p99"] == 80.0
    assert out["totals"] == {"requests": 10, "failures": 1, "rps": 5.0, "exceptions": 0}
    assert out["races"]["rounds"] == 4 and out["races"]["violations"] == 1
    assert out["races"]["examples"] == ["startRecording race of 3: ... (x1)"]
    assert list(out["operations"]) == ["startRecording"]


def test_percentile_matches_locusts_algorithm():
    times = {1.0: 50, 2.0: 45, 9.0: 4, 100.0: 1}
    # same answers as locust.stats.calculate_response_time_percentile (checked against locust 2.47)
    assert summary.percentile(times, 100, 0.5) == 2.0
    assert summary.percentile(times, 100, 0.95) == 9.0
    assert summary.percentile(times, 100, 0.99) == 100.0
    assert summary.percentile(times, 100, 1.0) == 100.0


def test_slo_overlay_and_scenario_section(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text("[defaults]\np99_ms = 5.0\n[scenario.races.run]\nmin_rps = 100.0\n")
    races = slo.load(f, "races")
    assert races["defaults"]["p99_ms"] == 5.0 and races["defaults"]["p95_ms"] == 500.0
    assert races["run"]["min_rps"] == 100.0
    assert slo.load(f, "reads")["run"]["min_rps"] == 1.0
    assert slo.load(None, "capacity")["run"]["latency_gates"] is False


def test_slo_typo_is_an_error_not_a_disabled_gate(tmp_path):
    f = tmp_path / "typo.toml"
    f.write_text("[defaults]\np99ms = 5.0\n")
    with pytest.raises(slo.SloConfigError, match="unknown key 'p99ms'"):
        slo.load(f, "races")


def test_slo_gates_use_the_intended_series_in_open_model_runs():
    base = {"count": 10, "failures": 0, "p95": 1.0, "p99": 1.0, "outcomes": {}}
    closed = {"operations": {"startRecording": base}, "totals": {"rps": 10.0}, "rate": None}
    opened = {
        "operations": {"startRecording": {**base, "intended": {"p95": 900.0, "p99": 2000.0}}},
        "totals": {"rps": 10.0},
        "rate": {"target": 10.0, "achieved": 10.0},
    }
    config = slo.load(None, "call-control")
    assert all(c.passed for c in slo.evaluate(closed, config))
    failed = {c.metric for c in slo.evaluate(opened, config) if not c.passed}
    assert failed == {"p95_intended", "p99_intended"}


LAB = """
[target]
url = "https://ucx.example.com"
[credentials.l10]
username = "boss"
password = "s3cret-boss"
[credentials.l1]
username = "agent"
password_env = "AGENT_PW"
[[lines]]
deviceName = "SEPA"
directoryNumber = "1"
role = "l1"
[[lines]]
deviceName = "SEPB"
directoryNumber = "2"
[[lines]]
deviceName = "SEPC"
directoryNumber = "3"
[[lines]]
deviceName = "SEPN"
directoryNumber = "9"
call = "none"
"""


def lab_config(tmp_path, text=LAB):
    f = tmp_path / "lab.toml"
    f.write_text(text)
    return resolve(target_file=f, env={"AGENT_PW": "from-env"}, cwd=tmp_path)


def test_lab_lines_are_the_usable_ones_with_their_owner(tmp_path):
    config = lab_config(tmp_path)
    standing, idle = lab_lines(config, ["SEPA/1", "SEPC/3", "SEPN/9"])  # SEPB/2 failed the preflight
    assert [line.label for line in standing] == ["SEPA/1", "SEPC/3"]
    assert [line.label for line in idle] == ["SEPN/9"]
    assert standing[0].owner is not None and standing[0].owner.username == "agent"
    assert standing[0].owner.password == "from-env" and standing[1].owner is None
    assert "from-env" not in repr(standing[0]) and "s3cret" not in repr(config)
    assert [line.label for line in partition(standing, 0, 2)] == ["SEPA/1"]
    assert [line.label for line in partition(standing, 1, 2)] == ["SEPC/3"]
    with pytest.raises(ValueError):
        partition(standing, 2, 2)


def test_a_role_on_two_lines_owns_neither(tmp_path):
    """/Mine and the body-less start would not say which line: such lines are driven by l10 only."""
    text = LAB.replace('directoryNumber = "2"\n', 'directoryNumber = "2"\nrole = "l1"\n')
    config = lab_config(tmp_path, text)
    standing, _ = lab_lines(config, ["SEPA/1", "SEPB/2"])
    assert [line.owner for line in standing] == [None, None]


def test_lines_are_hashable_and_compare_by_value():
    assert {Line("SEPA", "1"), Line("SEPA", "1")} == {Line("SEPA", "1")}


def test_tls_context_follows_tls_verify(tmp_path):
    strict = tls.context(True)
    assert strict.verify_mode == ssl.CERT_REQUIRED and strict.check_hostname
    loose = tls.context(False, cafile="ignored")
    assert loose.verify_mode == ssl.CERT_NONE and not loose.check_hostname
    with pytest.raises((OSError, ssl.SSLError)):
        tls.context(str(tmp_path / "missing-ca.pem"))


def test_locust_gets_the_resolved_tls_setting(tmp_path):
    common = dict(users=1, spawn_rate=1, run_time="5s", out_dir=tmp_path)
    main, _ = build_commands("reads", target="https://h:1", tls_verify=False, **common)
    assert main[main.index("--recqual-tls-verify") + 1] == "false"
    main, _ = build_commands("reads", target="https://h:1", tls_verify="/ca/bundle.pem", **common)
    assert main[main.index("--recqual-tls-verify") + 1] == "/ca/bundle.pem"
    main, _ = build_commands("reads", target="https://h:1", **common)
    assert "--recqual-tls-verify" not in main


@pytest.mark.parametrize("text, seconds", [("30", 30), ("45s", 45), ("2m", 120), ("1h30m", 5400)])
def test_run_time_parsing(text, seconds):
    assert parse_run_time(text) == seconds


def test_bad_run_time_is_a_usage_error():
    with pytest.raises(UsageError):
        parse_run_time("soon")


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope", "--target", "http://127.0.0.1:1"], "invalid choice: 'nope'"),
        (["races", "--target", "http://127.0.0.1:1", "--rate", "5"], "--rate does not apply to races"),
        (["reads", "--target", "127.0.0.1:1"], "--target must be an http(s) URL"),
        (["reads", "--target", "http://u:p@127.0.0.1:1"], "not in the URL"),
        (["reads", "--target", "http://127.0.0.1:1", "--run-time", "soon"], "run time 'soon'"),
        (["reads", "--target", "http://127.0.0.1:1", "--target-file", "nope.toml"], "target file not found"),
        (["reads", "--target", "http://127.0.0.1:1", "--tls-verify", "no-such-ca.pem"], "no CA bundle file"),
        (["reads"], "no target"),
    ],
)
def test_cli_usage_errors_are_one_line_and_exit_2(args, message, monkeypatch):
    """Everything the run cannot use is refused before Locust starts: one line, exit 2."""
    for name in ("RECQUAL_TARGET", "RECQUAL_TARGET_FILE", "RECQUAL_PREFLIGHT"):
        monkeypatch.delenv(name, raising=False)
    proc = subprocess.run(
        [sys.executable, "-m", "load", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr


@pytest.mark.parametrize("which", ["missing", "other-target"])
def test_a_given_preflight_must_be_this_targets(which, tmp_path, monkeypatch):
    """RECQUAL_PREFLIGHT (from recqual qualify) is read, never replaced: a wrong one is exit 2, one line."""
    path = tmp_path / "preflight.json"
    if which == "other-target":
        path.write_text(
            '{"url": "http://127.0.0.1:2", "server": "server", "control_plane": "absent", '
            '"control_allowed": false, "reset_allowed": false, "clock_offset_s": null, '
            '"retention_days": null}'
        )
    monkeypatch.setenv("RECQUAL_PREFLIGHT", str(path))
    proc = subprocess.run(
        [sys.executable, "-m", "load", "reads", "--target", "http://127.0.0.1:1", "--out-dir", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    expected = "not a usable preflight.json" if which == "missing" else "not of http://127.0.0.1:1"
    assert len(lines) == 1 and expected in lines[0], proc.stderr


SECRET = "pa ss<&\"'/w0rd"
TOKEN = base64.b64encode(f"boss:{SECRET}".encode()).decode()


def test_the_redactor_knows_every_form_of_a_secret():
    """A server can quote a password as text, in JSON, in HTML, URL-encoded; a header by its name."""
    redact = Redactor(RoleCredentials("l10", "boss", SECRET).secrets())
    for text in (SECRET, json.dumps(SECRET), html.escape(SECRET), quote(SECRET, safe=""), TOKEN):
        assert SECRET not in redact(f"x {text} y") and TOKEN not in redact(f"x {text} y")
        assert REDACTED in redact(f"x {text} y")
    # credentials nobody told it about: a header's value, an auth scheme's token
    assert redact("Cookie: session=abc; other=def tail") == f"Cookie: {REDACTED} tail"
    assert redact('{"Authorization": "Bearer abc.def"}') == f'{{"Authorization": "{REDACTED}"}}'
    assert redact("sent Basic dXNlcjpwdw== here") == f"sent Basic {REDACTED} here"
    assert redact("an ordinary 409: the line has no call") == "an ordinary 409: the line has no call"


def test_a_quoted_body_is_redacted_before_it_is_cut():
    redact = Redactor(["0123456789secret"])
    body = ("x" * 290 + " 0123456789secret and more").encode()
    quoted = redact.quote(body, limit=300)
    assert len(quoted) <= 300 and "0123456789" not in quoted


def test_the_sweep_keeps_json_json_and_says_what_it_changed(tmp_path):
    config = resolve(target="http://h:1", env={"RECQUAL_USER": "u", "RECQUAL_PASSWORD": "pw-x1"})
    redact = Redactor(run_secrets(config))
    (tmp_path / "summary.json").write_text(json.dumps({"notes": ["server said pw-x1"], "n": 1}))
    (tmp_path / "locust-master.log").write_text("nothing to hide\n")
    (tmp_path / "mine.txt").write_text("pw-x1")  # not a file the load pass writes: left alone
    assert sweep_run_dir(tmp_path, redact) == ["summary.json"]
    swept = json.loads((tmp_path / "summary.json").read_text())
    assert swept == {"notes": [f"server said {REDACTED}"], "n": 1}
    assert (tmp_path / "mine.txt").read_text() == "pw-x1"


def test_without_l10_the_emulator_admin_is_a_secret_too():
    config = resolve(target="http://h:1", env={})
    assert base64.b64encode(b"admin:admin").decode() in run_secrets(config)


def _stdlib_page_length(body: bytes) -> int | None:
    """What the reads check decided before the quick reading: the page's length, or None (a failure)."""
    try:
        page = json.loads(body)
    except ValueError:
        return None
    return len(page["recordings"]) if is_page(page) else None


PAGES = [
    b'{"totalCount": 2, "recordings": [{"id": "a"}, {"id": "b"}], "extra": null}',
    b'{"totalCount": 123456789012345678901234567890, "recordings": []}',  # past 64 bits: still an int
    b'{"totalCount": true, "recordings": []}',  # a bool is an int to Python: the old check let it pass
    b'{"totalCount": 2.0, "recordings": []}',
    b'{"totalCount": 1, "recordings": [NaN]}',  # not JSON, but the standard library reads it
    b'{"totalCount": 1, "recordings": [{"a": tru}]}',  # bad syntax inside an item
    b'{"totalCount": 1, "recordings": {}}',
    b'{"recordings": []}',
    b'\xef\xbb\xbf{"totalCount": 0, "recordings": []}',  # a UTF-8 byte-order mark
    b'{"totalCount": 0, "recordings": ["\xff"]}',  # not UTF-8
    b"",
    b"[]",
    b'{"totalCount": 0, "recordings": []} trailing',
]


@pytest.mark.parametrize("body", PAGES)
def test_the_quick_page_reading_never_disagrees_with_the_standard_library(body):
    quick = quick_page_length(body)
    assert quick is None or quick == _stdlib_page_length(body)


def test_the_quick_page_reading_reads_a_well_formed_page():
    page = {"totalCount": 250, "recordings": [{"id": str(n), "duration": "PT1S"} for n in range(100)]}
    assert quick_page_length(json.dumps(page).encode()) == 100


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@given(
    total=st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(), st.text(max_size=3)),
    recordings=st.one_of(st.lists(_JSON, max_size=4), _JSON),
    cut=st.integers(min_value=0, max_value=4),
)
def test_any_json_page_reads_the_same_quickly(total, recordings, cut):
    body = json.dumps({"totalCount": total, "recordings": recordings}).encode()
    body = body[: len(body) - cut]  # and some truncated ones
    quick = quick_page_length(body)
    assert quick is None or quick == _stdlib_page_length(body)

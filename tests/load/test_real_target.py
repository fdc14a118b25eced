"""A lab-style run: the emulator is there, but this run may not use its control plane.

The "lab" is the emulator behind a proxy that lets ``GET /_emulator/health`` through (so the preflight
proves it is recqual's emulator) and refuses, and records, every other ``/_emulator`` request. The test
sets the scene beforehand on the emulator's own port, as a lab would with real phones: two lines with a
standing call (the first one the own line of a Record Only user, declared ``role = "l1"``) and one
declared ``call = "none"`` line. Then ``python -m load`` runs without ``--allow-reset``, from another
folder, with a relative ``--target-file`` and ``--out-dir``.

Invariants: not one control-plane request besides the health probe reaches the emulator (no users, no
calls, no settings, no hang-ups: the calls are still up afterwards); call-control drives every standing
line, sends a real number of requests, and its 409/429 checks (busy start, pause of a paused recording,
resume of a running one, stop of a stopped id, start on a line without a call) are present and pass;
races on the standing lines have exactly one winner per round; nothing of ours is left live, and no
credential lands in a report or log. On Ctrl-C the run stops, sweeps and still writes its summary.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from recqual.preflight import run_preflight
from recqual.target_config import resolve

OWNER_PASSWORD = f"agent-{uuid.uuid4().hex}"
ADMIN_BASIC = "YWRtaW46YWRtaW4="  # base64("admin:admin"): never in a report or log


@dataclass
class Lab:
    folder: Path  # the cwd of the runs; the target file is lab/target.toml inside it
    standing: list[tuple[str, str]]
    idle: tuple[str, str]
    call_ids: list[str]


@pytest.fixture(scope="module")
def lab(emulator, guarded_emulator, tmp_path_factory) -> Lab:
    tag = uuid.uuid4().hex[:8].upper()
    number = int(tag, 16) % 10**6
    standing = [(f"SEP{tag}{i:04X}", f"56{number:06d}{i}") for i in range(2)]
    idle = (f"SEP{tag}FFFF", f"57{number:06d}9")
    owner, idle_user = f"agent{tag.lower()}", f"idle{tag.lower()}"
    for username, (device, dn) in ((owner, standing[0]), (idle_user, idle)):
        status, body = emulator.control(
            "POST",
            "/users",
            {
                "username": username,
                "password": OWNER_PASSWORD,
                "level": 1,
                "extension": dn,
                "deviceName": device,
            },
        )
        assert status == 201, body
    call_ids = []
    for i, (device, dn) in enumerate(standing):
        status, body = emulator.control(
            "POST",
            "/calls",
            {"deviceName": device, "directoryNumber": dn, "username": owner if i == 0 else "admin"},
        )
        assert status == 201, body
        call_ids.append(body["callId"])
    folder = tmp_path_factory.mktemp("lab-cwd")
    (folder / "lab").mkdir()
    (folder / "lab" / "target.toml").write_text(
        f'[target]\nurl = "{guarded_emulator.url}"\n'
        '[credentials.l10]\nusername = "admin"\npassword = "admin"\n'
        f'[credentials.l1]\nusername = "{owner}"\npassword_env = "LAB_AGENT_PASSWORD"\n'
        f'[[lines]]\ndeviceName = "{standing[0][0]}"\ndirectoryNumber = "{standing[0][1]}"\nrole = "l1"\n'
        f'[[lines]]\ndeviceName = "{standing[1][0]}"\ndirectoryNumber = "{standing[1][1]}"\n'
        f'[[lines]]\ndeviceName = "{idle[0]}"\ndirectoryNumber = "{idle[1]}"\ncall = "none"\n'
    )
    return Lab(folder, standing, idle, call_ids)


def load_cli(
    lab: Lab, scenario: str, users: int, run_time: str, out: str, preflight: Path | None = None
) -> subprocess.Popen:
    """``python -m load`` as ``recqual qualify`` runs it on a lab; from the lab folder, paths relative."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECQUAL_")}
    env["LAB_AGENT_PASSWORD"] = OWNER_PASSWORD
    if preflight is not None:
        env["RECQUAL_PREFLIGHT"] = str(preflight)
    command = [
        sys.executable, "-m", "load", scenario, "--target-file", "lab/target.toml",
        "--users", str(users), "--spawn-rate", str(users), "--run-time", run_time, "--out-dir", out,
    ]  # fmt: skip
    return subprocess.Popen(
        command, cwd=lab.folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(proc: subprocess.Popen, run_dir: Path) -> tuple[int, dict, str]:
    output, _ = proc.communicate(timeout=180)
    log = (run_dir / "locust-master.log").read_text(errors="replace") if run_dir.is_dir() else ""
    path = run_dir / "summary.json"
    summary = json.loads(path.read_text()) if path.exists() else {}
    return proc.returncode, summary, output + log[-3000:]


def assert_untouched_and_clean(
    lab: Lab, emulator, guarded_emulator, run_dir: Path, preflight: Path | None = None
) -> None:
    assert guarded_emulator.control_attempts == [], "the run used the control plane it was not allowed"
    up = {call["callId"] for call in emulator.calls()}
    assert set(lab.call_ids) <= up, "a standing call was hung up"
    assert emulator.live_recordings() == [], "the run left recordings live"
    pre = json.loads((preflight or run_dir / "preflight.json").read_text())
    assert pre["control_plane"] == "ours" and pre["control_allowed"] is False
    for path in run_dir.iterdir():
        data = path.read_bytes()
        assert OWNER_PASSWORD.encode() not in data and ADMIN_BASIC.encode() not in data, path.name


def test_call_control_on_a_lab_drives_every_line_and_checks_409_429(lab, emulator, guarded_emulator):
    run_dir = lab.folder / "runs" / "call-control"
    # as recqual qualify --quick runs it: one user per standing line, 6 s, default think times
    code, summary, output = finish(load_cli(lab, "call-control", 2, "6s", "runs/call-control"), run_dir)
    assert code == 0, output
    assert "lab: 2 standing-call line(s), 1 without a call" in output
    assert summary["totals"]["failures"] == 0 and summary["totals"]["requests"] >= 50, summary["totals"]
    outcomes = {name: set(op["outcomes"]) for name, op in summary["operations"].items()}
    assert {"201", "429", "409"} <= outcomes["startRecording"]  # busy line 429, line without a call 409
    assert "429" in outcomes["pauseRecording"] and "429" in outcomes["resumeRecording"]
    assert {"204", "409"} <= outcomes["stopRecording"]  # the stop of a stopped id
    assert summary["operations"]["listMyActiveRecordings"]["count"] > 0  # the l1 owner, on its own line
    assert summary["cleanup"]["leftover_live"] == 0 and summary["cleanup"]["lines"] == 3
    assert summary["notes"] == []
    rows = (run_dir / "stats_stats.csv").read_text()
    checked = ("startRecording [429]", "startRecording [409]", "pauseRecording [429]", "stopRecording [409]")
    for row in checked:
        assert f",{row}," in rows, row  # each outcome its own row
    assert_untouched_and_clean(lab, emulator, guarded_emulator, run_dir)


def test_races_on_a_lab_have_one_winner_per_round(lab, emulator, guarded_emulator):
    """3 x 2 users race on the two standing lines; a seventh has no line: it idles, counted, no failure.

    As under ``recqual qualify``: the preflight is the parent's (``RECQUAL_PREFLIGHT``), not run again."""
    target_file = lab.folder / "lab" / "target.toml"
    config = resolve(target_file=target_file, env={"LAB_AGENT_PASSWORD": OWNER_PASSWORD})
    preflight = lab.folder / "qualify-preflight.json"
    run_preflight(config, profile="documented").write(preflight)
    run_dir = lab.folder / "runs" / "races"
    code, summary, output = finish(load_cli(lab, "races", 7, "5s", "runs/races", preflight), run_dir)
    assert not (run_dir / "preflight.json").exists()
    assert code == 0, output
    races, ops = summary["races"], summary["operations"]
    assert races["rounds"] > 0 and races["violations"] == 0
    assert set(ops["startRecording"]["outcomes"]) == {"201", "429"}
    assert summary["totals"]["failures"] == 0
    assert any("no free line" in note for note in summary["notes"]), summary["notes"]
    assert_untouched_and_clean(lab, emulator, guarded_emulator, run_dir, preflight)


def test_ctrl_c_stops_and_sweeps_what_the_run_started(lab, emulator, guarded_emulator):
    run_dir = lab.folder / "runs" / "interrupted"
    proc = load_cli(lab, "call-control", 2, "60s", "runs/interrupted")
    log = run_dir / "locust-master.log"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "against" not in (log.read_text() if log.exists() else ""):
        time.sleep(0.2)
    time.sleep(2.0)  # recordings are being started, paused, stopped
    os.kill(proc.pid, signal.SIGINT)
    code, summary, output = finish(proc, run_dir)
    assert code == 3, output
    assert "interrupted" in output
    assert any("interrupted" in note for note in summary["notes"]), summary["notes"]
    assert summary["totals"]["requests"] > 0 and summary["cleanup"]["leftover_live"] == 0
    assert_untouched_and_clean(lab, emulator, guarded_emulator, run_dir)

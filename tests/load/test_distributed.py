"""Locust's master/worker mode: a master plus two local workers produce one merged set of stats.

Invariant: the master's summary counts the requests of both workers (each worker ran users on its own
lines), clean-up ran on both, and nothing is left live.
"""

from __future__ import annotations

import csv

from load.runner import build_commands, run


def test_two_workers_produce_merged_stats(emulator, tmp_path):
    result = run(
        "call-control",
        target=emulator.url,
        allow_reset=True,
        users=4,
        spawn_rate=4,
        run_time="5s",
        out_dir=tmp_path,
        slo_file=None,
        rate=None,
        workers=2,
        extra=["--recqual-think-min", "0.05", "--recqual-think-max", "0.2"],
    )
    assert result.exit_code == 0, (tmp_path / "locust-master.log").read_text()[-3000:]
    summary = result.summary
    assert summary["workers"] == 2 and summary["users"] == 4
    logs = [(tmp_path / f"locust-worker-{i}.log").read_text() for i in range(2)]
    assert any("worker 0 of 2" in log for log in logs) and any("worker 1 of 2" in log for log in logs)
    rows = {row["Name"]: row for row in csv.DictReader(result.paths["csv_stats"].open())}
    assert int(rows["Aggregated"]["Request Count"]) == summary["totals"]["requests"] > 0
    assert summary["cleanup"]["lines"] == 8  # 4 users x 2 lines, swept by the workers that owned them
    assert summary["cleanup"]["leftover_live"] == 0 and emulator.live_recordings() == []


def test_distributed_command_bounds_the_wait_for_workers(tmp_path):
    master, workers = build_commands(
        "races",
        target="http://127.0.0.1:1",
        users=6,
        spawn_rate=6,
        run_time="10s",
        out_dir=tmp_path,
        workers=3,
        master_port=5599,
    )
    joined = " ".join(master)
    assert "--master" in master and "--expect-workers 3" in joined and "--expect-workers-max-wait" in joined
    assert len(workers) == 3 and all("--worker" in w and "5599" in w for w in workers)

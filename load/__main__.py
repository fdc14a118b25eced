"""``python -m load <scenario> --target URL [options] [-- extra locust options]``: run one load scenario.

``python -m load <scenario> ... --master --expect-workers N`` runs the master alone, for workers on other
machines: ``python -m load worker --master-host HOST`` (``load.worker``; each worker's credentials come
from its own environment or target file, never from the master).

The target is resolved once (``recqual.target_config``: flags, environment, target file) and preflighted
once (or the preflight named by ``RECQUAL_PREFLIGHT`` is read) before Locust starts; a configuration the
run cannot use is one line on stderr and exit 2. The emulator's control plane is used only with
``--allow-reset`` (or when the given preflight allows it); without it any server, the emulator
included, is a lab: its declared lines, its declared users.

Exit codes: 0 every SLO gate passed; 1 a gate failed; 2 usage error (one line on stderr); 3 the run broke
(set-up failed, timeout, interrupted, workers missing: no verdict). Everything after ``--`` goes to locust
unchanged, e.g. ``-- --recqual-race-size 4`` or ``-- --loglevel DEBUG``.
"""

from __future__ import annotations

import argparse
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from load import SCENARIOS, slo
from load.redaction import Redactor, run_secrets
from load.runner import MasterPlan, run, target_config
from load.slo import EXIT_USAGE
from load.worker import CONNECT_TIMEOUT_S, WorkerPlan, run_worker
from recqual.errors import RecqualError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m load",
        description="Run a recqual load scenario (Locust, headless).",
        epilog="Scenarios: " + ", ".join(SCENARIOS) + ". A worker for a --master elsewhere: "
        "python -m load worker --help. See load/README.md.",
    )
    p.add_argument("scenario", choices=list(SCENARIOS), help="which scenario to run")
    p.add_argument(
        "--target",
        default=None,
        help="server base URL, e.g. http://127.0.0.1:8080 (default: RECQUAL_TARGET, the target file's url)",
    )
    p.add_argument("--users", "-u", type=int, default=10, help="concurrent users (capacity: the ceiling)")
    p.add_argument("--spawn-rate", "-r", type=float, default=5.0, help="users started per second")
    p.add_argument("--run-time", "-t", default="30s", help="e.g. 30s, 2m (capacity: the upper bound)")
    p.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="run directory (default reports/load/<scenario>-<UTC time>)",
    )
    p.add_argument("--slo-file", type=Path, default=None, help="SLO TOML merged over load/slo.toml")
    p.add_argument(
        "--rate",
        type=float,
        default=None,
        help="open model: total requests/s on a fixed schedule (call-control, reads, uploads)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        help="local worker processes under a Locust master (0: a single process)",
    )
    p.add_argument(
        "--target-file",
        type=Path,
        default=None,
        help="target TOML: URL, TLS, credentials and lines (see recqual/target_config.py)",
    )
    p.add_argument(
        "--tls-verify",
        default=None,
        metavar="true|false|CA_PATH",
        help="verify the server's certificate (default: the target file's, else true)",
    )
    p.add_argument(
        "--allow-reset",
        action="store_true",
        help="the target may be used through the emulator control plane (users, calls, settings) when "
        "the preflight proves it is recqual's emulator",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="hard limit in seconds for the whole run (default: run time + 90 s)",
    )
    _add_master_options(p)
    return p


def _add_master_options(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group(
        "across machines", "run the master alone; workers join with: python -m load worker --master-host HOST"
    )
    group.add_argument("--master", action="store_true", help="run only the Locust master (no local workers)")
    group.add_argument("--expect-workers", type=int, default=None, metavar="N", help="workers to wait for")
    group.add_argument(
        "--expect-workers-max-wait",
        type=float,
        default=60.0,
        metavar="S",
        help="give up (exit 3) when N workers have not joined after S seconds (default 60)",
    )
    group.add_argument(
        "--master-bind-host", default="*", help="interface the master listens on (default: all, '*')"
    )
    group.add_argument("--master-bind-port", type=int, default=5557, help="its TCP port (default 5557)")


def worker_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m load worker",
        description="Run a Locust worker for a recqual master on another machine: the scenario and its "
        "options come from the master, the credentials from this machine's environment or target file.",
        epilog="See load/README.md, 'Across machines'.",
    )
    p.add_argument("--master-host", required=True, help="the master's host name or address")
    p.add_argument("--master-port", type=int, default=5557, help="the master's port (default 5557)")
    p.add_argument(
        "--target-file",
        type=Path,
        default=None,
        help="this worker's target TOML: credentials (password_env), lines, TLS "
        "(default: RECQUAL_TARGET_FILE)",
    )
    p.add_argument(
        "--tls-verify",
        default=None,
        metavar="true|false|CA_PATH",
        help="verify the server's certificate (default: the target file's, else true)",
    )
    p.add_argument(
        "--connect-timeout",
        type=float,
        default=CONNECT_TIMEOUT_S,
        help="seconds to wait for the master to name its scenario "
        f"(default {CONNECT_TIMEOUT_S:g}; then exit 3)",
    )
    return p


def worker_main(argv: list[str]) -> int:
    p = worker_parser()
    args = p.parse_args(argv)
    plan = WorkerPlan(
        master_host=args.master_host,
        master_port=args.master_port,
        target_file=args.target_file,
        tls_verify=args.tls_verify,
        connect_timeout_s=args.connect_timeout,
    )
    signal.signal(signal.SIGTERM, _interrupt)  # stop the worker's users and sweep, as on Ctrl-C
    try:
        return run_worker(plan)
    except RecqualError as exc:
        p.error(str(exc))
    except KeyboardInterrupt:
        print("worker: interrupted before it joined a run", file=sys.stderr)
        return slo.EXIT_RUN_ERROR


def _master_plan(p: argparse.ArgumentParser, args: argparse.Namespace) -> MasterPlan | None:
    """The master-alone plan of ``--master``; a usage error for its options without it, or half of it."""
    if not args.master:
        if args.expect_workers is not None:
            p.error("--expect-workers needs --master (local workers: --workers N)")
        return None
    if args.expect_workers is None:
        p.error("--master needs --expect-workers N (how many workers will join)")
    return MasterPlan(
        expect_workers=args.expect_workers,
        bind_host=args.master_bind_host,
        bind_port=args.master_bind_port,
        max_wait_s=args.expect_workers_max_wait,
    )


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["worker"]:
        return worker_main(argv[1:])
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    p = parser()
    args = p.parse_args(argv)
    if args.rate is not None and args.scenario in ("races", "capacity"):
        p.error(f"--rate does not apply to {args.scenario} (its pace is set by the barrier or the shape)")
    master = _master_plan(p, args)
    try:
        slo.load(args.slo_file, args.scenario)
        config = target_config(args.target, target_file=args.target_file, tls_verify=args.tls_verify)
    except (slo.SloConfigError, RecqualError) as exc:
        p.error(str(exc))
    out_dir = args.out_dir or Path("reports/load") / f"{args.scenario}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    redact = Redactor(run_secrets(config))  # what this prints may quote a server (a preflight refusal)
    signal.signal(signal.SIGTERM, _interrupt)  # stop what the run started, as on Ctrl-C
    try:
        result = run(
            args.scenario,
            target=config,
            users=args.users,
            spawn_rate=args.spawn_rate,
            run_time=args.run_time,
            out_dir=out_dir,
            slo_file=args.slo_file,
            rate=args.rate,
            workers=args.workers,
            master=master,
            extra=extra,
            allow_reset=args.allow_reset,
            timeout_s=args.timeout,
        )
    except RecqualError as exc:  # bad arguments, preflight refused: nothing was started
        p.error(redact(str(exc)))
    except KeyboardInterrupt:  # during the preflight: nothing of Locust's was started yet
        print(f"{args.scenario}: interrupted before the run started", file=sys.stderr)
        return slo.EXIT_RUN_ERROR
    summary = result.summary or {}
    verdict = "PASSED" if result.passed else "FAILED"
    totals = summary.get("totals", {})
    print(
        f"{args.scenario}: {verdict} (exit {result.exit_code}) - {totals.get('requests', 0)} requests, "
        f"{totals.get('failures', 0)} failures, {totals.get('rps', 0)} req/s"
    )
    for breach in summary.get("slo", {}).get("breaches", []):
        what = f"{breach['operation']} {breach['metric']}"
        print(f"  SLO breach: {what}: {breach['actual']} (limit {breach['limit']})")
    for note in summary.get("notes", []):
        print(f"  note: {redact(note)}")
    if result.interrupted:
        print("  interrupted: the run was stopped and cleaned up (no verdict)")
    elif result.timed_out:
        print("  the run exceeded its hard timeout and was killed")
    elif not summary:
        print(f"  no summary was written: {result.reason or 'see ' + str(result.paths['log'])}")
    print(f"  reports: {result.run_dir}")
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())

"""``python -m load <scenario> --target URL [options] [-- extra locust options]``: run one load scenario.

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
from load.runner import run, target_config
from load.slo import EXIT_USAGE
from recqual.errors import RecqualError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m load",
        description="Run a recqual load scenario (Locust, headless).",
        epilog="Scenarios: " + ", ".join(SCENARIOS) + ". See load/README.md.",
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
    return p


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    p = parser()
    args = p.parse_args(argv)
    if args.rate is not None and args.scenario in ("races", "capacity"):
        p.error(f"--rate does not apply to {args.scenario} (its pace is set by the barrier or the shape)")
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
        print(f"  no summary was written: see {result.paths['log']}")
    print(f"  reports: {result.run_dir}")
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())

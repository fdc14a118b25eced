"""The `recqual` command.

    recqual qualify [--target URL | --target-file F] [--user NAME] [--profile P] [--quick] [--out DIR]
    recqual check-target [--target URL | --target-file F] [--profile P]   the preflight alone
    recqual emulator [--host H] [--port P] [--db PATH]
    recqual contract [pytest args...]        the conformance suite (pytest)
    recqual load SCENARIO [args...]          a Locust scenario
    recqual load worker --master-host HOST   a worker for a load master elsewhere (load/README.md)
    recqual report --allure RUN_DIR          build the Allure HTML of a run
    recqual diff BASELINE CURRENT            compare two summary.json files

Exit codes: 0 qualified / no regression, 1 not qualified / regression, 2 configuration or preflight
error (always one line on stderr, never a traceback), 3 partial (qualified, but fewer checks ran than
--min-coverage asks), 4 the run itself broke (internal error, Ctrl-C).
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from recqual import __version__
from recqual import diff as diff_cli
from recqual.errors import RecqualError, ToolMissing, UsageError
from recqual.preflight import describe, run_preflight
from recqual.qualify import PROFILES, QualifyOptions, qualify
from recqual.summary import FAMILIES
from recqual.target_config import TargetConfig, resolve

EXIT_BROKEN = 4
"""The run itself broke (an internal error, or it was interrupted): no verdict either way."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit 2), as for every other recqual error."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> Parser:
    parser = Parser(prog="recqual", description="Qualify an Imagicle UCX Call Recording server's REST APIs.")
    parser.add_argument("--version", action="version", version=f"recqual {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    q = commands.add_parser("qualify", help="preflight + conformance suite + short load pass + report")
    _target_options(q)
    q.add_argument("--quick", action="store_true", help="every check family, fewer examples")
    q.add_argument("--out", type=Path, help="report folder (default: reports/<timestamp>)")
    q.add_argument("--seed", type=int, help="Hypothesis seed (default: random, printed in the report)")
    q.add_argument("--max-rps", type=float, help="cap on the conformance suite's request rate")
    q.add_argument("--skip-load", action="store_true", help="conformance suite only")
    q.add_argument(
        "--min-coverage",
        type=float,
        metavar="PCT",
        help="a qualified run where fewer than PCT%% of the checks ran is PARTIAL (exit 3)",
    )
    q.add_argument(
        "--only",
        action="append",
        metavar="PATTERN",
        help="run only these checks: a family (filters), family/operation (auth/getRecording), a check id "
        "from the report, or a glob; repeatable or comma-separated; no load pass",
    )
    q.add_argument("--exclude", action="append", metavar="PATTERN", help="leave these checks out (as --only)")
    q.add_argument(
        "--max-failures", type=int, metavar="N", help="stop the conformance suite after N failed checks"
    )
    q.add_argument(
        "--baseline",
        type=Path,
        metavar="SUMMARY_JSON",
        help="an earlier summary.json: a regression against it (recqual diff's rules) makes the run exit 1",
    )

    q.add_argument(
        "--soak",
        metavar="DURATION",
        help="nightly soak: the load pass runs DURATION in all (30m, 2h) at a bounded rate (think times of "
        "0.2-1 s), judged by its SLO gates and the trend gate (does the server slow down as it runs?)",
    )

    c = commands.add_parser("check-target", help="the preflight alone: what the server is, what would run")
    _target_options(c)

    e = commands.add_parser("emulator", help="run the emulated UCX server")
    e.add_argument("--host", default="127.0.0.1")
    e.add_argument("--port", type=int, default=8080)
    e.add_argument("--db", help="SQLite file (default: in memory)")
    e.add_argument("--users", help="JSON file of users to seed")
    e.add_argument(
        "--site", help="TOML site file: the deployed form (users, standing calls, preload, retention)"
    )
    e.add_argument("--no-control-plane", action="store_true", help="every /_emulator path answers 404")
    e.add_argument("--retention-days", type=int, help="the server's retention (overrides the site file)")
    e.add_argument("--preload", type=int, help="completed recordings present at start (overrides the site)")

    commands.add_parser("contract", help="the conformance suite (arguments go to pytest)", add_help=False)
    commands.add_parser("load", help="a Locust scenario (arguments go to `python -m load`)", add_help=False)

    r = commands.add_parser("report", help="build reports from a finished run")
    r.add_argument(
        "--allure",
        type=Path,
        metavar="RUN_DIR",
        required=True,
        help="a qualify report folder; builds RUN_DIR/allure-report",
    )

    d = commands.add_parser("diff", help="compare two summary.json files (e.g. before/after an upgrade)")
    diff_cli.add_arguments(d)
    return parser


def _target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", help="server base URL (default: start the embedded emulator)")
    parser.add_argument("--target-file", type=Path, help="TOML file: url, credentials per role, lines")
    parser.add_argument("--user", help="level-10 username (password from RECQUAL_PASSWORD)")
    parser.add_argument("--tls-verify", help="true (default), false, or a CA bundle path")
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        help="strict: assumed checks fail (default on an emulator); documented: they are reported as "
        "deviations (default on a server); read-only: GET requests only, no load pass",
    )
    parser.add_argument(
        "--allow-reset",
        action="store_true",
        help="let the run use the control plane of a recqual emulator it did not start itself",
    )


def _config(args: argparse.Namespace) -> TargetConfig:
    return resolve(
        target=args.target,
        target_file=args.target_file,
        user=args.user,
        tls_verify=args.tls_verify,
        max_rps=getattr(args, "max_rps", None),
    )


def run_in_place(module_args: list[str]) -> int:
    """Become ``python -m ...`` (``os.execv``): the emulator, the suite or the load pass runs in
    recqual's own process, same PID (nothing of recqual's Python state is left to share with Locust).

    Why not a child (``run_passthrough``): a SIGKILL cannot be forwarded, so ``kill -9`` of recqual
    left the child emulator holding its port and database. Why not a death signal in the child
    (``prctl(PR_SET_PDEATHSIG)``): Linux only, fired by the death of the starting *thread*, set in an
    unsafe ``preexec_fn``, and still a child that can outlive a stuck recqual. Why not importing the
    emulator's ``main``: recqual then imports the emulator, while the two share nothing but ``specs/``.
    With ``execv`` there is nothing left to orphan: every signal, SIGKILL included, reaches the
    emulator itself. Where ``execv`` cannot replace the process (Windows), a forwarding child it is.
    """
    if os.name != "posix":
        return run_passthrough(module_args)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *module_args])


def run_passthrough(module_args: list[str]) -> int:
    """Where ``execv`` cannot replace the process (not POSIX): a child that gets recqual's signals.

    A SIGTERM or SIGHUP sent to recqual (a CI runner, systemd, ``kill PID``) is passed on, so the
    child never outlives it: an orphaned suite would keep its embedded emulator and its port. Ctrl-C
    already reaches the child through the terminal's process group; recqual then waits for it.
    """
    child = subprocess.Popen([sys.executable, *module_args])

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                continue
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def cmd_qualify(args: argparse.Namespace) -> int:
    if args.min_coverage is not None and not 0 <= args.min_coverage <= 100:
        raise UsageError(f"--min-coverage is a percentage from 0 to 100, got {args.min_coverage:g}")
    config = _config(args)
    if args.max_failures is not None and args.max_failures < 1:
        raise UsageError("--max-failures must be a positive whole number")
    options = QualifyOptions(
        config=config,
        profile=args.profile,
        quick=args.quick,
        out=args.out,
        seed=args.seed,
        allow_reset=args.allow_reset,
        skip_load=args.skip_load,
        min_coverage=args.min_coverage,
        only=_patterns(args.only),
        exclude=_patterns(args.exclude),
        max_failures=args.max_failures,
        baseline=args.baseline,
        soak_s=_soak_seconds(args.soak),
    )
    code, _ = qualify(options)
    return code


def _soak_seconds(given: str | None) -> int | None:
    """``--soak DURATION`` in seconds (Locust's format: 30m, 2h, 1h30m); at least a minute."""
    if given is None:
        return None
    from load.plan import MIN_SOAK_S
    from load.runner import parse_run_time

    seconds = parse_run_time(given)
    if seconds < MIN_SOAK_S:
        raise UsageError(f"--soak {given}: a soak lasts at least {MIN_SOAK_S} s (e.g. 30m, 2h)")
    return seconds


def _patterns(given: list[str] | None) -> list[str]:
    """Comma-separated or repeated patterns; each must start with a check family (or a glob of one),
    so a typo is one line and exit 2 now, not a run of zero checks (the suite checks whole ids)."""
    patterns = [p.strip() for value in given or [] for p in value.split(",") if p.strip()]
    for pattern in patterns:
        family = pattern.split("/", 1)[0].split("[", 1)[0].lower()
        if not any(fnmatch.fnmatchcase(known, family) for known in FAMILIES):
            raise UsageError(
                f"{pattern!r} names no check family; a pattern starts with one of {', '.join(FAMILIES)} "
                "(e.g. filters, auth/getRecording, races/startRecording/concurrent-starts-one-201-others-429)"
            )
    return patterns


def cmd_check_target(args: argparse.Namespace) -> int:
    config = _config(args)
    if config.url is None:
        raise UsageError("check-target needs --target URL or a --target-file with [target] url")
    profile = args.profile or "documented"
    print(describe(run_preflight(config, profile=profile, allow_reset=args.allow_reset)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    results = args.allure / "allure-results"
    if not results.is_dir():
        raise UsageError(f"no Allure results in {results}: run `recqual qualify --out {args.allure}` first")
    allure = shutil.which("allure")
    if allure is None:
        raise ToolMissing(
            "the `allure` command is not installed: `npm install -g allure` (Allure 3, needs Node.js) or "
            "Allure 2 from https://allurereport.org/docs/install/ (needs Java); the raw results are in "
            f"{results}"
        )
    out = args.allure / "allure-report"
    code = subprocess.call([allure, "generate", str(results), "-o", str(out), "--clean"])
    if code == 0:
        print(f"Allure report: {out / 'index.html'}")
    return code


def cmd_diff(args: argparse.Namespace) -> int:
    return diff_cli.run(args)


def _interrupt(_signum: int, _frame: object) -> None:
    """SIGTERM ends recqual like Ctrl-C: through its ``finally`` blocks, so the embedded emulator and
    the suites' processes are stopped rather than orphaned (Python's default just exits)."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        if any(arg.startswith("--password") for arg in argv):
            raise UsageError(
                "passwords are never taken from the command line: set RECQUAL_PASSWORD or use --target-file"
            )
        # The suites' own options are theirs: pass everything after the sub-command through untouched.
        if argv[:1] == ["contract"]:
            plugins = ["-p", "no:locust", "-p", "contract.plugin"]
            return run_in_place(["-m", "pytest", *plugins, "--pyargs", "contract", *argv[1:]])
        if argv[:1] == ["load"]:
            return run_in_place(["-m", "load", *argv[1:]])
        args = build_parser().parse_args(argv)
        if args.command == "emulator":
            command = ["-m", "emulator", "--host", args.host, "--port", str(args.port)]
            command += ["--db", args.db] if args.db else []
            command += ["--users", args.users] if args.users else []
            command += ["--site", str(Path(args.site).absolute())] if args.site else []
            command += ["--no-control-plane"] if args.no_control_plane else []
            command += (
                ["--retention-days", str(args.retention_days)] if args.retention_days is not None else []
            )
            command += ["--preload", str(args.preload)] if args.preload is not None else []
            return run_in_place(command)
        handlers = {
            "qualify": cmd_qualify,
            "check-target": cmd_check_target,
            "report": cmd_report,
            "diff": cmd_diff,
        }
        return handlers[args.command](args)
    except RecqualError as exc:
        print(f"recqual: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("recqual: interrupted", file=sys.stderr)
        return EXIT_BROKEN
    except Exception as exc:  # a defect in recqual itself: still one line, the details on request
        if os.environ.get("RECQUAL_DEBUG"):
            raise
        print(
            f"recqual: internal error: {type(exc).__name__}: {exc} (RECQUAL_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_BROKEN

"""`recqual qualify`: conformance suite, then a short load pass, then the report.

Both suites run as child processes. The conformance suite is pytest (Schemathesis and Hypothesis own
the process); the load pass is Locust, which monkey-patches the whole process with gevent and so must
never share one with anything else. The parent only orchestrates, reads their machine-readable
results and writes the report, which keeps a crashing or hanging suite from taking the verdict with it.

Bounded in time whatever the server does: the preflight has its own 15 s deadline, each check a time
limit (``contract/check_deadline.py``), each child a timeout, and the whole run a deadline
(``RUN_DEADLINE_S``, or ``RECQUAL_RUN_DEADLINE_S``) past which the running child is stopped and the
verdict says so. A stop signal (Ctrl-C, SIGTERM, SIGHUP) is acted on once: the children are asked to
stop what they started (they run in their own sessions, so only recqual signals them, exactly once),
a partial report marked ``aborted`` is written, and the exit code is 4; further signals during that
clean-up are ignored rather than becoming a second traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import io
import math
import os
import platform
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from load import plan as load_plan
from recqual.diff import apply_gate, gate, read_summary
from recqual.embedded import embedded_emulator
from recqual.errors import RecqualError, UsageError
from recqual.html import write_html
from recqual.junit import write_junit
from recqual.preflight import EMULATOR_SERVICE, Preflight, run_preflight
from recqual.progress import Progress
from recqual.pytest_progress import PREFIX
from recqual.summary import build_summary, contract_log, load_json, write_summary
from recqual.target_config import EMBEDDED_ADMIN_SOURCE, TargetConfig, child_arguments

PROFILES = ("strict", "documented", "read-only")
EXIT_CODES = {"qualified": 0, "not-qualified": 1, "partial": 3, "aborted": 4}
ENV_PREFLIGHT = "RECQUAL_PREFLIGHT"
"""The preflight.json the children read: what the parent learnt, so they never probe differently."""
TargetKind = Literal["embedded-emulator", "emulator", "server"]
CONTRACT_TIMEOUT_S = 30 * 60
CLEANUP_GRACE_S = 20.0
"""How long an interrupted suite may take to stop what it started before it is killed."""
LOAD_CLEANUP_GRACE_S = 90.0
"""The load pass's sweep on a lab or across workers can take up to 75 s (load/README.md)."""
LOAD_TIMEOUT_S = 10 * 60
RUN_DEADLINE_S = {True: 20 * 60, False: 60 * 60}
"""The whole run, by ``--quick``: a clean quick run takes about a minute, a full one a few on a lab."""
ENV_RUN_DEADLINE = "RECQUAL_RUN_DEADLINE_S"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Aborted(BaseException):
    """A stop signal arrived. A ``BaseException``, like ``KeyboardInterrupt``: no ``except Exception``
    on the way may swallow it, and every ``finally`` (children, emulator) runs."""

    def __init__(self, signame: str) -> None:
        super().__init__(signame)
        self.signame = signame


@contextlib.contextmanager
def stop_signals_once() -> Iterator[None]:
    """The first SIGINT/SIGTERM/SIGHUP raises ``Aborted``; later ones are ignored while clean-up runs
    (a second Ctrl-C used to interrupt the clean-up itself, with a second traceback)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    seen: list[str] = []

    def first_only(signum: int, _frame: object) -> None:
        if not seen:
            seen.append(signal.Signals(signum).name)
            raise Aborted(seen[0])

    previous = {sig: signal.signal(sig, first_only) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_deadline_s(quick: bool) -> float:
    """The run's deadline in seconds: ``RECQUAL_RUN_DEADLINE_S`` when set (tests, slow labs)."""
    value = os.environ.get(ENV_RUN_DEADLINE, "")
    try:
        given = float(value) if value else 0.0
    except ValueError:
        given = 0.0
    return given if given > 0 and math.isfinite(given) else float(RUN_DEADLINE_S[quick])


@dataclass
class QualifyOptions:
    config: TargetConfig
    profile: str | None
    quick: bool
    out: Path | None
    seed: int | None = None
    allow_reset: bool = False
    skip_load: bool = False
    min_coverage: float | None = None
    only: list[str] = field(default_factory=list)
    """``--only``: check ids, families or globs (``contract/check_ids.py``); no load pass then."""
    exclude: list[str] = field(default_factory=list)
    max_failures: int | None = None
    baseline: Path | None = None
    """``--baseline``: an earlier summary.json this run is gated against (``recqual diff``'s rules)."""
    soak_s: int | None = None
    """``--soak``: the load pass runs this long in all (a nightly soak, judged by the trend gate)."""
    extra_contract_args: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    url: str
    kind: TargetKind

    @property
    def is_emulator(self) -> bool:
        return self.kind != "server"


@dataclass
class QualifyRun:
    """One run's facts, passed to every step: where, as whom (config), what the server can do."""

    config: TargetConfig
    target: Target
    profile: str
    seed: int
    out: Path
    env: dict[str, str]
    preflight: Preflight
    deadline: float = math.inf
    """``time.monotonic()`` value the whole run must end by."""
    problems: list[str] = field(default_factory=list)
    """What broke the run itself (a child stopped at the deadline): reasons of the verdict."""
    load_slo_file: Path | None = None
    """An SLO file merged over ``load/slo.toml`` for the load pass (``LoadBeside`` turns the trend off)."""

    def left(self, cap: float) -> float:
        """Seconds a step may take: ``cap``, or less when the run's deadline comes first."""
        return max(0.0, min(cap, self.deadline - time.monotonic()))


def default_out_dir() -> Path:
    return Path("reports") / dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for dist in ("recqual", "schemathesis", "hypothesis", "locust", "pytest"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[dist] = importlib.metadata.version(dist)
    return found


@contextlib.contextmanager
def resolved_target(config: TargetConfig, out: Path) -> Iterator[TargetConfig]:
    """The configuration to qualify: the one given, or one pointed at an embedded emulator."""
    if config.url is not None:
        yield config
        return
    with embedded_emulator(log=out / "emulator.log") as url:
        yield config.for_embedded_emulator(url)


def contract_command(ctx: QualifyRun, options: QualifyOptions) -> list[str]:
    out = ctx.out
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:locust",
        "-p",
        "no:cacheprovider",
        "-p",
        "recqual.pytest_progress",
        "-p",
        "contract.check_deadline",  # a time limit per check (the client keeps it); before the plugin
        "-p",
        "contract.plugin",
        "--pyargs",
        "contract",
        *child_arguments(ctx.config),
        "--preflight",
        str(out / "preflight.json"),
        "--profile",
        ctx.profile,
        f"--hypothesis-seed={ctx.seed}",
        "--recqual-results",
        str(out / "contract-results.json"),
        "--junitxml",
        str(out / "junit.xml"),
        "--alluredir",
        str(out / "allure-results"),
        "-q",
        "-rN",
        "--color=no",
        # Checks judge the server through contract/expect.py; their bare asserts only narrow types.
        # Rewriting every check module's asserts costs ~2.5 s of start-up where bytecode is not cached.
        "--assert=plain",
    ]
    if options.quick:
        command.append("--quick")
    command += [arg for pattern in options.only for arg in ("--only", pattern)]
    command += [arg for pattern in options.exclude for arg in ("--exclude", pattern)]
    if options.max_failures is not None:
        command += ["--max-failures", str(options.max_failures)]
    if ctx.config.max_rps is not None:
        command += ["--max-rps", str(ctx.config.max_rps)]
    return command + options.extra_contract_args


def run_contract(ctx: QualifyRun, options: QualifyOptions, progress: Progress) -> tuple[int | None, dict]:
    """Run the conformance suite; returns pytest's exit code and its results document.

    A watchdog stops the suite at the run's deadline even when it prints nothing (a silent hang);
    the child has its own session, so a terminal's Ctrl-C reaches it only through ``interrupt``.
    """
    results = ctx.out / "contract-results.json"
    log_path = ctx.out / "contract.log"
    limit = ctx.left(CONTRACT_TIMEOUT_S)
    overran = threading.Event()
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            contract_command(ctx, options),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=ctx.env,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        watchdog = threading.Timer(limit, _stop_overrun, (process, overran))
        watchdog.daemon = True
        watchdog.start()
        try:
            _relay(process, log, progress)
        except BaseException:
            # Keep reading while it stops: its interrupted-run summary must not fill the pipe and block it.
            drain = threading.Thread(target=_relay, args=(process, log, None), daemon=True)
            drain.start()
            if process.poll() is None:
                interrupt(process)  # the suite stops what it started, then must not outlive recqual
            drain.join(timeout=5)
            raise
        finally:
            watchdog.cancel()
        code = process.wait()
    if overran.is_set():
        ctx.problems.append(
            f"the conformance suite ran over {limit / 60:.1f} minutes (the run's deadline): stopped"
        )
        progress.note(ctx.problems[-1])
    progress.note(f"conformance suite finished (pytest exit code {code}); log: {log_path}")
    if not results.is_file():
        return code, {"checks": []}
    document = load_json(results)
    with contextlib.suppress(OSError, ValueError):  # the raw log stays if it cannot be rewritten
        raw = log_path.read_text(encoding="utf-8")
        log_path.write_text(contract_log(raw, document.get("checks") or []), encoding="utf-8")
    return code, document


def _relay(process: subprocess.Popen[str], log: Any, progress: Progress | None) -> None:
    """The suite's output: progress lines to the counter (when there is one), the rest to the log."""
    assert process.stdout is not None
    with contextlib.suppress(ValueError, OSError):  # the pipe or the log closed under a drain thread
        for line in process.stdout:
            if not line.startswith(PREFIX):
                log.write(line)
            elif progress is not None:
                done, total, failed = (int(part) for part in line.split()[1:4])
                progress.count("checks", done, total, failed)


def _stop_overrun(process: subprocess.Popen[Any], overran: threading.Event) -> None:
    if process.poll() is None:
        overran.set()
        interrupt(process)


def interrupt(process: subprocess.Popen[Any], grace_s: float = CLEANUP_GRACE_S) -> None:
    """Stop a suite the way Ctrl-C does: SIGINT first, so it stops the recordings it started (the
    contract's scene clean-up, the load pass's sweep); SIGKILL only if it is still there after
    ``grace_s``. The children run in their own sessions: this is the one SIGINT they get (a second
    one, from the terminal, used to interrupt their clean-up half-way)."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def load_command(ctx: QualifyRun, scenario: str, options: QualifyOptions, run_dir: Path) -> list[str]:
    """``python -m load SCENARIO``: the target's arguments, then ``load/plan.py``'s shape for this run
    (users per usable standing-call line on a lab; the Locust knobs come last, after ``--``)."""
    standing = {ln.label for ln in ctx.config.standing_lines} & set(ctx.preflight.usable_lines)
    users = load_plan.users(scenario, control=ctx.preflight.control_allowed, standing_lines=len(standing))
    return [
        sys.executable,
        "-m",
        "load",
        scenario,
        *child_arguments(ctx.config),
        *(["--slo-file", str(ctx.load_slo_file)] if ctx.load_slo_file else []),
        *load_plan.command_args(
            scenario, quick=options.quick, users=users, out_dir=run_dir, soak_s=options.soak_s
        ),
    ]


def load_scenarios(ctx: QualifyRun, options: QualifyOptions) -> tuple[str, ...]:
    return load_plan.scenarios(options.quick, control=ctx.preflight.control_allowed)


def run_load(
    ctx: QualifyRun,
    options: QualifyOptions,
    progress: Progress,
    summaries: dict[str, dict[str, Any]] | None = None,
    control: LoadControl | None = None,
) -> dict[str, dict[str, Any]]:
    """Each scenario in turn, its summary added to ``summaries`` as it ends (an abort keeps those).

    ``control``: how another thread stops this pass (``LoadBeside``): no scenario starts once it is
    stopped, and the running one is interrupted by that thread."""
    summaries = {} if summaries is None else summaries
    for scenario in load_scenarios(ctx, options):
        if control is not None and control.stopped.is_set():
            break
        run_dir = ctx.out / "load" / scenario
        run_dir.mkdir(parents=True, exist_ok=True)
        progress.note(f"load scenario {scenario} ...")
        with (run_dir / "locust.log").open("w", encoding="utf-8") as log:
            process = subprocess.Popen(
                load_command(ctx, scenario, options, run_dir),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=ctx.env,
                start_new_session=True,  # signalled by recqual only, once (see ``interrupt``)
            )
            if control is not None:
                control.current = process
            limit = ctx.left(LOAD_TIMEOUT_S + (options.soak_s or 0))
            try:
                code = process.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                interrupt(process, LOAD_CLEANUP_GRACE_S)
                code = -1
                ctx.problems.append(f"load scenario {scenario} ran over {limit / 60:.1f} minutes: stopped")
            finally:
                if process.poll() is None:  # interrupted: its sweep stops what it started
                    interrupt(process, LOAD_CLEANUP_GRACE_S)
                if control is not None:
                    control.current = None
        summary_path = run_dir / "summary.json"
        summary = load_json(summary_path) if summary_path.is_file() else {}
        summary.setdefault("exit_code", code)
        summary["report_dir"] = str(run_dir)
        summaries[scenario] = summary
        progress.note(f"load scenario {scenario}: exit code {code}")
    return summaries


@dataclass
class LoadControl:
    """What the thread running a load pass shares with the main thread: the child running now, and
    whether the pass must stop (a stop signal reached the main thread, which alone receives signals)."""

    stopped: threading.Event = field(default_factory=threading.Event)
    current: subprocess.Popen[bytes] | None = None


class LoadBeside:
    """The load pass on a second embedded emulator, in a thread, while the conformance suite runs.

    Why: a quick run spent a third of its time (about 20 s) in the load pass after the suite, and the
    suite leaves a core idle much of the time (its checks wait on the server, on purpose or not). Why a
    second emulator: the suite resets its emulator and changes its licence, channels and retention
    under way, which would turn the load's correct answers into failures. Only when recqual started
    the emulator itself: a given target (a lab, a proxy in front of an emulator) has one server, whose
    lines the suite and the load pass would share, so there they still run one after the other.

    The pass reports into a buffer (``progress``) that ``finish`` prints under the load-pass phase,
    so its lines never cut into the suite's progress counter."""

    def __init__(
        self, ctx: QualifyRun, options: QualifyOptions, summaries: dict[str, dict[str, Any]]
    ) -> None:
        self.ctx, self.options, self.summaries = ctx, options, summaries
        self.control = LoadControl()
        self.buffer = io.StringIO()
        self.progress = Progress(phases=4, stream=self.buffer)
        self.thread = threading.Thread(target=self._run, name="recqual-load-pass", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        ctx = self.ctx
        try:
            log = ctx.out / "load" / "emulator.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            with embedded_emulator(log=log) as url:
                load_ctx = self._context(url)
                if not self.control.stopped.is_set():
                    self.progress.note(f"on a second embedded emulator, {url}, beside the conformance suite")
                    run_load(load_ctx, self.options, self.progress, self.summaries, self.control)
        except (RecqualError, OSError) as exc:  # its emulator did not start or passed no preflight
            ctx.problems.append(f"the load pass could not start its embedded emulator: {exc}")
            self.progress.note(ctx.problems[-1])
        except Exception as exc:  # a thread's error would otherwise be a traceback nobody reads
            ctx.problems.append(f"the load pass broke: {type(exc).__name__}: {exc}")
            self.progress.note(ctx.problems[-1])

    def _context(self, url: str) -> QualifyRun:
        """The run's context pointed at the load pass's own emulator, with its own preflight.json."""
        ctx = self.ctx
        config = ctx.config.with_url(url)
        pre = run_preflight(config, profile=ctx.profile, started_emulator=True)
        path = ctx.out / "load" / "preflight.json"
        pre.write(path)
        env = {**ctx.env, ENV_PREFLIGHT: str(path)}
        load_ctx = QualifyRun(
            config, Target(url, "embedded-emulator"), ctx.profile, ctx.seed, ctx.out, env, pre
        )
        load_ctx.deadline, load_ctx.problems = ctx.deadline, ctx.problems
        load_ctx.load_slo_file = ctx.out / "load" / "beside-slo.toml"
        load_ctx.load_slo_file.write_text(BESIDE_SLO)
        return load_ctx

    def finish(self, progress: Progress) -> None:
        """Wait for the pass (usually over before the suite), then print what it reported."""
        self.thread.join()
        for line in self.buffer.getvalue().splitlines():
            progress.note(line.strip())

    def stop(self) -> None:
        """A stop signal: no further scenario; the running one stops what it started, then the emulator."""
        self.control.stopped.set()
        process = self.control.current
        if process is not None and process.poll() is None:
            interrupt(process, LOAD_CLEANUP_GRACE_S)
        self.thread.join(timeout=LOAD_CLEANUP_GRACE_S + 15)


BESIDE_SLO = """\
# The load pass ran beside the conformance suite on one machine: whether its last third is slower
# than its first depends on what the suite was doing then, not on the server, so no trend is judged.
[trend]
enabled = false
"""


@dataclass
class _Run:
    """What a run has got so far: a stop signal turns exactly this into the partial report."""

    deadline: float
    phase: str = "preflight"
    out: Path | None = None
    ctx: QualifyRun | None = None
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    clock: float = field(default_factory=time.monotonic)
    contract_exit: int | None = None
    contract: dict[str, Any] = field(default_factory=lambda: {"checks": []})
    load_summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    load_skipped: str | None = None


def qualify(options: QualifyOptions, progress: Progress | None = None) -> tuple[int, Path]:
    """Run a whole qualification; returns the exit code (``EXIT_CODES``) and the report folder.

    A given target is preflighted before anything is written, so a target that cannot be qualified
    as configured costs one line and exit code 2 (`PreflightError`), not an empty report folder.
    A stop signal ends it with a partial report marked aborted and exit code 4.
    """
    progress = progress or Progress(phases=4)
    state = _Run(deadline=time.monotonic() + run_deadline_s(options.quick) + (options.soak_s or 0))
    with stop_signals_once():
        try:
            return _qualify(options, progress, state)
        except Aborted as stop:
            return _aborted(stop.signame, options, progress, state)


def _qualify(options: QualifyOptions, progress: Progress, state: _Run) -> tuple[int, Path]:
    config = options.config
    baseline = read_summary(options.baseline) if options.baseline else None  # unusable: exit 2, nothing run
    profile_hint = options.profile or ("strict" if config.embedded else "documented")
    early: Preflight | None = None
    if config.url is not None:  # a target that cannot be qualified costs one line, nothing printed before it
        early = run_preflight(config, profile=profile_hint, allow_reset=options.allow_reset)
        progress.phase("preflight", config.url)
    out = (options.out or default_out_dir()).absolute()  # children run elsewhere: one meaning for all
    out.mkdir(parents=True, exist_ok=True)
    state.out = out
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**31)
    if early is None:
        progress.phase("preflight", "starting the embedded emulator")
    with resolved_target(config, out) as config:
        pre = early or run_preflight(config, profile=profile_hint, started_emulator=True)
        ctx = state.ctx = run_context(options, config, pre, early is None, seed, out)
        ctx.deadline = state.deadline
        announce(ctx, progress)
        beside = None
        # recqual started the emulator: the load pass may share the machine with the suite, except in a
        # soak, whose trend gate would read a busy first third against a quiet last one as drift
        if early is None and why_no_load(ctx, options) is None and not options.soak_s:
            beside = LoadBeside(ctx, options, state.load_summaries)
            beside.start()
        try:
            _suite_then_load(ctx, options, progress, state, beside)
        finally:
            if beside is not None:  # a stop signal, or an error: no load child may outlive the run
                beside.stop()
    state.phase = "report"
    progress.phase("report", str(out))
    summary = _summary(state, options)
    if baseline is not None and options.baseline is not None:
        apply_gate(summary, gate(baseline, summary), options.baseline)
    return report(summary, out, progress), out


def _suite_then_load(
    ctx: QualifyRun, options: QualifyOptions, progress: Progress, state: _Run, beside: LoadBeside | None
) -> None:
    """The conformance suite, then the load pass: run now, or (``beside``) waited for and reported."""
    state.phase = "conformance suite" + (" (the load pass beside it)" if beside is not None else "")
    progress.phase("conformance suite", f"seed {ctx.seed}{', quick' if options.quick else ''}")
    state.contract_exit, state.contract = run_contract(ctx, options, progress)
    refuse_unknown_selection(state.contract_exit, state.contract, ctx.out / "contract.log")
    state.load_skipped = None if beside is not None else why_no_load(ctx, options)
    if state.load_skipped:
        progress.phase("load pass", f"skipped: {state.load_skipped}")
        return
    state.phase = "load pass"
    soak = f" (soak: {options.soak_s} s in all, trend gate)" if options.soak_s else ""
    progress.phase("load pass", ", ".join(load_scenarios(ctx, options)) + soak)
    if beside is not None:
        beside.finish(progress)
    else:
        run_load(ctx, options, progress, state.load_summaries)


def _summary(state: _Run, options: QualifyOptions) -> dict[str, Any]:
    """The summary of what ran; the run's own problems (a deadline) are reasons of the verdict."""
    assert state.ctx is not None
    ctx = state.ctx
    run = {
        "started": state.started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - state.clock, 1),
        "seed": ctx.seed,
        "quick": options.quick,
        "soak_s": options.soak_s,
        "versions": versions(),
    }
    summary = build_summary(
        target={
            "url": ctx.target.url,
            "kind": ctx.target.kind,
            "profile": ctx.profile,
            "preflight": ctx.preflight.to_json(),
            **({"target_file": str(ctx.config.target_file)} if ctx.config.target_file else {}),
            **({"allow_reset": True} if options.allow_reset else {}),
        },
        run=run,
        contract=state.contract,
        contract_exit=state.contract_exit,
        load_summaries=state.load_summaries,
        load_skipped=state.load_skipped,
        min_coverage=options.min_coverage,
    )
    if ctx.problems:
        summary["reasons"] = ctx.problems + summary["reasons"]
        if summary["verdict"] != "not-qualified":
            summary["verdict"] = "not-qualified"
            summary["verdict_line"] = "NOT " + summary["verdict_line"].replace("PARTIAL", "QUALIFIED")
    return summary


def _aborted(signame: str, options: QualifyOptions, progress: Progress, state: _Run) -> tuple[int, Path]:
    """A stop signal: the children already stopped what they started (their ``finally`` blocks ran on
    the way here); what ran so far becomes a report marked aborted. One line says so; exit code 4."""
    what = f"interrupted by {signame} during the {state.phase}"
    if state.ctx is None or state.out is None:
        print(f"recqual: {what}: nothing was written", file=sys.stderr, flush=True)
        return EXIT_CODES["aborted"], state.out or Path(".")
    results = state.out / "contract-results.json"
    if not state.contract.get("checks") and results.is_file():  # the suite wrote what it ran as it stopped
        with contextlib.suppress(ValueError, OSError):
            state.contract = load_json(results)
    summary = _summary(state, options)
    cover = summary["coverage"]
    summary["verdict"] = "aborted"
    summary["aborted"] = {"signal": signame, "phase": state.phase}
    summary["reasons"] = [f"the run was {what}: no verdict", *summary["reasons"]]
    summary["verdict_line"] = (
        f"ABORTED: {what}; {cover['ran']}/{cover['checks']} checks had run, {cover['failed']} failed"
    )
    write_summary(summary, state.out / "summary.json")
    write_junit(state.out / "junit.xml", summary)
    write_html(summary, state.out / "summary.html")
    print(f"recqual: {what}: partial report in {state.out}", file=sys.stderr, flush=True)
    print(summary["verdict_line"], flush=True)
    return EXIT_CODES["aborted"], state.out


def run_context(
    options: QualifyOptions, config: TargetConfig, pre: Preflight, embedded: bool, seed: int, out: Path
) -> QualifyRun:
    """The run's facts in one object: what the preflight found decides the kind and default profile."""
    pre.write(out / "preflight.json")
    kind: TargetKind = "server"
    if pre.server == EMULATOR_SERVICE:
        kind = "embedded-emulator" if embedded else "emulator"
    target = Target(url=str(config.url), kind=kind)
    profile = options.profile or ("strict" if target.is_emulator else "documented")
    env = child_environment(config)
    env[ENV_PREFLIGHT] = str(out / "preflight.json")
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(out / ".hypothesis")  # nothing written outside --out
    return QualifyRun(config, target, profile, seed, out, env, pre)


def announce(ctx: QualifyRun, progress: Progress) -> None:
    """What the preflight found, before anything runs: a person sees the skips coming."""
    pre = ctx.preflight
    what = "recqual's emulator" if ctx.target.is_emulator else "a server"
    progress.note(f"{ctx.target.url} is {what}; profile {ctx.profile}; preflight {pre.elapsed_s:.1f} s")
    for warning in pre.warnings:
        progress.note(f"note: {warning}")
    for row in pre.capabilities:
        if not row.runs:
            progress.note(f"skipped: {row.family}: {row.why}")


def refuse_unknown_selection(code: int | None, contract: dict[str, Any], log: Path) -> None:
    """An ``--only`` pattern no check id matches is the user's typo: one line and exit 2, as for any
    other bad flag, rather than a NOT QUALIFIED run of zero checks."""
    if code != 4 or contract.get("checks"):
        return
    with contextlib.suppress(OSError):
        for line in log.read_text(encoding="utf-8").splitlines():
            if "no check id matches" in line:
                raise UsageError(line.removeprefix("ERROR: ").strip())


def why_no_load(ctx: QualifyRun, options: QualifyOptions) -> str | None:
    """Why the load pass does not run, or ``None`` when it does."""
    if ctx.profile == "read-only":
        return "the read-only profile sends only GET requests; the load pass starts recordings"
    if options.skip_load:
        return "skipped with --skip-load"
    if options.only:
        return "--only selects conformance checks"
    if ctx.left(math.inf) <= 0:
        return "the run's deadline passed during the conformance suite"
    usable = set(ctx.preflight.usable_lines)
    if not ctx.preflight.control_allowed and not any(ln.label in usable for ln in ctx.config.standing_lines):
        return 'no usable [[lines]] with call = "standing" in the target file, and no emulator'
    return None


def report(summary: dict[str, Any], out: Path, progress: Progress) -> int:
    """Write summary.json and the page; the verdict line goes last, on stdout. Returns the exit code."""
    write_summary(summary, out / "summary.json")
    write_junit(out / "junit.xml", summary)
    write_html(summary, out / "summary.html")
    progress.note(f"report: {out / 'summary.html'}")
    for reason in summary["reasons"]:
        progress.note(f"- {reason}")
    print(summary["verdict_line"], flush=True)  # the last line, on stdout: what a release manager reads
    return EXIT_CODES[summary["verdict"]]


def child_environment(config: TargetConfig) -> dict[str, str]:
    """The children's environment: credentials reach them here (or through the target file), never argv.

    A role given on the command line (``--user``) is passed on as the variables ``resolve`` reads.
    """
    env = dict(os.environ)
    l10 = config.role("l10")
    if l10 is not None and l10.source.startswith("environment"):
        env["RECQUAL_USER"] = l10.username
    if l10 is not None and l10.source == EMBEDDED_ADMIN_SOURCE:  # the emulator this run started
        env["RECQUAL_USER"], env["RECQUAL_PASSWORD"] = l10.username, l10.password
    return env

"""Run a scenario: launch ``locust`` as subprocesses, wait with a hard timeout, collect the results.

Locust runs in its own processes, never in the caller's: importing locust monkey-patches the whole process
with gevent. This module does not import locust, so pytest and the CLI can import it.

``run(...)`` starts one headless locust (or, with ``workers=N``, a master plus N local worker processes
bound to loopback, with ``--expect-workers N --expect-workers-max-wait``; or, with ``master=MasterPlan``,
a master alone that waits for workers started elsewhere, ``python -m load worker``: ``load.worker``),
writes everything into ``out_dir`` and returns a ``LoadResult``:

    out_dir/report.html           Locust's HTML report, with charts
    out_dir/stats_stats.csv ...   Locust's CSV (``--csv-full-history``: every row, every interval)
    out_dir/locust.json           Locust's own JSON stats (``--json-file``)
    out_dir/summary.json          recqual's summary (schema in load/README.md)
    out_dir/junit.xml             one testcase per SLO gate
    out_dir/capacity.svg          the capacity scenario's step plot
    out_dir/locust-master.log     the master's (or single process's) output; locust-worker-<n>.log

Before Locust starts, ``run`` settles the target once: ``recqual.target_config.resolve`` (a ``ConfigError``
is exit 2) and the preflight. If ``RECQUAL_PREFLIGHT`` names a preflight.json (``recqual qualify`` writes
one and sets it), that is read; otherwise this process runs ``recqual.preflight.run_preflight`` itself
(profile ``documented``; the emulator control plane is allowed only with ``allow_reset``) and writes
``out_dir/preflight.json``. The Locust processes get its path in ``RECQUAL_PREFLIGHT`` and never run one.

Credentials reach the processes only through the environment (``RECQUAL_USER``/``RECQUAL_PASSWORD`` ...) or
the target file, never on a command line (which ``ps`` would show).

Whatever the run starts it stops: on Ctrl-C or SIGTERM (``python -m load`` turns SIGTERM into
``KeyboardInterrupt``) and at the hard timeout the master gets SIGTERM and time to stop its users and sweep
(the workers through the stop handshake) before anything is killed; and the Locust processes get SIGTERM
if this process dies without that chance (Linux ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NotRequired, TypedDict, Unpack

from load import SCENARIOS
from load.redaction import Redactor, run_secrets
from load.slo import EXIT_RUN_ERROR
from recqual import errors
from recqual.preflight import Preflight, run_preflight
from recqual.target_config import TargetConfig, resolve

LOCUSTFILES = Path(__file__).resolve().parent / "locustfiles"
REPO_ROOT = Path(__file__).resolve().parents[1]
WORKER_WAIT_S = 30
"""``--expect-workers-max-wait``: a master missing workers gives up (exit 1), so CI never hangs."""
MARGIN_S = 90.0
"""Hard timeout = run time + this (start-up, clean-up, report writing); then the processes are killed."""
STOP_GRACE_S = 75.0
"""After SIGTERM the master may take this long to stop its users, sweep and write its reports (the stop
handshake with workers is bounded to 60 s); then everything left is killed."""
ENV_PREFLIGHT = "RECQUAL_PREFLIGHT"
"""A preflight.json of the target: given by ``recqual qualify``, else written here; read by Locust."""


class UsageError(errors.UsageError, ValueError):
    """A bad argument to ``run`` (the CLI maps it to exit code 2)."""


@dataclass
class LoadResult:
    exit_code: int
    run_dir: Path
    command: list[str]
    summary: dict | None = None
    timed_out: bool = False
    interrupted: bool = False
    duration_s: float = 0.0
    paths: dict[str, Path] = field(default_factory=dict)
    reason: str = ""  # why there is no summary, when the master's log says (e.g. workers missing)

    @property
    def passed(self) -> bool:
        return self.exit_code == 0

    @property
    def summary_path(self) -> Path:
        return self.run_dir / "summary.json"


_TIME_PART = re.compile(r"(\d+)\s*([hms])")


def parse_run_time(text: str) -> int:
    """Locust's time format (``30``, ``45s``, ``2m``, ``1h30m``) in seconds; ``UsageError`` otherwise."""
    text = str(text).strip().lower()
    if text.isdigit():
        return int(text)
    parts = _TIME_PART.findall(text)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != text.replace(" ", ""):
        raise UsageError(f"run time {text!r} is not like 30s, 2m or 1h30m")
    return sum(int(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def locustfile(scenario: str) -> Path:
    if scenario not in SCENARIOS:
        raise UsageError(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")
    return LOCUSTFILES / SCENARIOS[scenario]


@dataclass(frozen=True)
class MasterPlan:
    """A master alone, for workers on other machines (``python -m load worker --master-host ...``).

    It binds ``bind_host:bind_port`` (Locust's default: every interface, port 5557) and waits at most
    ``max_wait_s`` for ``expect_workers`` workers; short of them the run ends with exit 3, never hangs.
    The workers bring their own credentials: the master sends them its options, never a secret."""

    expect_workers: int
    bind_host: str = "*"
    bind_port: int = 5557
    max_wait_s: float = 60.0


class Plan(TypedDict):
    """What Locust runs and where it reports: the options ``run`` and ``build_commands`` share, declared
    once (``run`` passes them on as they came)."""

    users: int
    spawn_rate: float
    run_time: str
    out_dir: Path
    slo_file: NotRequired[Path | None]  # default: none (load/slo.toml alone)
    rate: NotRequired[float | None]  # default: none (closed model)
    workers: NotRequired[int]  # default: 0 (a single process)
    master: NotRequired[MasterPlan | None]  # default: none (no workers from elsewhere)
    extra: NotRequired[Sequence[str]]  # default: nothing (passed to locust unchanged)


def build_commands(
    scenario: str,
    *,
    target: str,
    target_file: Path | None = None,
    tls_verify: bool | str = True,
    master_port: int | None = None,
    **plan: Unpack[Plan],
) -> tuple[list[str], list[list[str]]]:
    """(master or single command, worker commands). Pure: no process is started.

    Every path is made absolute here: Locust runs as a child process, and a relative ``--out-dir`` or
    ``--target-file`` must mean the same file to it as to the person who typed it.
    """
    out_dir = Path(plan["out_dir"]).absolute()
    slo_file, rate, workers = plan.get("slo_file"), plan.get("rate"), plan.get("workers", 0)
    users, spawn_rate, run_time = plan["users"], plan["spawn_rate"], plan["run_time"]
    master = plan.get("master")
    _check_arguments(
        target=target, users=users, spawn_rate=spawn_rate, run_time=run_time, rate=rate, workers=workers
    )
    if master is not None:
        _check_master(master, workers)
    file = str(locustfile(scenario))
    load = ["--headless", "-H", target, "-u", str(users), "-r", str(spawn_rate), "-t", run_time]
    main = [*_locust(file), *load, *_report_options(out_dir)]
    if slo_file is not None:
        main += ["--recqual-slo-file", str(Path(slo_file).absolute())]
    if rate is not None:
        main += ["--recqual-rate", str(rate)]
    if target_file is not None:
        main += ["--recqual-target-file", str(Path(target_file).absolute())]
    own_target = []  # a worker reads its own target options (load.locustlib.hooks: never the master's)
    if target_file is not None:
        own_target += ["--recqual-target-file", str(Path(target_file).absolute())]
    if tls_verify is not True:
        own_target += ["--recqual-tls-verify", "false" if tls_verify is False else str(tls_verify)]
    main += own_target
    worker_cmds: list[list[str]] = []
    if master is not None:
        main += ["--master", "--master-bind-host", master.bind_host]
        main += ["--master-bind-port", str(master.bind_port)]
        main += ["--expect-workers", str(master.expect_workers)]
        main += ["--expect-workers-max-wait", f"{master.max_wait_s:g}"]
    elif workers:
        port = master_port or free_port()
        main += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port)]
        main += ["--expect-workers", str(workers), "--expect-workers-max-wait", str(WORKER_WAIT_S)]
        worker = [*_locust(file), "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
        worker_cmds = [[*worker, *own_target] for _ in range(workers)]
    main += list(plan.get("extra", ()))
    return main, worker_cmds


def _check_arguments(
    *, target: str, users: int, spawn_rate: float, run_time: str, rate: float | None, workers: int
) -> None:
    """``UsageError`` for an argument Locust would reject late, or take for something else."""
    if users < 1:
        raise UsageError("users must be >= 1")
    if spawn_rate <= 0:
        raise UsageError("spawn rate must be > 0")
    if workers < 0:
        raise UsageError("workers must be >= 0")
    if rate is not None and rate <= 0:
        raise UsageError("rate must be > 0 requests/s")
    if not re.match(r"^https?://[^/\s]+", target):
        raise UsageError(f"target must be http(s)://host[:port], got {target!r}")
    if "@" in target.split("/")[2]:
        raise UsageError("put credentials in RECQUAL_USER/RECQUAL_PASSWORD or a target file, not in the URL")
    parse_run_time(run_time)


def _check_master(master: MasterPlan, workers: int) -> None:
    """``UsageError`` for a master plan Locust would reject, or one mixed with local workers."""
    if workers:
        raise UsageError("a master for workers elsewhere starts no local workers: drop --workers")
    if master.expect_workers < 1:
        raise UsageError("--expect-workers must be >= 1")
    if not 0 < master.bind_port < 65536:
        raise UsageError(f"--master-bind-port {master.bind_port} is not a TCP port")
    if master.max_wait_s <= 0:
        raise UsageError("--expect-workers-max-wait must be > 0 s (a missing worker must not hang the run)")


def _locust(file: str) -> list[str]:
    """This interpreter's Locust on one locustfile: the same environment as the caller's."""
    return [sys.executable, "-m", "locust", "-f", file]


def _report_options(out_dir: Path) -> list[str]:
    """Locust's HTML, CSV and JSON reports, and recqual's summary and JUnit, all in ``out_dir``."""
    return [
        *("--html", str(out_dir / "report.html"), "--csv", str(out_dir / "stats"), "--csv-full-history"),
        *("--json-file", str(out_dir / "locust"), "--only-summary", "--recqual-out-dir", str(out_dir)),
    ]


def _env(preflight: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env[ENV_PREFLIGHT] = str(preflight)
    env.pop("RECQUAL_TLS_VERIFY", None)  # the resolved value travels as --recqual-tls-verify, or is true
    return env


def die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the runner dies (so Locust sweeps instead of running on)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def target_config(
    target: str | TargetConfig, *, target_file: Path | None = None, tls_verify: str | None = None
) -> TargetConfig:
    """The target, resolved once (``ConfigError``, exit 2, when it is unusable)."""
    if isinstance(target, TargetConfig):
        if target_file is not None or tls_verify is not None:
            raise UsageError("give target_file and tls_verify to resolve(), not beside a TargetConfig")
        config = target
    else:
        config = resolve(target=target, target_file=target_file, tls_verify=tls_verify)
    if config.url is None:
        raise UsageError("no target: pass --target URL (or [target] url in the target file)")
    return config


def preflight_for(config: TargetConfig, out_dir: Path, *, allow_reset: bool = False) -> Path:
    """The preflight.json the Locust processes read: ``RECQUAL_PREFLIGHT``'s if set, else a fresh one.

    A fresh one is run here (profile ``documented``: the control plane only with ``allow_reset``) and
    written to ``out_dir/preflight.json``; ``PreflightError`` (exit 2) when the target cannot be used.
    """
    given = os.environ.get(ENV_PREFLIGHT)
    if given:
        path = Path(given).absolute()
        try:
            pre = Preflight.read(path)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise UsageError(f"{ENV_PREFLIGHT}={given} is not a usable preflight.json ({exc})") from None
        if pre.url.rstrip("/") != str(config.url).rstrip("/"):
            raise UsageError(f"{ENV_PREFLIGHT}={given} is the preflight of {pre.url}, not of {config.url}")
        return path
    pre = run_preflight(config, profile="documented", allow_reset=allow_reset)
    path = out_dir / "preflight.json"
    pre.write(path)
    return path


def _stop(proc: subprocess.Popen, grace: float) -> None:
    """SIGTERM (Locust then writes its reports), then SIGKILL the process group after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def run(
    scenario: str,
    *,
    target: str | TargetConfig,
    target_file: Path | None = None,
    tls_verify: str | None = None,
    allow_reset: bool = False,
    timeout_s: float | None = None,
    **plan: Unpack[Plan],
) -> LoadResult:
    """Run ``scenario`` against ``target`` and return its result (see the module docstring).

    ``target`` is a URL (resolved here with ``target_file``, ``tls_verify`` and the environment) or an
    already resolved ``TargetConfig``; ``plan``: users, spawn rate, run time, out dir and the rest of
    ``Plan``. ``allow_reset``: this run may use the emulator control plane if
    the preflight proves one (ignored when ``RECQUAL_PREFLIGHT`` names a preflight).

    Raises ``recqual.errors.RecqualError`` (exit 2: bad configuration, preflight refused) before any
    Locust process starts. ``exit_code``: 0 every SLO gate passed; 1 a gate failed; 3 the run broke
    (set-up failed, timed out, interrupted, workers missing, or no summary was written).
    """
    out_dir = Path(plan["out_dir"]).absolute()
    config = target_config(target, target_file=target_file, tls_verify=tls_verify)
    main_cmd, worker_cmds = build_commands(
        scenario,
        target=str(config.url),
        target_file=config.target_file,
        tls_verify=config.tls_verify,
        **plan,
    )
    preflight = _prepare_run_dir(config, out_dir, allow_reset=allow_reset)
    if timeout_s is None:
        master = plan.get("master")
        wait = master.max_wait_s if master is not None else (WORKER_WAIT_S if worker_cmds else 0)
        timeout_s = parse_run_time(plan["run_time"]) + MARGIN_S + wait
    started = time.monotonic()
    ended = _run_processes(main_cmd, worker_cmds, out_dir, _env(preflight), timeout_s)
    sweep_run_dir(out_dir, Redactor(run_secrets(config)))
    summary = _read_summary(out_dir / "summary.json")
    broke = summary is None or summary.get("exit_code") == EXIT_RUN_ERROR  # e.g. workers missing
    return LoadResult(
        exit_code=EXIT_RUN_ERROR if broke else ended.exit_code,  # no summary: no verdict
        run_dir=out_dir,
        command=main_cmd,
        summary=summary,
        timed_out=ended.timed_out,
        interrupted=ended.interrupted,
        duration_s=round(time.monotonic() - started, 2),
        paths=_report_paths(out_dir, preflight),
        reason="" if summary else _why_no_summary(out_dir / "locust-master.log", plan.get("master")),
    )


WORKERS_MISSING = "Gave up waiting for workers to connect"
"""Locust's log line when ``--expect-workers`` did not join within ``--expect-workers-max-wait``."""


def _why_no_summary(log: Path, master: MasterPlan | None) -> str:
    """One line for a run that wrote no summary, when the master's log tells why."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    if WORKERS_MISSING not in text:
        return ""
    if master is None:
        return "the local workers did not all join the master: see the worker logs"
    counts = re.findall(r"ready, (\d+) of \d+ connected|(\d+) workers connected", text)
    joined = next(iter(a or b for a, b in reversed(counts)), "0")  # Locust's last word on it
    return (
        f"{joined} of {master.expect_workers} workers joined within "
        f"{master.max_wait_s:g} s (--expect-workers-max-wait); start each with: python -m load worker "
        f"--master-host <this host> --master-port {master.bind_port}"
    )


WRITTEN = (
    "report.html",
    "stats_*.csv",
    "locust.json",
    "summary.json",
    "junit.xml",
    "capacity.svg",
    "locust-master.log",
    "locust-worker-*.log",
    "preflight.json",
)
"""The files of a run folder the load pass writes (``recqual qualify`` may keep files of its own there)."""


def sweep_run_dir(out_dir: Path, redact: Redactor) -> list[str]:
    """Redact every file the run wrote, after its last process ended: the last line of defence behind the
    redaction where server text enters Locust (``load.redaction``). Returns the files that had to change."""
    changed = []
    for pattern in WRITTEN:
        for path in sorted(out_dir.glob(pattern)):
            if path.is_file() and redact.file(path):
                changed.append(path.name)
    return changed


def _prepare_run_dir(config: TargetConfig, out_dir: Path, *, allow_reset: bool) -> Path:
    """The run directory, rid of an earlier run's verdict (a summary found after the run must be this
    run's: none means the run broke), and the preflight the Locust processes read."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("summary.json", "junit.xml"):
        (out_dir / stale).unlink(missing_ok=True)
    return preflight_for(config, out_dir, allow_reset=allow_reset)


@dataclass(frozen=True)
class _Ended:
    """How the master process ended: its exit code, or stopped (timeout, interruption: exit 3, the run
    broke, whatever it wrote)."""

    exit_code: int
    timed_out: bool = False
    interrupted: bool = False


def _run_processes(
    main_cmd: list[str], worker_cmds: list[list[str]], out_dir: Path, env: dict[str, str], limit: float
) -> _Ended:
    """Start the master and its workers (each logging to its own file), wait for the master at most
    ``limit`` seconds, then give the workers a moment; whatever happens, stop them all, close the logs."""
    logs: list[IO[bytes]] = []
    procs: list[subprocess.Popen] = []
    try:
        master = _spawn(main_cmd, out_dir / "locust-master.log", env, logs)
        procs.append(master)
        for i, cmd in enumerate(worker_cmds):
            procs.append(_spawn(cmd, out_dir / f"locust-worker-{i}.log", env, logs))
        ended = _wait_for_master(master, limit)
        for worker in procs[1:]:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _stop(worker, grace=5)
    finally:
        for proc in procs:
            _stop(proc, grace=5)
        for handle in logs:
            handle.close()
    return ended


def _spawn(cmd: list[str], log_path: Path, env: dict[str, str], logs: list[IO[bytes]]) -> subprocess.Popen:
    """One Locust process in its own session (so it can be signalled as a group), output to ``log_path``;
    the log joins ``logs`` before the process starts, so the caller closes it whatever happens."""
    handle = open(log_path, "wb")  # noqa: SIM115  (closed by the caller, in its finally)
    logs.append(handle)
    return subprocess.Popen(
        cmd,
        stdout=handle,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
        preexec_fn=die_with_parent,
    )


def _wait_for_master(master: subprocess.Popen, limit: float) -> _Ended:
    try:
        return _Ended(master.wait(timeout=limit))
    except subprocess.TimeoutExpired:
        _stop(master, grace=STOP_GRACE_S)
        return _Ended(EXIT_RUN_ERROR, timed_out=True)
    except KeyboardInterrupt:  # Ctrl-C (or SIGTERM, through python -m load): stop, sweep, report
        _stop(master, grace=STOP_GRACE_S)
        return _Ended(EXIT_RUN_ERROR, interrupted=True)


def _read_summary(path: Path) -> dict | None:
    """The master's summary.json, or ``None`` when it wrote none (or an unreadable one)."""
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


def _report_paths(out_dir: Path, preflight: Path) -> dict[str, Path]:
    return {
        "html": out_dir / "report.html",
        "csv_stats": out_dir / "stats_stats.csv",
        "csv_history": out_dir / "stats_stats_history.csv",
        "json": out_dir / "locust.json",
        "summary": out_dir / "summary.json",
        "junit": out_dir / "junit.xml",
        "log": out_dir / "locust-master.log",
        "preflight": preflight,
    }

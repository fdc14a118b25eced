"""``python -m load worker --master-host HOST``: a Locust worker for a master on another machine.

The master (``python -m load SCENARIO --master --expect-workers N``) holds the run: the scenario, the
users, the shape, the preflight's verdict (control plane or not, the usable lines), the merged stats, the
summary and the SLO verdict. A worker brings only what must not travel: its **credentials**, read here
from its own environment (``RECQUAL_USER``/``RECQUAL_PASSWORD``) or its own target file
(``--target-file``/``RECQUAL_TARGET_FILE``, ``password_env``). The master's spawn message carries its
options to every worker, and never a secret: Locust forwards every custom option, so a worker keeps the
target options it was started with (``load.locustlib.hooks``) rather than adopting the master's.

Steps, each bounded:

1. resolve the worker's own target options (``recqual.target_config``; a mistake is one line, exit 2);
2. ask the master which locustfile it runs (``load.locustlib.scenario_from_master``, at most
   ``--connect-timeout`` seconds) and pick this worker's own copy of it; a master running another
   version of that file is refused (exit 2): the two sides would not agree on the scenario's model;
3. run ``locust --worker`` on it until the master ends the run: it tries to join for ``--connect-timeout``
   seconds too (then exits), and Locust's heartbeat ends a worker whose master is gone within 60 s;
   Ctrl-C or SIGTERM stops it, its users and its clean-up first.

The exit code is Locust's (0 when the master ended the run, whatever its verdict: the verdict is the
master's); 2 for a configuration the worker cannot use; 3 when no master answered in time.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from load import SCENARIOS
from load.runner import die_with_parent
from load.slo import EXIT_RUN_ERROR
from recqual.errors import RecqualError
from recqual.target_config import TargetConfig, resolve

LOCUSTFILES = Path(__file__).resolve().parent / "locustfiles"
REPO_ROOT = Path(__file__).resolve().parents[1]
CONNECT_TIMEOUT_S = 120.0
"""Default wait for the master to name its scenario (a worker may start before its master)."""
STOP_GRACE_S = 75.0
"""After SIGTERM the worker may take this long to stop its users and sweep; then it is killed."""
_PLACEHOLDER_URL = "http://master.invalid"
"""The target URL is the master's (its spawn message): a worker's own file is resolved against this one
only to check its credentials and TLS options before anything starts."""


class WorkerError(RecqualError):
    """The worker cannot take part (its configuration, or the master's scenario): one line, exit 2."""


@dataclass(frozen=True)
class WorkerPlan:
    master_host: str
    master_port: int = 5557
    target_file: Path | None = None
    tls_verify: str | None = None
    connect_timeout_s: float = CONNECT_TIMEOUT_S


def own_target(plan: WorkerPlan) -> TargetConfig:
    """This worker's target options and credentials, from its own environment and file (``ConfigError``)."""
    return resolve(target=_PLACEHOLDER_URL, target_file=plan.target_file, tls_verify=plan.tls_verify)


def master_scenario(plan: WorkerPlan, env: dict[str, str]) -> Path:
    """This worker's copy of the locustfile the master runs (``WorkerError`` when there is none like it;
    ``TimeoutError`` when no master answered within ``connect_timeout_s``)."""
    command = [
        sys.executable,
        "-m",
        "load.locustlib.scenario_from_master",
        plan.master_host,
        str(plan.master_port),
    ]
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=plan.connect_timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(
            f"no Locust master answered at {plan.master_host}:{plan.master_port} within "
            f"{plan.connect_timeout_s:g} s"
        ) from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        said = (done.stderr.strip().splitlines() or ["no answer"])[-1]
        raise TimeoutError(f"the master at {plan.master_host}:{plan.master_port} named no scenario: {said}")
    sources = json.loads(lines[-1])
    if len(sources) != 1:
        raise WorkerError(f"the master runs {len(sources)} locustfiles; a recqual scenario is one")
    name, digest = str(sources[0]["filename"]), str(sources[0]["sha256"])
    if name not in SCENARIOS.values():
        known = ", ".join(SCENARIOS.values())
        raise WorkerError(f"the master runs {name!r}, not a recqual scenario ({known})")
    local = LOCUSTFILES / name
    if hashlib.sha256(local.read_text(encoding="utf-8").encode()).hexdigest() != digest:
        raise WorkerError(
            f"the master runs another version of {name} than this worker ({local}): run the same recqual "
            "on every machine"
        )
    return local


def worker_command(plan: WorkerPlan, config: TargetConfig, locustfile: Path) -> list[str]:
    """``locust --worker`` on this worker's copy of the scenario, with its own target options (no secret:
    the password stays in the environment or behind the file's ``password_env``)."""
    command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--worker"]
    command += ["--master-host", plan.master_host, "--master-port", str(plan.master_port)]
    if config.target_file is not None:
        command += ["--recqual-target-file", str(config.target_file)]
    if config.tls_verify is not True:
        verify = "false" if config.tls_verify is False else str(config.tls_verify)
        command += ["--recqual-tls-verify", verify]
    return command


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.pop("RECQUAL_TLS_VERIFY", None)  # resolved above: it travels as --recqual-tls-verify, or is true
    return env


def run_worker(plan: WorkerPlan) -> int:
    """Run one worker until its master ends the run (see the module docstring); returns the exit code."""
    try:
        config = own_target(plan)
    except RecqualError as exc:
        raise WorkerError(str(exc)) from None
    env = child_env()
    env["RECQUAL_WORKER_CONNECT_TIMEOUT"] = f"{plan.connect_timeout_s:g}"  # bounds the join: locustlib.hooks
    try:
        locustfile = master_scenario(plan, env)
    except TimeoutError as exc:
        print(f"python -m load worker: {exc}", file=sys.stderr)
        return EXIT_RUN_ERROR
    where = f"{plan.master_host}:{plan.master_port}"
    print(f"recqual worker: the master at {where} runs {locustfile.name}", flush=True)
    proc = subprocess.Popen(worker_command(plan, config, locustfile), env=env, preexec_fn=die_with_parent)
    try:
        return proc.wait()
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (python -m load turns it into KeyboardInterrupt)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        return EXIT_RUN_ERROR

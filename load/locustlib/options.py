"""The ``--recqual-*`` command-line knobs, each with a ``RECQUAL_*`` environment variable equivalent.

Declared through ``events.init_command_line_parser`` so that ``locust --help`` lists them, the master
forwards them to its workers (Locust sends every non-default option in the spawn message), and the run
needs no hand-edited constants. Read them through ``Knobs.from_options`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from locust import events


@dataclass(frozen=True)
class Option:
    """One knob: its flag, its environment variable, its type and default, and its help text."""

    flag: str
    env: str
    default: str | int | float
    help: str

    @property
    def parse_as(self) -> type | None:
        """The argparse type: the default's (a text knob takes its text as it is)."""
        return None if isinstance(self.default, str) else type(self.default)


OPTIONS: tuple[Option, ...] = (
    Option(
        "--recqual-out-dir",
        "RECQUAL_OUT_DIR",
        "",
        "Run directory for summary.json and junit.xml (default reports/load/<scenario>-<UTC time>)",
    ),
    Option(
        "--recqual-target-file",
        "RECQUAL_TARGET_FILE",
        "",
        "Target TOML: credentials and lines (read by recqual.target_config)",
    ),
    Option(
        "--recqual-tls-verify",
        "RECQUAL_TLS_VERIFY",
        "",
        "true, false or a CA bundle path (default: the target file's, else true)",
    ),
    Option(
        "--recqual-preflight",
        "RECQUAL_PREFLIGHT",
        "",
        "preflight.json of this target (python -m load writes one); the control plane is used only "
        "when it allows it",
    ),
    Option("--recqual-slo-file", "RECQUAL_SLO_FILE", "", "SLO TOML merged over load/slo.toml"),
    Option(
        "--recqual-rate",
        "RECQUAL_RATE",
        0.0,
        "Open model: total requests/s on a fixed schedule spread over all users (0 = closed model)",
    ),
    Option(
        "--recqual-lines-per-user",
        "RECQUAL_LINES_PER_USER",
        2,
        "Lines each user owns (call-control, capacity)",
    ),
    Option(
        "--recqual-think-min",
        "RECQUAL_THINK_MIN",
        -1.0,
        "Minimum think time between steps, seconds (closed model; default 0.2, on a lab 0.05)",
    ),
    Option(
        "--recqual-think-max",
        "RECQUAL_THINK_MAX",
        -1.0,
        "Maximum think time between steps, seconds (closed model; default 1.0, on a lab 0.25)",
    ),
    Option(
        "--recqual-max-user-rps",
        "RECQUAL_MAX_USER_RPS",
        50.0,
        "Cap on each user's request rate, requests/s (0 = no cap)",
    ),
    Option(
        "--recqual-race-size",
        "RECQUAL_RACE_SIZE",
        3,
        "races: K users firing the same operation on one line at once",
    ),
    Option(
        "--recqual-channels",
        "RECQUAL_CHANNELS",
        -1,
        "Emulator recording channels to set (-1 = scenario default: high, or 8 for capacity)",
    ),
    Option("--recqual-start-rate", "RECQUAL_START_RATE", 20.0, "capacity: requests/s of the first step"),
    Option(
        "--recqual-rate-factor",
        "RECQUAL_RATE_FACTOR",
        1.5,
        "capacity: after a step that held, the next offers this many times its rate",
    ),
    Option(
        "--recqual-refine-steps",
        "RECQUAL_REFINE_STEPS",
        2,
        "capacity: bisections between the highest rate held and the lowest broken",
    ),
    Option("--recqual-max-rate", "RECQUAL_MAX_RATE", 0.0, "capacity: never offer more req/s (0: no ceiling)"),
    Option(
        "--recqual-capacity-mix",
        "RECQUAL_CAPACITY_MIX",
        "call-control",
        "capacity: call-control (the scenario's rounds) or start-stop (start, then stop by id: nothing else)",
    ),
    Option(
        "--recqual-step-seconds",
        "RECQUAL_STEP_SECONDS",
        5.0,
        "capacity: seconds per step (>= 8 in distributed runs: workers report every 3 s)",
    ),
    Option(
        "--recqual-seed-recordings",
        "RECQUAL_SEED_RECORDINGS",
        30,
        "reads: completed recordings to upload first when the target is the emulator",
    ),
    Option(
        "--recqual-run-id",
        "RECQUAL_RUN_ID",
        "",
        "Run nonce used in generated line and user names (default: random, chosen by the master)",
    ),
)
"""Every ``--recqual-*`` knob, in ``locust --help`` order."""


@events.init_command_line_parser.add_listener
def _add_options(parser) -> None:
    group = parser.add_argument_group("recqual", "recqual scenario knobs (env var equivalents in brackets)")
    for option in OPTIONS:
        kwargs: dict[str, Any] = {"default": option.default, "help": f"{option.help} [{option.env}]"}
        if option.parse_as is not None:
            kwargs["type"] = option.parse_as
        group.add_argument(option.flag, env_var=option.env, **kwargs)


@dataclass(frozen=True)
class Knobs:
    out_dir: str
    target_file: str
    tls_verify: str
    preflight: str
    slo_file: str
    rate: float
    lines_per_user: int
    think_min: float  # negative: the default (``think_range``)
    think_max: float
    max_user_rps: float
    race_size: int
    channels: int
    start_rate: float
    rate_factor: float
    refine_steps: int
    max_rate: float
    capacity_mix: str
    step_seconds: float
    seed_recordings: int
    run_id: str

    @classmethod
    def from_options(cls, options) -> Knobs:
        def get(name, default):
            value = getattr(options, "recqual_" + name, default) if options is not None else default
            return default if value is None else value

        return cls(
            out_dir=str(get("out_dir", "")),
            target_file=str(get("target_file", "")),
            tls_verify=str(get("tls_verify", "")),
            preflight=str(get("preflight", "")),
            slo_file=str(get("slo_file", "")),
            rate=float(get("rate", 0.0)),
            lines_per_user=max(1, int(get("lines_per_user", 2))),
            think_min=float(get("think_min", -1.0)),
            think_max=float(get("think_max", -1.0)),
            max_user_rps=max(0.0, float(get("max_user_rps", 50.0))),
            race_size=max(2, int(get("race_size", 3))),
            channels=int(get("channels", -1)),
            start_rate=max(0.1, float(get("start_rate", 20.0))),
            rate_factor=max(1.05, float(get("rate_factor", 1.5))),
            refine_steps=max(0, int(get("refine_steps", 2))),
            max_rate=max(0.0, float(get("max_rate", 0.0))),
            capacity_mix=str(get("capacity_mix", "call-control")),
            step_seconds=max(1.0, float(get("step_seconds", 5.0))),
            seed_recordings=max(0, int(get("seed_recordings", 30))),
            run_id=str(get("run_id", "")),
        )

    def think_range(self, *, lab: bool) -> tuple[float, float]:
        """(min, max) think time. Defaults: 0.2-1.0 s; on a lab 0.05-0.25 s, where a few declared lines
        carry the whole load (one user per line), so each line is kept busy rather than idle."""
        low_default, high_default = (0.05, 0.25) if lab else (0.2, 1.0)
        low = self.think_min if self.think_min >= 0 else low_default
        high = self.think_max if self.think_max >= 0 else max(low, high_default)
        return low, max(low, high)

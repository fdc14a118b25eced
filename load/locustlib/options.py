"""The ``--recqual-*`` command-line knobs, each with a ``RECQUAL_*`` environment variable equivalent.

Declared through ``events.init_command_line_parser`` so that ``locust --help`` lists them, the master
forwards them to its workers (Locust sends every non-default option in the spawn message), and the run
needs no hand-edited constants. Read them through ``Knobs.from_options`` only.
"""

from __future__ import annotations

from dataclasses import dataclass

from locust import events


@events.init_command_line_parser.add_listener
def _add_options(parser) -> None:
    group = parser.add_argument_group("recqual", "recqual scenario knobs (env var equivalents in brackets)")

    def opt(name: str, env: str, **kwargs) -> None:
        kwargs["help"] = f"{kwargs.get('help', '')} [{env}]"
        group.add_argument(name, env_var=env, **kwargs)

    opt(
        "--recqual-out-dir",
        "RECQUAL_OUT_DIR",
        default="",
        help="Run directory for summary.json and junit.xml (default reports/load/<scenario>-<UTC time>)",
    )
    opt(
        "--recqual-target-file",
        "RECQUAL_TARGET_FILE",
        default="",
        help="Target TOML: credentials and lines (read by recqual.target_config)",
    )
    opt(
        "--recqual-tls-verify",
        "RECQUAL_TLS_VERIFY",
        default="",
        help="true, false or a CA bundle path (default: the target file's, else true)",
    )
    opt(
        "--recqual-preflight",
        "RECQUAL_PREFLIGHT",
        default="",
        help="preflight.json of this target (python -m load writes one); the control plane is used only "
        "when it allows it",
    )
    opt("--recqual-slo-file", "RECQUAL_SLO_FILE", default="", help="SLO TOML merged over load/slo.toml")
    opt(
        "--recqual-rate",
        "RECQUAL_RATE",
        type=float,
        default=0.0,
        help="Open model: total requests/s on a fixed schedule spread over all users (0 = closed model)",
    )
    opt(
        "--recqual-lines-per-user",
        "RECQUAL_LINES_PER_USER",
        type=int,
        default=2,
        help="Lines each user owns (call-control, capacity)",
    )
    opt(
        "--recqual-think-min",
        "RECQUAL_THINK_MIN",
        type=float,
        default=-1.0,
        help="Minimum think time between steps, seconds (closed model; default 0.2, on a lab 0.05)",
    )
    opt(
        "--recqual-think-max",
        "RECQUAL_THINK_MAX",
        type=float,
        default=-1.0,
        help="Maximum think time between steps, seconds (closed model; default 1.0, on a lab 0.25)",
    )
    opt(
        "--recqual-max-user-rps",
        "RECQUAL_MAX_USER_RPS",
        type=float,
        default=50.0,
        help="Cap on each user's request rate, requests/s (0 = no cap)",
    )
    opt(
        "--recqual-race-size",
        "RECQUAL_RACE_SIZE",
        type=int,
        default=3,
        help="races: K users firing the same operation on one line at once",
    )
    opt(
        "--recqual-channels",
        "RECQUAL_CHANNELS",
        type=int,
        default=-1,
        help="Emulator recording channels to set (-1 = scenario default: high, or 8 for capacity)",
    )
    opt(
        "--recqual-step-users",
        "RECQUAL_STEP_USERS",
        type=int,
        default=2,
        help="capacity: users added per step",
    )
    opt(
        "--recqual-step-seconds",
        "RECQUAL_STEP_SECONDS",
        type=float,
        default=5.0,
        help="capacity: seconds per step (>= 6 in distributed runs: workers report every 3 s)",
    )
    opt(
        "--recqual-seed-recordings",
        "RECQUAL_SEED_RECORDINGS",
        type=int,
        default=30,
        help="reads: completed recordings to upload first when the target is the emulator",
    )
    opt(
        "--recqual-run-id",
        "RECQUAL_RUN_ID",
        default="",
        help="Run nonce used in generated line and user names (default: random, chosen by the master)",
    )


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
    step_users: int
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
            step_users=max(1, int(get("step_users", 2))),
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

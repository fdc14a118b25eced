"""The ``recqual`` option group of the conformance suite: one row per option.

A table rather than a chain of ``addoption`` calls, so the flags ``recqual qualify`` forwards and the
help text users read stay in one place (``--help`` of ``recqual contract`` prints them).
"""

from __future__ import annotations

from typing import Any

import pytest

from contract.provenance import PROFILES

DEFAULT_TIMEOUT = 10.0
DEFAULT_REAL_MAX_RPS = 10.0

_OPTIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "--target",
        {
            "help": "Base URL of the server to qualify (scheme://host[:port]); env RECQUAL_TARGET. "
            "Without one, the emulator is started on a free loopback port for the session."
        },
    ),
    (
        "--target-file",
        {
            "help": "TOML file with [target] url/tls_verify/max_rps/retention_days, [credentials.<role>] per "
            "role (l10, l2, l1, l0) and [[lines]] (call = standing|none); env RECQUAL_TARGET_FILE."
        },
    ),
    (
        "--profile",
        {
            "choices": PROFILES,
            "help": "strict: assumed (A-n) checks fail the run (default on an emulator). documented: assumed "
            "checks that fail are reported as DEVIATION, the run stays green (default on any other target). "
            "read-only: like documented, and only GET requests are sent (writes are refused in the HTTP "
            "client before they leave); for production servers.",
        },
    ),
    (
        "--preflight",
        {
            "metavar": "PATH",
            "help": "preflight.json written by `recqual qualify` (env RECQUAL_PREFLIGHT); without one the "
            "suite runs the preflight itself.",
        },
    ),
    (
        "--allow-reset",
        {
            "action": "store_true",
            "default": False,
            "help": "use the control plane of a recqual emulator this run did not start (tests, CI); never "
            "needed for the embedded emulator, never used on other servers.",
        },
    ),
    (
        "--quick",
        {
            "action": "store_true",
            "default": False,
            "help": "Keep every check family but generate fewer examples (CI smoke runs).",
        },
    ),
    (
        "--tls-verify",
        {"help": "true (default), false, or the path of a CA bundle to verify the server with."},
    ),
    (
        "--request-timeout",
        {
            "dest": "recqual_timeout",
            "type": float,
            "default": DEFAULT_TIMEOUT,
            "help": f"Per-request timeout in seconds (default {DEFAULT_TIMEOUT:g}); a stalled server fails "
            "the check instead of hanging the run. (pytest-timeout's --timeout bounds a whole test.)",
        },
    ),
    (
        "--max-rps",
        {
            "type": float,
            "help": "Upper bound on requests per second for the whole run (default: unbounded on an "
            f"emulator, {DEFAULT_REAL_MAX_RPS:g} on any other target; 0 = unbounded).",
        },
    ),
    (
        "--only",
        {
            "action": "append",
            "default": [],
            "metavar": "PATTERN",
            "help": "run only the checks whose id matches: a family (filters), family/operation "
            "(auth/getRecording), a check id, or a glob of those; repeatable, or comma-separated.",
        },
    ),
    (
        "--exclude",
        {
            "action": "append",
            "default": [],
            "metavar": "PATTERN",
            "help": "leave out the checks whose id matches (same patterns as --only); repeatable.",
        },
    ),
    (
        "--max-failures",
        {
            "type": int,
            "metavar": "N",
            "help": "stop after N failed checks (deviations do not count); the verdict says the run stopped.",
        },
    ),
    (
        "--recqual-results",
        {"metavar": "PATH", "help": "Write a machine-readable JSON summary of every check to PATH."},
    ),
)
"""The ``recqual`` option group: one row per option (``default=None`` unless the row says)."""


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("recqual", "recqual: qualify an Imagicle Call Recording server")
    for name, spec in _OPTIONS:
        group.addoption(name, **{"default": None, **spec})

"""Schemathesis sends meaningful RHS-Colon filters once the formats are registered.

Invariants under test (reference §4; schemathesis 4.32 `schemathesis.openapi.format`):
* `register_formats()` may be called again and registers both format names;
* positive generation for listRecordings (from `specs/recordings.yaml`) puts only valid filters in
  `startTime`, `endTime` and `remoteParty`, and does put them there;
* importing `strategies` loads neither schemathesis, locust nor the emulator.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi import unregister_string_format
from schemathesis.specs.openapi.formats import STRING_FORMATS

from specs import RECORDINGS
from strategies import DATETIME_FORMAT, STRING_FORMAT, parse, register_formats

KINDS = {"startTime": "datetime", "endTime": "datetime", "remoteParty": "string"}


def test_registration_is_idempotent():
    """Registering again is harmless (same strategies), and restores a name removed since."""
    register_formats()
    register_formats()
    assert {DATETIME_FORMAT, STRING_FORMAT} <= set(STRING_FORMATS)
    unregister_string_format(STRING_FORMAT)
    register_formats()
    assert STRING_FORMAT in STRING_FORMATS


def list_recordings():
    register_formats()
    schema = schemathesis.openapi.from_path(str(RECORDINGS))
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.definition.raw.get("operationId") == "listRecordings":
            return operation
    raise AssertionError("listRecordings is not in specs/recordings.yaml")


def test_generated_list_queries_carry_valid_filters():
    strategy = list_recordings().as_strategy()
    seen: dict[str, int] = dict.fromkeys(KINDS, 0)

    @settings(
        max_examples=40,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def check(data):
        case = data.draw(strategy)
        for name, kind in KINDS.items():
            value = (case.query or {}).get(name)
            if value is not None:
                parse(value, kind)  # raises FilterSyntaxError for a random string
                seen[name] += 1

    check()
    assert all(seen.values()), seen


def test_importing_strategies_loads_no_http_or_load_tooling():
    code = (
        "import sys, strategies; "
        "bad = [m for m in ('schemathesis', 'locust', 'emulator', 'httpx', 'gevent') if m in sys.modules]; "
        "assert not bad, bad"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)

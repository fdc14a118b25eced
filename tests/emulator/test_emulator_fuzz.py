"""Schemathesis against the emulator, driven by the project's own specs (``specs/*.yaml``).

Invariant: whatever a client sends, the emulator never answers 5xx, and every answer conforms to the
spec (status code declared, content type, body schema, headers); schema-violating requests are
rejected, wrong methods are 405 and a request without credentials is 401.

Two checks are left out on purpose, each because the spec cannot express a rule the emulator must
keep: ``positive_data_acceptance`` (a schema-valid upload still carries random bytes as audio, which
is 400 reason 2, and an arbitrary string is not a valid ``RHS-Colon:datetime``), and extra query
parameters are not generated (``allow-extra-parameters = false``) because A-4 says unknown
parameters are ignored, not refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from emu_support import LIVE, RECORDINGS, ROOT

SPECS = {
    "recordings": (ROOT / "specs" / "recordings.yaml", RECORDINGS),
    "live-recordings": (ROOT / "specs" / "live-recordings.yaml", LIVE),
}
BUDGET_SECONDS = 25  # per spec; both run at once


def _schemathesis() -> list[str]:
    exe = Path(sys.executable).with_name("schemathesis")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "schemathesis.cli"]


def test_no_server_errors_and_no_schema_violations(emu, server, tmp_path):
    missing = [str(path) for path, _ in SPECS.values() if not path.exists()]
    if missing:
        pytest.skip(f"specs not written yet: {missing}")
    # A scene where live operations can also succeed: a connected call on admin's line.
    emu.call("SEP000000000100", "100", remoteParty={"phoneNumber": "+39"})
    config = tmp_path / "schemathesis.toml"
    config.write_text("[generation]\nallow-extra-parameters = false\n")
    procs = {}
    for name, (spec, base) in SPECS.items():
        cmd = [
            *_schemathesis(),
            "--config-file",
            str(config),
            "run",
            str(spec),
            "--url",
            server.base_url + base,
            "--auth",
            "admin:admin",
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            "--max-examples",
            "25",
            "--max-time",
            str(BUDGET_SECONDS),
            "--seed",
            "20251128",
            "--request-timeout",
            "10",
            "--workers",
            "1",
            "--no-color",
        ]
        log = (tmp_path / f"{name}.txt").open("w")
        env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
        procs[name] = (
            subprocess.Popen(cmd, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, env=env),
            log,
        )
    failures = []
    for name, (proc, log) in procs.items():
        try:
            code = proc.wait(timeout=BUDGET_SECONDS + 60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        log.close()
        output = (tmp_path / f"{name}.txt").read_text()
        if code != 0:
            failures.append(f"--- {name} (exit {code}) ---\n{output[-6000:]}")
        else:
            assert "passed" in output and "generated" in output, output[-2000:]
    assert not failures, "\n".join(failures)

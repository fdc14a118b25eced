"""The near-miss credential check fails on a server that lets a near miss in, and prints no secret.

Invariant: against the emulator behind a proxy whose media endpoint accepts a strict prefix of the
password (``tests/faults/combos/auth.py``: ``media-password-prefix``), ``contract/test_credentials.py``
fails naming the variant and the operation, and nothing it writes (stdout with ``-l`` locals, results,
JUnit, allure) holds the password, a long prefix of it (a near miss is most of the secret), or the
Basic token of either.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

from contract_harness import SECRET_PASSWORD, SECRET_USER, child, free_port, run_contract


def _secrets() -> list[str]:
    prefixes = [SECRET_PASSWORD[:n] for n in range(len(SECRET_PASSWORD) // 2, len(SECRET_PASSWORD) + 1)]
    tokens = [base64.b64encode(f"{SECRET_USER}:{p}".encode()).decode() for p in prefixes]
    return prefixes + tokens


def test_near_miss_check_catches_a_prefix_and_prints_no_secret(emulator: str, tmp_path: Path) -> None:
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "tests.faults.proxy",
        "--fault",
        "media-password-prefix",
        "--upstream",
        emulator,
        "--port",
        str(port),
    ]
    url = f"http://127.0.0.1:{port}"
    with child(cmd, ready=f"{url}/_emulator/health", log=tmp_path / "proxy.log"):
        run = run_contract(
            url, "contract/test_credentials.py", "-k", "near_miss", tmp_path=tmp_path, extra=("-l",)
        )
    assert run.returncode == 1, run.stdout[-3000:]
    failed = run.rows("failed")
    assert [r["check"] for r in failed] == ["near-miss credentials are 401"]
    assert "strict prefix of the password" in failed[0]["message"]
    assert "downloadRecording" in failed[0]["message"]
    text = run.everything()
    leaked = [s for s in _secrets() if s in text]
    assert not leaked, f"{len(leaked)} secret forms printed"
    assert "[REDACTED]" in text

"""The suite is safe to point at a real server: it never leaks credentials, never writes in read-only,
never hangs on a hostile server, and always leaves a well-formed results file."""

from __future__ import annotations

import base64
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from contract_harness import (
    ROOT,
    SECRET_PASSWORD,
    SECRET_USER,
    bad_server,
    faulty_proxy,
    free_port,
    run_contract,
)
from faulty_proxy import wire_path

FAMILIES = {"schema", "status", "filters", "paging", "transfer", "live-state", "races", "auth"}
OUTCOMES = {"passed", "failed", "deviation", "skipped"}
HANG_LIMIT_S = 90


def _secrets() -> list[str]:
    token = base64.b64encode(f"{SECRET_USER}:{SECRET_PASSWORD}".encode()).decode()
    return [SECRET_PASSWORD, token]


def test_no_credentials_in_any_output(emulator: str, tmp_path: Path) -> None:
    """A failing run (so curl lines, bodies and attachments are printed) shows no password and no
    Basic token anywhere: stdout, stderr, results JSON, JUnit XML, allure files."""
    selection = (
        "contract/test_transfer.py",
        "contract/test_auth_matrix.py",
        "-k",
        "each_audio_type and mp3 or missing_credentials_read",
    )
    with faulty_proxy(emulator, "hash") as target:
        run = run_contract(target, *selection, tmp_path=tmp_path, extra=("-l",))
    assert run.returncode == 1, run.stdout[-2000:]
    assert run.files, "JUnit and allure files were written"
    text = run.everything()
    for secret in _secrets():
        assert secret not in text
    assert "[REDACTED]" in text


def test_results_file_schema(emulator: str, tmp_path: Path) -> None:
    run = run_contract(
        emulator,
        "contract/test_paging.py",
        "contract/test_auth_matrix.py",
        "-k",
        "invalid_paging or configured_users",
        tmp_path=tmp_path,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    doc = run.results
    assert doc is not None
    assert set(doc) >= {"target", "profile", "seed", "started", "finished", "checks"}
    assert doc["profile"] == "strict" and isinstance(doc["seed"], int)
    assert doc["checks"]
    for row in doc["checks"]:
        assert set(row) >= {
            "nodeid",
            "operation",
            "family",
            "check",
            "provenance",
            "outcome",
            "message",
            "curl",
            "duration_s",
        }
        assert row["family"] in FAMILIES and row["outcome"] in OUTCOMES
        assert row["provenance"] == "documented" or row["provenance"].startswith("A-")


@contextmanager
def method_recorder(upstream: str) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """A pass-through proxy that records (method, path) of every vendor-API request."""
    import asyncio

    import httpx
    import uvicorn

    seen: list[tuple[str, str]] = []
    port = free_port()

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"].startswith("/fw/"):
            seen.append((scope["method"], scope["path"]))
        query = scope["query_string"].decode("latin-1")
        url = upstream + wire_path(scope) + ("?" + query if query else "")
        headers = [
            (k.decode(), v.decode()) for k, v in scope["headers"] if k not in (b"host", b"content-length")
        ]
        async with httpx.AsyncClient() as client:
            response = await client.request(scope["method"], url, headers=headers, content=body)
        out = [
            (k.encode(), v.encode())
            for k, v in response.headers.items()
            if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")
        ]
        out.append((b"content-length", str(len(response.content)).encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": out})
        await send({"type": "http.response.body", "body": response.content})

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.slow  # every CI run: tests/cli/test_lab_qualify.py's read-only qualify via a recording proxy
def test_read_only_profile_sends_only_gets(emulator: str, tmp_path: Path) -> None:
    """The whole suite in read-only: not one POST/PUT/DELETE reaches the vendor APIs."""
    with method_recorder(emulator) as (target, seen):
        run = run_contract(target, "contract", tmp_path=tmp_path, extra=("--profile", "read-only"))
    assert run.returncode == 0, run.stdout[-3000:]
    assert seen, "the read-only run sent GETs"
    assert {method for method, _ in seen} == {"GET"}
    skipped = [r for r in run.rows("skipped") if "read-only profile" in r["message"]]
    assert skipped, "write checks are skipped with a reason"


@pytest.mark.slow  # every CI run: tests/hostile (stall-30s, reset, endless-chunked) through qualify
@pytest.mark.parametrize("mode", ["stall", "reset", "trickle"])
def test_never_hangs(mode: str, tmp_path: Path) -> None:
    """A server that stalls, resets or trickles: the run ends fast, red, and says why."""
    with bad_server(mode) as target:
        started = time.monotonic()
        run = run_contract(
            target, "contract", tmp_path=tmp_path, extra=("--request-timeout", "1"), timeout=HANG_LIMIT_S + 30
        )
        elapsed = time.monotonic() - started
    assert elapsed < HANG_LIMIT_S
    assert run.returncode != 0
    assert "no answer from the target" in run.stdout


def test_stall_mid_run_trips_the_breaker(emulator: str, tmp_path: Path) -> None:
    """A server that stops answering after 40 requests: failures say so, the run does not crawl."""
    with faulty_proxy(emulator, "stall-after", stall_after=40) as target:
        started = time.monotonic()
        run = run_contract(
            target,
            "contract/test_filters.py",
            tmp_path=tmp_path,
            extra=("--request-timeout", "1"),
            timeout=HANG_LIMIT_S + 30,
        )
    assert time.monotonic() - started < HANG_LIMIT_S
    assert run.returncode == 1
    messages = " ".join(r["message"] for r in run.rows("failed"))
    assert "no answer from the target" in messages or "stopped answering" in messages


def test_usage_errors_name_the_fix(tmp_path: Path) -> None:
    import subprocess

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "contract",
            "--tls-verify",
            "/no/such/ca.pem",
            "--collect-only",
            "-q",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert "--tls-verify" in proc.stderr + proc.stdout
    bad = tmp_path / "target.toml"
    bad.write_text('[credentials.l10]\nusername = "x"\npassword_env = "RQ_UNSET_VAR_FOR_TEST"\n')
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "contract/test_paging.py",
            "--target-file",
            str(bad),
            "-q",
            "-k",
            "invalid_paging",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode != 0
    assert "RQ_UNSET_VAR_FOR_TEST" in proc.stdout + proc.stderr

"""TLS: every client of the load verifies the server's certificate as ``tls_verify`` says.

The target is the emulator behind an HTTPS proxy with a self-signed certificate. With that certificate as
the CA bundle (``--tls-verify CA_PATH``) a run passes: the preflight, the set-up client and Locust's users
all accept it. A Locust process given the same preflight but not the CA (``tls_verify`` true) refuses
the server in its own set-up: the load does not rely on the preflight having checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from load_support import Proxy, self_signed_certificate

from load.runner import REPO_ROOT, run
from recqual.preflight import run_preflight
from recqual.target_config import resolve


@pytest.fixture(scope="module")
def https_emulator(emulator, tmp_path_factory) -> Iterator[tuple[Proxy, str]]:
    tls = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    if tls is None:
        pytest.skip("needs the openssl command")
    proxy = Proxy(emulator.url, tls=tls)
    try:
        yield proxy, str(tls[0])
    finally:
        proxy.close()


def test_a_run_with_the_ca_bundle_passes(https_emulator, tmp_path):
    proxy, ca = https_emulator
    result = run(
        "uploads",
        target=proxy.url,
        tls_verify=ca,
        allow_reset=True,
        users=3,  # one uploader makes ~1 req/s, right at the run's min_rps gate: flaky on a busy CI machine
        spawn_rate=3,
        run_time="2s",
        out_dir=tmp_path,
    )
    assert result.exit_code == 0, (tmp_path / "locust-master.log").read_text()[-2000:]
    assert result.summary["totals"]["requests"] > 0
    assert f"--recqual-tls-verify {ca}" in " ".join(result.command)


def test_locust_verifies_the_certificate_itself(https_emulator, tmp_path):
    proxy, ca = https_emulator
    preflight = tmp_path / "preflight.json"
    config = resolve(target=proxy.url, tls_verify=ca)
    run_preflight(config, profile="documented", allow_reset=True).write(preflight)
    env = dict(os.environ, RECQUAL_PREFLIGHT=str(preflight))
    command = [
        sys.executable, "-m", "locust", "-f", "load/locustfiles/uploads.py", "--headless", "-H", proxy.url,
        "-u", "1", "-r", "1", "-t", "2s", "--recqual-out-dir", str(tmp_path / "b"),
    ]  # fmt: skip
    proc = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr[-2000:]
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["totals"]["requests"] == 0
    assert any("CERTIFICATE_VERIFY_FAILED" in note for note in summary["notes"]), summary["notes"]


def test_tls_verify_false_accepts_the_self_signed_server(https_emulator, tmp_path):
    """The operator's choice for a lab with a self-signed certificate: every client of the load accepts it."""
    proxy, _ = https_emulator
    result = run(
        "uploads",
        target=proxy.url,
        tls_verify="false",
        allow_reset=True,
        users=1,
        spawn_rate=1,
        run_time="2s",
        out_dir=tmp_path,
    )
    totals = result.summary["totals"]  # (not the exit code: min_rps on a busy machine is not the point)
    assert totals["requests"] > 0 and totals["failures"] == 0, (tmp_path / "locust-master.log").read_text()
    assert result.summary["notes"] == []
    assert "--recqual-tls-verify false" in " ".join(result.command)


def test_the_certificate_must_name_the_host(https_emulator, tmp_path):
    """The certificate names 127.0.0.1: reached as ``localhost``, its own CA bundle is not enough (the
    preflight, run here without verification, does not stand in for Locust's own check)."""
    proxy, ca = https_emulator
    url = proxy.url.replace("127.0.0.1", "localhost")
    preflight = tmp_path / "preflight.json"
    unverified = resolve(target=url, tls_verify="false")
    run_preflight(unverified, profile="documented", allow_reset=True).write(preflight)
    env = dict(os.environ, RECQUAL_PREFLIGHT=str(preflight))
    command = [
        sys.executable, "-m", "locust", "-f", "load/locustfiles/uploads.py", "--headless", "-H", url,
        "-u", "1", "-r", "1", "-t", "2s", "--recqual-out-dir", str(tmp_path / "b"),
        "--recqual-tls-verify", ca,
    ]  # fmt: skip
    proc = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr[-2000:]
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["totals"]["requests"] == 0
    assert any("CERTIFICATE_VERIFY_FAILED" in note for note in summary["notes"]), summary["notes"]

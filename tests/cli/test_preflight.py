"""Preflight: a target that cannot be qualified as configured is one line and exit 2, fast.

Each case is a real `recqual` process against a real server process: the emulator (its control plane
is used by the test to set the scene, never by the run under test) or a plain HTTP server that is not
the Recording API. The 15 s bound is the issue's promise to a person waiting at a terminal.
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from tests.cli.test_errors import assert_one_line_error

PREFLIGHT_LIMIT_S = 15.0


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RECQUAL_")}
    return subprocess.run(
        [sys.executable, "-m", "recqual", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env={**clean, **(env or {})},
    )


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from recqual.embedded import embedded_emulator

    log = tmp_path_factory.mktemp("emu") / "emulator.log"
    with embedded_emulator(log=log) as url:
        for username, level in (("pf-admin", 10), ("pf-base", 2)):
            body = {"username": username, "password": f"{username}-pw", "level": level}
            assert httpx.post(f"{url}/_emulator/users", json=body).status_code == 201
        yield url


def lab_file(folder: Path, url: str, *, l10: str = "pf-admin-pw", l2: str = "pf-base-pw") -> Path:
    path = folder / "lab.toml"
    path.write_text(
        f'[target]\nurl = "{url}"\n'
        f'[credentials.l10]\nusername = "pf-admin"\npassword = "{l10}"\n'
        f'[credentials.l2]\nusername = "pf-base"\npassword = "{l2}"\n'
    )
    return path


@pytest.mark.parametrize(("role", "kwargs"), [("l10", {"l10": "wrong"}), ("l2", {"l2": "wrong"})])
def test_a_wrong_password_is_exit_2_naming_the_role(
    role: str, kwargs: dict[str, str], emulator: str, tmp_path: Path
) -> None:
    lab_file(tmp_path, emulator, **kwargs)
    started = time.monotonic()
    result = run_cli("qualify", "--target-file", "lab.toml", "--quick", "--out", "run1", cwd=tmp_path)
    assert time.monotonic() - started < PREFLIGHT_LIMIT_S
    assert_one_line_error(result, f"role {role} ")
    assert "wrong" not in result.stderr and not (tmp_path / "run1").exists()


def test_check_target_prints_what_runs_and_what_is_skipped(emulator: str, tmp_path: Path) -> None:
    lab_file(tmp_path, emulator)
    result = run_cli("check-target", "--target-file", "lab.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "recqual-emulator; control plane ours" in out and "(used by this run)" not in out
    assert "role l10    pf-admin: ok" in out and "role l2     pf-base: ok" in out
    assert "auth level 2 (Base Access)" in out and "needs [credentials.l1]" in out
    assert "live-state" in out and 'needs [[lines]] with call = "standing"' in out
    assert "pf-admin-pw" not in out + result.stderr


def test_check_target_allow_reset_uses_the_control_plane(emulator: str, tmp_path: Path) -> None:
    lab_file(tmp_path, emulator)
    result = run_cli("check-target", "--target-file", "lab.toml", "--allow-reset", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(used by this run)" in result.stdout and "no reset" in result.stdout


class _NotTheApi(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><body>Welcome to nginx!</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


class _LooksLikeAnEmulator(_NotTheApi):
    """Answers ``{"status": "ok"}`` on the health path and 401 on the API: not proof of our emulator."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(f"GET {self.path}")
        if self.path == "/_emulator/health":
            self._json(200, {"status": "ok"})
        elif self.headers.get("Authorization") == "Basic " + base64.b64encode(b"u:p").decode():
            self._json(200, {"totalCount": 0, "recordings": []})
        else:
            self._json(401, {"message": "no"})

    def do_POST(self) -> None:
        self.seen.append(f"POST {self.path}")
        self._json(204, {})

    def _json(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _serve(handler: type[http.server.BaseHTTPRequestHandler]) -> tuple[http.server.HTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def test_a_url_that_is_not_the_api_is_exit_2(tmp_path: Path) -> None:
    server, url = _serve(_NotTheApi)
    try:
        started = time.monotonic()
        result = run_cli(
            "qualify",
            "--target",
            url,
            "--out",
            "run1",
            cwd=tmp_path,
            env={"RECQUAL_USER": "u", "RECQUAL_PASSWORD": "p"},
        )
    finally:
        server.shutdown()
    assert time.monotonic() - started < PREFLIGHT_LIMIT_S
    assert_one_line_error(result, f"not the Recording API at {url}: GET /fw/Apps/Recorder/WebAPI/Recordings")
    assert "text/html" in result.stderr and not (tmp_path / "run1").exists()


def test_status_ok_on_the_health_path_is_not_proof_of_an_emulator(tmp_path: Path) -> None:
    """Any server answering ``{"status": "ok"}`` used to be reset; now its control plane is left alone."""
    _LooksLikeAnEmulator.seen = []
    server, url = _serve(_LooksLikeAnEmulator)
    try:
        result = run_cli(
            "check-target",
            "--target",
            url,
            "--allow-reset",
            cwd=tmp_path,
            env={"RECQUAL_USER": "u", "RECQUAL_PASSWORD": "p"},
        )
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    assert "control plane unproven" in result.stdout and "does not name itself" in result.stdout
    assert not [line for line in _LooksLikeAnEmulator.seen if not line.startswith("GET ")]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[credentials.l10]\nusername = "a"\npassword = "b"\n', "[target] url is missing"),
        ('[target]\nurl = "http://127.0.0.1:9"\n[credentials.l1]\npassword = "p"\n', "username is missing"),
        ('[target]\nurl = "http://127.0.0.1:9"\nflavour = "x"\n', "unknown key 'flavour'"),
    ],
)
def test_target_file_mistakes_are_exit_2_before_any_request(text: str, fragment: str, tmp_path: Path) -> None:
    (tmp_path / "lab.toml").write_text(text)
    result = run_cli("qualify", "--target-file", "lab.toml", "--out", "run1", cwd=tmp_path)
    assert_one_line_error(result, fragment)
    assert not (tmp_path / "run1").exists()


def test_an_unreadable_target_file_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "lab.toml").mkdir()
    assert_one_line_error(run_cli("qualify", "--target-file", "lab.toml", cwd=tmp_path), "is a folder")
    (tmp_path / "bad.toml").write_bytes(b"\xff\xfe[target")
    assert_one_line_error(
        run_cli("check-target", "--target-file", "bad.toml", cwd=tmp_path), "not valid TOML"
    )


class _IgnoresAuth(_LooksLikeAnEmulator):
    """The Recording API with authentication broken: it lists recordings for anybody."""

    def do_GET(self) -> None:
        if self.path.startswith("/fw/"):
            self._json(200, {"totalCount": 0, "recordings": []} if "Recordings" in self.path else [])
        else:
            self._json(404, {})


def test_a_server_that_ignores_credentials_is_qualified_not_turned_away(tmp_path: Path) -> None:
    """Broken authentication is a finding of the auth checks (exit 1), not "not the API" (exit 2)."""
    server, url = _serve(_IgnoresAuth)
    try:
        result = run_cli(
            "check-target", "--target", url, cwd=tmp_path, env={"RECQUAL_USER": "u", "RECQUAL_PASSWORD": "p"}
        )
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    assert "without credentials (401 expected)" in result.stdout


def test_a_server_answering_401_for_403_is_qualified_not_turned_away(tmp_path: Path) -> None:
    """A lab whose server sends 401 where the reference says 403: a role with a request it may make
    proves its password there, so the preflight warns and the auth checks judge the server; level 0,
    which may make no request, is then kept too (the same bug is as likely as a wrong password)."""
    from tests.faults.harness import start_emulator, start_proxy
    from tests.labs.deployed import ADMIN_PASSWORD, ADMIN_PASSWORD_ENV, LAB_TARGET

    env = {ADMIN_PASSWORD_ENV: ADMIN_PASSWORD}
    emulator = start_emulator(tmp_path, lab=True)
    try:
        proxy = start_proxy("forbidden-as-401", emulator.url, tmp_path, lab=True)
        try:
            (tmp_path / "lab.toml").write_text(LAB_TARGET.format(url=proxy.url))
            result = run_cli("check-target", "--target-file", "lab.toml", cwd=tmp_path, env=env)
        finally:
            proxy.stop()
    finally:
        emulator.stop()
    assert result.returncode == 0, result.stderr[-2000:]
    said = result.stdout + result.stderr
    assert "401 to credentials the server accepted on another request" in said
    assert "role l0 (qual-norights) got 401 on every request" in said


def test_a_wrong_level_0_password_on_a_correct_server_is_exit_2(tmp_path: Path, emulator_lab: str) -> None:
    """On a server that tells 401 from 403, an all-401 role is a wrong password: exit 2, one line."""
    from tests.labs.deployed import ADMIN_PASSWORD, ADMIN_PASSWORD_ENV, LAB_TARGET

    text = LAB_TARGET.format(url=emulator_lab).replace('password = "lab-norights-pw"', 'password = "wrong"')
    (tmp_path / "lab.toml").write_text(text)
    result = run_cli(
        "check-target", "--target-file", "lab.toml", cwd=tmp_path, env={ADMIN_PASSWORD_ENV: ADMIN_PASSWORD}
    )
    assert_one_line_error(result, "role l0 (qual-norights, from")
    assert "remove [credentials.l0] to qualify the rest" in result.stderr


@pytest.fixture
def emulator_lab(tmp_path: Path) -> Iterator[str]:
    from tests.faults.harness import start_emulator

    lab = start_emulator(tmp_path, lab=True)
    try:
        yield lab.url
    finally:
        lab.stop()

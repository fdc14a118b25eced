"""Where `recqual` sends traffic, and how it knows what the target is.

A target is a base URL (`https://ucx.example.com`, no API path). It is an *emulator* when it answers
`GET /_emulator/health` with `{"status": "ok"}`: the suites then provision users and calls through the
control plane. Anything else that answers HTTP at all is a *server*: the suites take credentials and
lines from the environment or a target file. A target that does not answer is a `TargetError`.

Credentials never travel on the command line: the password comes from `RECQUAL_PASSWORD` or from the
target file, and reaches the child processes through their environment only.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx

from recqual.errors import TargetError, UsageError

TargetKind = Literal["embedded-emulator", "emulator", "server"]
PROBE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Target:
    url: str
    kind: TargetKind
    tls_verify: bool | str = True

    @property
    def is_emulator(self) -> bool:
        return self.kind != "server"


def normalise_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--target must be an http(s) URL such as https://ucx.example.com, got {url!r}")
    if parts.path.strip("/"):
        raise UsageError(f"--target is the server's base URL without an API path, got {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def read_target_file(path: Path) -> dict[str, object]:
    """A target file is TOML; see README ("Qualify a real server") for its keys."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise UsageError(f"target file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"target file {path} is not valid TOML: {exc}") from None


def tls_setting(value: str | None) -> bool | str:
    """`--tls-verify` takes true, false, or the path of a CA bundle."""
    if value is None or value.lower() in ("true", "yes", "1"):
        return True
    if value.lower() in ("false", "no", "0"):
        return False
    if not Path(value).is_file():
        raise UsageError(f"--tls-verify: no CA bundle at {value}")
    return value


def probe(url: str, *, tls_verify: bool | str = True) -> TargetKind:
    """Ask the target whether it is an emulator; raise `TargetError` if it does not answer at all."""
    try:
        with httpx.Client(verify=tls_verify, timeout=PROBE_TIMEOUT_S) as client:
            response = client.get(f"{url}/_emulator/health")
    except httpx.ConnectError as exc:
        raise TargetError(f"target unreachable: {url} ({_reason(exc)})") from None
    except httpx.TimeoutException:
        raise TargetError(f"target unreachable: {url} (no answer within {PROBE_TIMEOUT_S:.0f} s)") from None
    except httpx.HTTPError as exc:
        raise TargetError(f"target unreachable: {url} ({_reason(exc)})") from None
    if response.status_code == 200 and _says_ok(response):
        return "emulator"
    return "server"


def _says_ok(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("status") == "ok"


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "refused" in text.lower():
        return "connection refused"
    return text.splitlines()[0]


def child_environment(*, user: str | None, target_file: Path | None) -> dict[str, str]:
    """The environment for the suites' child processes: credentials travel here, never in argv."""
    env = dict(os.environ)
    if user:
        env["RECQUAL_USER"] = user
    if target_file is not None:
        env["RECQUAL_TARGET_FILE"] = str(target_file)
    return env

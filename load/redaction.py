"""No secret of the run in anything the load pass writes: reports, summary, logs, console.

A broken or hostile server can quote what it was sent (the ``Authorization`` header, the password decoded
from it, a cookie) in an error body, and the load quotes error bodies in its failure messages, which Locust
then writes into its CSV, HTML and JSON reports and recqual into summary.json. So the redactor is built
once from the run's configuration and applied where server text enters Locust (``RecqualUser.send``, the
set-up failures, the summary, the log records), so Locust's own writers never see a secret; and
``load.runner`` sweeps the files of the run folder after the last Locust process has ended, for whatever
got in some other way (an unhandled exception's traceback, a library's log line).

What counts as a secret: every form of every configured credential (``RoleCredentials.secrets``: the
password, the Basic token, ``user:password``) as it may appear in text, JSON, HTML or a URL; the emulator's
default admin when the run falls back to it; and, whatever their value, the value after an
``Authorization``/``Cookie``/``Set-Cookie`` header name or an HTTP auth scheme (``Basic ...``), which also
covers credentials the run never knew (a cookie the server set).

Plain Python, no locust: the runner (pytest's process, the CLI) imports it too.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from load.operations import EMULATOR_ADMIN
from recqual.target_config import TargetConfig

REDACTED = "[REDACTED]"
BODY_LIMIT = 160
"""At most this many characters of a server's body are quoted in a failure message."""
MESSAGE_LIMIT = 600
"""At most this many characters per failure message (operation, reason, body excerpt, note)."""

_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization|set-cookie|cookie)"  # the header's name ...
    r"(\\?[\"']?\s*[:=]\s*\\?[\"']?)"  # ... its separator, as text, JSON or escaped JSON ...
    r"((?:(?:basic|bearer|digest|negotiate)\s+)?(?:[^\s\"'\\;]+;\s*)*[^\s\"'\\;]+)"  # ... its value
)
_SCHEME = re.compile(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]{4,}")
_HTML_SAFE_JSON = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"}


def forms(secret: str) -> set[str]:
    """The ways ``secret`` can stand in a file: as is, JSON-escaped (also as Jinja's ``tojson`` writes it
    into an HTML page), HTML-escaped, URL-encoded."""
    in_json = json.dumps(secret)[1:-1]
    html_json = "".join(_HTML_SAFE_JSON.get(c, c) for c in in_json)
    return {secret, in_json, html_json, html.escape(secret), quote(secret, safe=""), quote_plus(secret)}


def run_secrets(config: TargetConfig | None) -> frozenset[str]:
    """The secrets a run against ``config`` can hold: every configured credential's, and the emulator's
    admin's when no l10 is configured (a control-plane run then acts as that admin)."""
    if config is None:
        return frozenset()
    found = set(config.secrets())
    if config.role("l10") is None:
        found.update(EMULATOR_ADMIN.secrets())
    return frozenset(found)


class Redactor:
    """``redact(text) -> str``: every secret form and every credential-bearing header value replaced."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = frozenset(s for s in secrets if s)
        variants = sorted({f for s in self.secrets for f in forms(s)}, key=len, reverse=True)
        self._known = re.compile("|".join(map(re.escape, variants))) if variants else None

    def adding(self, secrets: Iterable[str]) -> Redactor:
        """This redactor and more secrets (e.g. a password the run made up for a user it created)."""
        return Redactor(self.secrets | set(secrets))

    def __call__(self, text: str) -> str:
        if self._known is not None:
            text = self._known.sub(REDACTED, text)
        text = _HEADER.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)
        return _SCHEME.sub(lambda m: f"{m[1]} {REDACTED}", text)

    def tree(self, value: Any) -> Any:
        """A JSON-like value with every string in it redacted (keys are ours and stay)."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {key: self.tree(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.tree(item) for item in value]
        return value

    def quote(self, content: bytes | None, limit: int = BODY_LIMIT) -> str:
        """A server's body as one bounded, redacted line: redacted before it is cut, so a cut never
        leaves a piece of a secret (at most the first 64 KiB are read)."""
        text = (content or b"")[:65536].decode("utf-8", "replace")
        return bounded(self(" ".join(text.split())), limit)

    def file(self, path: Path) -> bool:
        """Redact the file at ``path`` in place; whether it had to change. JSON stays JSON: only its string
        values are redacted, so a secret that happens to be a key or a number cannot break the file."""
        raw = path.read_bytes()
        text = raw.decode("utf-8", "surrogateescape")
        cleaned = self(text)
        if cleaned == text:
            return False
        if path.suffix == ".json":
            try:
                structured = json.dumps(self.tree(json.loads(text)), indent=2) + "\n"
            except ValueError:
                structured = cleaned  # not JSON after all: as text
            if self(structured) == structured:  # else a secret stands in a key: as text, whatever breaks
                cleaned = structured
        path.write_bytes(cleaned.encode("utf-8", "surrogateescape"))
        return True


def bounded(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying so."""
    return text if len(text) <= limit else text[: max(0, limit - 14)] + " [... cut ...]"


class _LogFilter(logging.Filter):
    """Redacts each record (message, arguments, traceback) before any handler formats it."""

    def __init__(self, current: Callable[[], Redactor]) -> None:
        super().__init__()
        self.current = current

    def filter(self, record: logging.LogRecord) -> bool:
        redact = self.current()
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_log_redaction(current: Callable[[], Redactor]) -> None:
    """Every handler configured so far (Locust's console and log file, its stats printer) redacts with
    the redactor ``current()`` returns at the time of each record (the run's secrets are known only once
    the target is resolved)."""
    log_filter = _LogFilter(current)
    known = logging.root.manager.loggerDict.values()
    for logger in [logging.getLogger(), *(x for x in known if isinstance(x, logging.Logger))]:
        for handler in logger.handlers:
            handler.addFilter(log_filter)

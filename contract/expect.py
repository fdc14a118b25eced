"""Assertions that turn a wrong answer into a :class:`~contract.failures.ConformanceFailure`.

Each helper takes the reply it judges, so the failure always carries the operation, the response
(redacted, truncated) and the curl line that reproduces it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from contract.client import Reply
from contract.failures import DOCUMENTED, ConformanceFailure
from recqual.preflight import JsonTooDeep


def fail(
    reply: Reply | None,
    *,
    check: str,
    title: str,
    expected: Any,
    actual: Any,
    provenance: str = DOCUMENTED,
    operation: str | None = None,
    notes: list[str] | None = None,
) -> ConformanceFailure:
    """Build (not raise) a failure about ``reply``; callers ``raise fail(...)`` so tracebacks stay short."""
    return ConformanceFailure(
        operation=operation or (reply.operation if reply else "?"),
        check=check,
        title=title,
        expected=str(expected),
        actual=str(actual),
        provenance=provenance,
        curl=reply.curl if reply else "",
        response=reply.describe() if reply else "",
        notes=list(notes or []),
    )


def _codes(expected: int | Collection[int]) -> frozenset[int]:
    return frozenset([expected]) if isinstance(expected, int) else frozenset(expected)


def status(
    reply: Reply,
    expected: int | Collection[int],
    *,
    check: str,
    why: str,
    provenance: str = DOCUMENTED,
    notes: list[str] | None = None,
) -> Reply:
    """The status must be one of ``expected``; ``why`` says what situation predicts it."""
    codes = _codes(expected)
    if reply.status not in codes:
        raise fail(
            reply,
            check=check,
            title=why,
            expected=" or ".join(str(c) for c in sorted(codes)),
            actual=reply.status,
            provenance=provenance,
            notes=notes,
        )
    return reply


def reason(
    reply: Reply,
    expected: int | Collection[int],
    *,
    check: str,
    why: str,
    provenance: str = DOCUMENTED,
) -> Reply:
    """A 400 whose JSON ``reason`` must be one of ``expected`` (status checked first)."""
    status(reply, 400, check=check, why=why, provenance=provenance)
    body = reply.json_or_none()
    got = body.get("reason") if isinstance(body, dict) else None
    codes = _codes(expected)
    if got not in codes:
        raise fail(
            reply,
            check=check,
            title=f"{why}: wrong 400 reason",
            expected="reason " + " or ".join(str(c) for c in sorted(codes)),
            actual=f"reason {got!r}",
            provenance=provenance,
        )
    return reply


def that(
    condition: bool,
    reply: Reply | None,
    *,
    check: str,
    title: str,
    expected: Any,
    actual: Any,
    provenance: str = DOCUMENTED,
    operation: str | None = None,
    notes: list[str] | None = None,
) -> None:
    """General form: ``condition`` must hold."""
    if not condition:
        raise fail(
            reply,
            check=check,
            title=title,
            expected=expected,
            actual=actual,
            provenance=provenance,
            operation=operation,
            notes=notes,
        )


def json_body(reply: Reply, *, check: str, provenance: str = DOCUMENTED) -> Any:
    """The reply's JSON, or a failure saying why the body is not usable JSON (invalid, or nested too
    deep: the client refuses that before parsing, so this never ends in a RecursionError)."""
    try:
        return reply.json()
    except ValueError as exc:
        why = str(exc) if isinstance(exc, JsonTooDeep) else f"invalid JSON ({str(exc)[:120]})"
        raise fail(
            reply,
            check=check,
            title="the answer is not JSON",
            expected="a JSON body",
            actual=f"content-type {reply.headers.get('content-type')!r}: {why}",
            provenance=provenance,
        ) from None

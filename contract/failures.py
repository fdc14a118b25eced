"""What can go wrong in a recqual run, and the one layout every conformance failure is printed in.

The error tree (catch at the level you care about: "could not ask" vs "answered wrongly")::

    RecqualError
     ├── ConfigError          the run is mis-configured (bad target file, missing credentials);
     │                         raised before any request, turned into a pytest usage error or a skip
     ├── TargetError          the target did not answer: refused, reset, timed out, TLS failure, or
     │                         an earlier such error tripped the circuit breaker. Reported as a failure.
     ├── ReadOnlyViolation    the read-only profile refused to send a POST/PUT/DELETE (nothing was sent)
     └── ConformanceFailure   the target answered, wrongly (also an AssertionError, so pytest shows it
                               as an assertion). Carries operation, check, expected, actual,
                               provenance, curl and seed; ``render()`` is the only message layout.

Provenance is ``"documented"`` (the vendor says so: fails in every profile) or an assumption id
``"A-n"`` of the reference (fails in ``strict``, is a deviation in ``documented``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

DOCUMENTED = "documented"
_ASSUMPTION = re.compile(r"^A-\d+b?$")

BODY_LIMIT = 600
"""Characters of a response body shown in a failure; the full exchange goes to the allure attachment."""


class RecqualError(Exception):
    """Base of every error recqual raises on purpose."""


class ConfigError(RecqualError):
    """The run cannot start as configured; the message says what to set."""


class TargetError(RecqualError):
    """The target gave no HTTP answer (refused, reset, timeout, TLS). Never a hang, never a traceback."""

    def __init__(self, message: str, *, operation: str = "", curl: str = "") -> None:
        super().__init__(message)
        self.operation = operation
        self.curl = curl

    def __str__(self) -> str:
        text = super().__str__()
        if self.curl:
            text += f"\nReproduce with:\n    {self.curl}"
        return text


class ReadOnlyViolation(RecqualError):
    """The read-only profile stopped a write before it left the process."""


def is_assumption(provenance: str) -> bool:
    """True for ``A-n`` provenances (and joined ones such as ``A-5,A-10``)."""
    return all(_ASSUMPTION.match(part.strip()) for part in provenance.split(","))


def validate_provenance(provenance: str) -> str:
    """Reject typos early: a check with an unknown provenance would silently change tier."""
    if provenance != DOCUMENTED and not is_assumption(provenance):
        raise ValueError(f"provenance must be 'documented' or 'A-n' (got {provenance!r})")
    return provenance


def truncate(text: str, limit: int = BODY_LIMIT) -> str:
    """Shorten long bodies, saying how much was cut so nobody mistakes it for the whole answer."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more characters]"


@dataclass(eq=False)
class ConformanceFailure(AssertionError):
    """The target answered, and the answer breaks a check.

    Equality is class + operation + check + expected/actual so that Hypothesis merges repeats of
    the same failure and keeps the shrunk example.
    """

    operation: str
    check: str
    title: str
    expected: str
    actual: str
    provenance: str = DOCUMENTED
    curl: str = ""
    response: str = ""
    seed: int | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        validate_provenance(self.provenance)
        AssertionError.__init__(self, self.render())

    @property
    def assumed(self) -> bool:
        return is_assumption(self.provenance)

    def _key(self) -> tuple[object, ...]:
        return (type(self), self.operation, self.check, self.expected, self.actual)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConformanceFailure) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def render(self) -> str:
        """The one layout: header, expected/received, response, notes, curl, seed."""
        tier = "documented" if not self.assumed else f"assumed {self.provenance}"
        lines = [
            f"[{self.operation}] {self.check} ({tier})",
            f"  {self.title}",
            f"  Expected: {self.expected}",
            f"  Received: {self.actual}",
        ]
        if self.response:
            lines.append(f"  Response: {truncate(self.response)}")
        lines.extend(f"  Note: {note}" for note in self.notes)
        if self.curl:
            lines += ["Reproduce with:", f"    {self.curl}"]
        if self.seed is not None:
            lines.append(f"Seed: pytest --hypothesis-seed={self.seed}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


def flatten(exc: BaseException) -> list[BaseException]:
    """Leaves of a (possibly nested) exception group; Hypothesis groups distinct failures."""
    if isinstance(exc, BaseExceptionGroup):
        leaves: list[BaseException] = []
        for inner in exc.exceptions:
            leaves.extend(flatten(inner))
        return leaves
    return [exc]


def only_assumed(excs: Iterable[BaseException]) -> bool:
    """True when every failure rests on an assumption (so ``documented`` turns it into a deviation)."""
    leaves = list(excs)
    return bool(leaves) and all(isinstance(e, ConformanceFailure) and e.assumed for e in leaves)

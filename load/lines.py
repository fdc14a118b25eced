"""The load side's view of lines: who owns which, and which worker drives which.

The target itself (URL, TLS, credentials, declared lines) is read by ``recqual.target_config`` only; the
preflight (``recqual.preflight``) says which declared lines are usable. This module turns that into the
lines the load drives. Pure Python, no locust: pytest may import it.

- A *standing* line (``call = "standing"``, proven by the preflight) is driven by one call-control user
  or one race group for the whole run.
- A *no-call* line (``call = "none"``) is only ever the target of a start that must answer 409.
- A line's ``owner`` (its declared ``role``) acts for ``/Mine`` and the body-less start, but only when that
  role is declared on no other line: "my recordings" and "record my line" would otherwise be ambiguous.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from recqual.target_config import RoleCredentials, TargetConfig

T = TypeVar("T")


@dataclass(frozen=True)
class Line:
    """A device + directory number; ``owner`` is the line's own user (for the ``/Mine`` operations)."""

    device_name: str
    directory_number: str
    owner: RoleCredentials | None = None

    @property
    def label(self) -> str:
        return f"{self.device_name}/{self.directory_number}"


def lab_lines(config: TargetConfig, usable: Sequence[str]) -> tuple[list[Line], list[Line]]:
    """(standing lines, no-call lines) of the target file that the preflight found usable, in file order."""
    allowed = set(usable)
    roles = Counter(line.role for line in config.lines if line.role)
    standing: list[Line] = []
    idle: list[Line] = []
    for spec in config.lines:
        if spec.label not in allowed:
            continue
        owner = config.role(spec.role) if spec.role and roles[spec.role] == 1 else None
        line = Line(spec.device_name, spec.directory_number, owner)
        (standing if spec.call == "standing" else idle).append(line)
    return standing, idle


def partition(items: Sequence[T], index: int, count: int) -> list[T]:
    """Worker ``index`` of ``count`` owns every ``count``-th item: no two workers ever share a line."""
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"bad partition {index}/{count}")
    return list(items[index::count])

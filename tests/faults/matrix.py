"""Judging one fault run, and the kill matrix as a table and as ``reports/kill-matrix.json``.

A fault is *killed* when the suite run failed AND at least one failed check belongs to a family the
catalogue expects for it (and, for transport faults, says why in its message): a run that fails only
for an unrelated reason does not count, because then the suite did not understand the bug.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .catalogue import CATALOGUE, EVERY_FAULT, Fault
from .gaps import SUITE_GAPS
from .harness import ROOT, Run

REPORT = ROOT / "reports" / "kill-matrix.json"
FAILED = ("failed", "error")
"""Outcomes that fail a run. In ``strict`` (the profile on an emulator) assumed checks fail too."""


@dataclass
class Verdict:
    fault: str
    family: str
    description: str
    reference: str
    expect: list[str]
    caught: bool
    caught_by: list[str]
    other_failures: list[str]
    fired: int
    contract_exit: int | None
    duration_s: float
    load: dict[str, Any] | None = None
    note: str = ""
    output_tail: str = ""
    suite_gap: str = ""

    def explain(self) -> str:
        lines = [
            f"fault {self.fault!r} ({self.family}, {self.reference}) was not caught.",
            f"  expected a failed check in: {', '.join(self.expect)}",
            f"  the proxy changed {self.fired} answer(s); contract exit code {self.contract_exit}",
        ]
        if self.other_failures:
            lines.append("  failed checks outside the expected families: " + "; ".join(self.other_failures))
        if self.note:
            lines.append(f"  {self.note}")
        if self.suite_gap:
            lines.append(f"  known suite gap (tests/faults/gaps.py): {self.suite_gap}")
        if self.output_tail:
            lines.append("  end of the contract output:\n    " + self.output_tail.replace("\n", "\n    "))
        return "\n".join(lines)


def failed_rows(document: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [row for row in (document or {}).get("checks", []) if row.get("outcome") in FAILED]


def label(row: dict[str, Any]) -> str:
    return f"{row.get('family')}/{row.get('check')} [{row.get('operation')}]"


def catches(fault: Fault, row: dict[str, Any]) -> bool:
    """Does this failed check name the fault's family (and, if required, the right reason)?"""
    if "*" not in fault.expect and row.get("family") not in fault.expect:
        return False
    return fault.message is None or re.search(fault.message, str(row.get("message", ""))) is not None


def _secondary(row: dict[str, Any]) -> bool:
    """Checks that failed only because an earlier one tripped the client's circuit breaker ("not sent")
    sort after the check that met the fault first."""
    return "not sent, the target stopped answering" in str(row.get("message", ""))


def judge(fault: Fault, contract: Run, fired: int, load: Run | None = None) -> Verdict:
    rows = sorted(failed_rows(contract.document), key=_secondary)
    by = [label(r) for r in rows if catches(fault, r)]
    others = [label(r) for r in rows if not catches(fault, r)]
    note = ""
    if contract.document is None:
        note = "the contract run wrote no results file: " + contract.output_tail(8).replace("\n", " | ")
    if contract.timed_out:
        note = f"the contract run hit the hard timeout ({contract.duration_s:.0f}s): the suite hangs"
    caught = contract.failed and not contract.timed_out and bool(by)
    load_info = None
    if load is not None:
        load_info = load_summary(load)
        if load_info["failed"]:
            by.append(f"load/{load_info['scenario']}: {load_info['reason']}")
            caught = True
    if caught and fault.name in SUITE_GAPS:
        note = "caught now: remove its entry from tests/faults/gaps.py"
    return Verdict(
        fault=fault.name,
        family=fault.family,
        description=fault.description,
        reference=fault.reference,
        expect=list(fault.expect),
        caught=caught,
        caught_by=by,
        other_failures=others,
        fired=fired,
        contract_exit=contract.returncode,
        duration_s=round(contract.duration_s + (load.duration_s if load else 0.0), 1),
        load=load_info,
        note=note,
        output_tail="" if caught else contract.output_tail(15),
        suite_gap="" if caught else SUITE_GAPS.get(fault.name, ""),
    )


LOAD_GATE_FAILED = 1
"""``python -m load`` exit codes: 0 every gate passed, 1 a gate failed, 2 usage, 3 the run broke."""


def load_summary(load: Run) -> dict[str, Any]:
    """What a load run says: did a gate fail (a kill), and which breaches (load/README.md)."""
    doc = load.document or {}
    breaches = (doc.get("slo") or {}).get("breaches") or []
    reason = "; ".join(
        f"{b.get('operation')} {b.get('metric')}: {b.get('actual')} > {b.get('limit')}" for b in breaches[:3]
    )
    examples = ((doc.get("races") or {}).get("examples") or [])[:1]
    if examples:
        reason += f" ({examples[0]})"
    if load.timed_out:
        reason = f"timed out after {load.duration_s:.0f}s"
    return {
        "scenario": doc.get("scenario") or load.command[3],
        "exit": load.returncode,
        "failed": load.returncode == LOAD_GATE_FAILED and not load.timed_out,
        "breaches": breaches,
        "reason": reason or f"exit code {load.returncode}: " + load.output_tail(3).replace("\n", " | "),
    }


@dataclass
class CleanResult:
    seed: int
    via: str
    passed: bool
    failures: list[str]
    duration_s: float


@dataclass
class VariantResult:
    """A benign variant's run: it must pass (a red run is a false alarm) and must have fired."""

    variant: str
    description: str
    reference: str
    passed: bool
    failures: list[str]
    fired: int
    steps: dict[str, int]
    duration_s: float

    @property
    def ok(self) -> bool:
        return self.passed and self.fired > 0

    def explain(self) -> str:
        if not self.passed:
            return (
                f"FALSE ALARM: the suite failed the benign variant {self.variant!r} ({self.reference}):\n  "
                + "\n  ".join(self.failures)
            )
        return f"benign variant {self.variant!r} never changed an answer (fired 0): it proves nothing"


@dataclass
class Matrix:
    verdicts: list[Verdict] = field(default_factory=list)
    clean: list[CleanResult] = field(default_factory=list)
    variants: list[VariantResult] = field(default_factory=list)
    seed: int | None = None

    def table(self) -> str:
        rows = [("fault", "family", "caught", "fired", "caught by (first 2)")]
        for v in self.verdicts:
            by = ", ".join(v.caught_by[:2]) + (f" (+{len(v.caught_by) - 2})" if len(v.caught_by) > 2 else "")
            rows.append((v.fault, v.family, "yes" if v.caught else "NO", str(v.fired), by or "-"))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4] for r in rows
        ]
        lines.insert(1, "-" * min(150, max(len(x) for x in lines)))
        killed = sum(v.caught for v in self.verdicts)
        if self.verdicts:
            lines.append(
                f"kill rate: {killed}/{len(self.verdicts)} ({100 * killed / len(self.verdicts):.0f}%)"
            )
        for c in self.clean:
            state = "pass" if c.passed else "FAIL: " + "; ".join(c.failures[:3])
            lines.append(f"clean seed {c.seed} via {c.via}: {state} ({c.duration_s:.0f}s)")
        for b in self.variants:
            state = "pass" if b.passed else "FALSE ALARM: " + "; ".join(b.failures[:3])
            if b.passed and not b.fired:
                state = "pass, but never fired"
            lines.append(f"benign variant {b.variant}: {state} (fired {b.fired}, {b.duration_s:.0f}s)")
        return "\n".join(lines)

    def markdown(self, *, commit: str) -> str:
        """The kill matrix as a page kept in the repository: when and on which commit it was measured."""
        killed = sum(v.caught for v in self.verdicts)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="minutes")
        lines = [
            "# Kill matrix",
            "",
            f"Measured {now} on commit `{commit}`, seed {self.seed}: "
            f"**{killed}/{len(self.verdicts)} killed**.",
            "",
            "| fault | family | dimensions | caught | fired | caught by |",
            "|---|---|---|---|---|---|",
        ]
        for v in self.verdicts:
            fault = EVERY_FAULT.get(v.fault)
            dims = ", ".join(fault.dimensions) if fault else ""
            by = "; ".join(v.caught_by[:2]) or "-"
            caught = "yes" if v.caught else "**NO**"
            lines.append(f"| `{v.fault}` | {v.family} | {dims} | {caught} | {v.fired} | {by} |")
        for c in self.clean:
            lines.append(f"\nclean seed {c.seed} via {c.via}: {'pass' if c.passed else 'FAIL'}")
        return "\n".join(lines) + "\n"

    def write(self, path: Path = REPORT) -> Path:
        killed = sum(v.caught for v in self.verdicts)
        doc = {
            "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "seed": self.seed,
            "catalogue_size": len(CATALOGUE),
            "faults_run": len(self.verdicts),
            "killed": killed,
            "kill_rate": round(killed / len(self.verdicts), 4) if self.verdicts else None,
            "faults": [asdict(v) for v in self.verdicts],
            "clean": [asdict(c) for c in self.clean],
            "variants": [asdict(b) for b in self.variants],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=2) + "\n")
        return path

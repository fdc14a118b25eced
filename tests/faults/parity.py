"""Lab parity: does a run on a lab catch what a run on the emulator catches?

A lab (``runner --lab``: the emulator in its deployed form behind the fault proxy, the suite given the
target file of ``tests/labs/deployed.py``) has no control plane, so every check that needs one (a
fresh user, a hang-up on cue, two devices on one directory number, an automatic-recording device,
fewer recording channels) is skipped there. For the families below, a fault the emulator run kills
must be killed on the lab too, unless it is listed here with the reason:

- ``EMULATOR_ONLY``: the fault cannot change an answer on a lab, by nature (it acts only on a scene no
  target file can declare); the emulator-only check that kills it says so in its ``needs``.
- ``LAB_GAPS``: the fault fires on a lab and the suite does not catch it there: a defect in the suite
  (``contract/`` or ``recqual/``), written down as in ``gaps.py``: what is missing and what would fix it.

``python -m tests.faults.parity`` runs every fault of ``FAMILIES`` both ways (``--no-load``, as
``--lab`` has no load pass), writes the verdicts to ``reports/lab-parity/<family>-{emulator,lab}.json``
and the table to ``tests/faults/lab-parity.md``; ``--render DIR`` rebuilds the table from saved JSON
(``runner --family F [--lab] --no-load --json DIR/F-{emulator,lab}.json``). ``test_lab_parity.py``
(slow) asserts the lab half.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from .catalogue import CATALOGUE
from .harness import ROOT

FAMILIES = ("live-state", "auth", "status", "races")
"""The families the lab must match the emulator on (the issue's live-state, auth, status and races)."""

_SHARED_DN = (
    "acts only where two live recordings share one directory number (two devices on one DN, a shared "
    "line): a target file declares one device per line, so on a lab a DN has at most one recording; "
    "its emulator-only check `{check}` (needs emulator) builds the shared line through the control plane"
)

EMULATOR_ONLY: dict[str, str] = {
    "pause-by-line-first-only": _SHARED_DN.format(check="by DN: every recording of the line"),
    "resume-by-line-first-only": _SHARED_DN.format(check="by DN: every recording of the line"),
    "pause-by-id-pauses-line": _SHARED_DN.format(check="by id: only that recording"),
    "start-no-channel-500": (
        "acts only when the server is out of recording channels (503); `channels exhausted is 503` "
        "lowers the channel count through the control plane (scene.require_emulator), and a lab's "
        "channels cannot be exhausted on purpose"
    ),
    "start-auto-record-429": (
        "acts only on a start on an automatic-recording device (A-18, 400 reason 4); an automatic-"
        "recording device is PBX configuration no target file declares (the lab has none), so "
        "`automatic-recording device` is emulator-only"
    ),
}
"""Faults that cannot fire on a lab: the scene they act on exists only on the emulator."""

LAB_GAPS: dict[str, str] = {}
"""Faults a lab run misses though they fire there: the suite's defects on a lab."""

REPORT_DIR = ROOT / "reports" / "lab-parity"
TABLE = Path(__file__).with_name("lab-parity.md")
MODES = ("emulator", "lab")


def _verdicts(path: Path) -> dict[str, dict[str, Any]]:
    doc = json.loads(path.read_text())
    return {str(v["fault"]): v for v in doc.get("faults", [])}


def _why(name: str, emulator: dict[str, Any] | None, lab: dict[str, Any] | None) -> str:
    if lab is None or emulator is None:
        return "not measured"
    if not emulator["caught"]:
        return "missed on the emulator too: " + (emulator.get("suite_gap") or "see the kill matrix")
    if lab["caught"]:
        return ""
    if name in EMULATOR_ONLY:
        kind = "emulator-only by nature" if lab["fired"] == 0 else "emulator-only (but it FIRED: recheck)"
        return f"{kind}: {EMULATOR_ONLY[name]}"
    if name in LAB_GAPS:
        return f"suite gap on a lab: {LAB_GAPS[name]}"
    return "UNEXPLAINED: add it to EMULATOR_ONLY or LAB_GAPS in tests/faults/parity.py"


def _by(verdict: dict[str, Any] | None) -> str:
    if verdict is None:
        return "-"
    if not verdict["caught"]:
        return "**no**"
    first = str(verdict["caught_by"][0]) if verdict["caught_by"] else ""
    return f"yes ({first.split(' [')[0]})" if first else "yes"


def render(folder: Path, *, measured: str, commit: str, families: tuple[str, ...] = FAMILIES) -> str:
    """The parity table (Markdown) from ``folder/<family>-{emulator,lab}.json``."""
    lines = [
        "# Lab parity: faults a lab run catches vs an emulator run",
        "",
        f"Measured {measured} at commit `{commit}` (seed {_seed(folder, families)}, `--no-load`), with",
        "`python -m tests.faults.parity` (see `tests/faults/parity.py`: the reasons below live there as",
        "`EMULATOR_ONLY` and `LAB_GAPS`). Emulator: `python -m tests.faults.runner --family F --no-load`;",
        "lab: the same with `--lab` (the deployed emulator, no control plane, the proxy reading the site",
        "file for the lab's users and calls, the suite given `tests/labs/deployed.py`'s target file in",
        "`--profile strict`). `fired` is how many answers the proxy changed on the lab.",
        "",
    ]
    summary = ["| family | killed on the emulator | killed on a lab | faults |", "|---|---|---|---|"]
    table = [
        "| fault | family | killed on the emulator (first check) | killed on a lab (first check) "
        "| fired on a lab | why the lab misses it |",
        "|---|---|---|---|---|---|",
    ]
    for family in families:
        emulator, lab = (_load(folder / f"{family}-{mode}.json") for mode in MODES)
        names = [n for n, f in CATALOGUE.items() if f.family == family]
        killed = [sum(bool((v.get(n) or {}).get("caught")) for n in names) for v in (emulator, lab)]
        summary.append(f"| {family} | {killed[0]} | {killed[1]} | {len(names)} |")
        for name in names:
            e, b = emulator.get(name), lab.get(name)
            fired = "-" if b is None else str(b["fired"])
            why = _why(name, e, b).replace("|", "/")
            table.append(f"| `{name}` | {family} | {_by(e)} | {_by(b)} | {fired} | {why} |")
    return "\n".join([*lines, *summary, "", *table, ""])


def _load(path: Path) -> dict[str, dict[str, Any]]:
    return _verdicts(path) if path.is_file() else {}


def _seed(folder: Path, families: tuple[str, ...]) -> str:
    for family in families:
        path = folder / f"{family}-lab.json"
        if path.is_file():
            return str(json.loads(path.read_text()).get("seed"))
    return "?"


def _run(family: str, mode: str, folder: Path, seed: int | None) -> None:
    cmd = [sys.executable, "-m", "tests.faults.runner", "--family", family, "--no-load"]
    cmd += ["--json", str(folder / f"{family}-{mode}.json")]
    cmd += ["--lab"] if mode == "lab" else []
    cmd += ["--seed", str(seed)] if seed is not None else []
    subprocess.run(cmd, cwd=ROOT, check=False)  # exit 1 = some fault missed: the table says which


def _commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    paths = ["contract", "recqual", "strategies", "emulator", "tests/faults", "tests/labs"]
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", *paths],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.faults.parity", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--family", action="append", choices=FAMILIES, help="only these (repeatable)")
    parser.add_argument("--render", metavar="DIR", type=Path, help="no runs: the table from DIR's JSON")
    parser.add_argument("--out", type=Path, default=TABLE, help=f"the table (default {TABLE.name})")
    parser.add_argument("--commit", help="the commit to name (default: HEAD, and whether the tree is dirty)")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    families = tuple(args.family or FAMILIES)
    folder = args.render or REPORT_DIR
    commit = args.commit or _commit()
    if args.render is None:
        folder.mkdir(parents=True, exist_ok=True)
        for family in families:
            for mode in MODES:
                _run(family, mode, folder, args.seed)
    text = render(folder, measured=dt.date.today().isoformat(), commit=commit, families=families)
    args.out.write_text(text)
    print(text)
    return 1 if "UNEXPLAINED" in text else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

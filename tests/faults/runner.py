"""One kill attempt: a fresh emulator, the fault proxy in front, the suite against the proxy.

``python -m tests.faults.runner FAULT [FAULT ...] [--family F] [--lab] [--seed N] [--no-load] [--json P]``
runs attempts outside pytest and prints the verdicts (handy while writing a fault); ``--clean`` runs the
clean baseline instead (with ``--lab``: the deployed-style lab, directly and through the transparent
proxy);
``--variant NAME [NAME ...]`` (or ``--variant`` alone: every one, then ``all``) runs benign variants,
which must pass. ``--combos`` runs the combination catalogue (``combos/``) instead of the one-rule one;
``--markdown PATH`` also writes the verdicts as a Markdown kill matrix stamped with the date and the
commit measured (``tests/faults/combination-kill-matrix.md`` is kept in the repository that way).
Artifacts of every run (contract output, results JSON, proxy and emulator logs) stay in
``reports/fault-runs/<fault>/`` (``variant-<name>/`` for variants) for diagnosis.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from . import variants
from .catalogue import CATALOGUE, EVERY_FAULT, NONE, Fault
from .combos import COMBINATIONS
from .harness import ROOT, Run, proxy_status, run_contract, run_load, start_emulator, start_proxy
from .matrix import CleanResult, Matrix, VariantResult, Verdict, failed_rows, judge, label, load_summary

RUNS = Path(os.environ.get("RECQUAL_FAULT_RUNS_DIR") or ROOT / "reports" / "fault-runs")
"""Where each run's artifacts go; ``RECQUAL_FAULT_RUNS_DIR`` keeps two concurrent runners apart."""
DEFAULT_SEED = int(os.environ.get("RECQUAL_FAULT_SEED", "20260808"))


def git_commit() -> str:
    """The commit measured (with ``+dirty`` when the work tree differs), for the kill matrix's stamp."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
    )
    return (
        head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
        if head.returncode == 0
        else "unknown"
    )


def _workdir(name: str) -> Path:
    path = RUNS / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def kill(
    fault: Fault,
    seed: int = DEFAULT_SEED,
    *,
    with_load: bool = True,
    lab: bool = False,
    only_expected: bool = False,
) -> Verdict:
    """Run the suite (and, for load faults, the load scenario) against ``fault``; judge the result.

    ``lab``: the server is the emulator in its deployed form (no control plane) and the suite gets a
    lab target file, as on a customer's server; the load pass is not run in that mode.
    ``only_expected``: run only the families expected to catch the fault (``--only``): the question
    "caught for the right reason" in a fraction of the time, for the CI smoke test.
    """
    workdir = _workdir(fault.name + ("-lab" if lab else ""))
    emulator = start_emulator(workdir, lab=lab)
    try:
        proxy = start_proxy(fault.name, emulator.url, workdir, lab=lab)
        try:
            only = tuple(fault.expect) if only_expected else ()
            contract = run_contract(proxy.url, workdir, seed, lab=lab, only=only)
            fired = int(proxy_status(proxy).get("fired", 0))
            load: Run | None = None
            if fault.load and with_load and not lab:
                httpx.post(emulator.url + "/_emulator/reset", timeout=10)
                load = run_load(fault.load, proxy.url, workdir)
                fired = int(proxy_status(proxy).get("fired", fired))
        finally:
            proxy.stop()
    finally:
        emulator.stop()
    return judge(fault, contract, fired, load)


def clean(seed: int, *, via_proxy: bool, lab: bool = False) -> CleanResult:
    """The baseline: the correct emulator (optionally behind the transparent proxy) must pass;
    ``lab``: the emulator in its deployed form with the lab target file, as ``kill(lab=True)`` runs."""
    via = ("lab " if lab else "") + ("proxy" if via_proxy else "direct")
    workdir = _workdir(f"clean-{via.replace(' ', '-')}-{seed}")
    emulator = start_emulator(workdir, lab=lab)
    try:
        proxy = start_proxy(NONE, emulator.url, workdir, lab=lab) if via_proxy else None
        try:
            run = run_contract((proxy or emulator).url, workdir, seed, lab=lab)
        finally:
            if proxy is not None:
                proxy.stop()
    finally:
        emulator.stop()
    failures = _failures(run)
    return CleanResult(seed, via, not run.failed and not failures, failures, round(run.duration_s, 1))


def _failures(run: Run) -> list[str]:
    """Every failed check of a run that should have passed, or why there is no verdict at all."""
    failures = [f"{label(r)}: {str(r.get('message', ''))[:300]}" for r in failed_rows(run.document)]
    if run.document is None:
        failures.append("no results file: " + run.output_tail(10).replace("\n", " | "))
    if run.failed and not failures:
        failures.append(f"exit code {run.returncode}: " + run.output_tail(10).replace("\n", " | "))
    return failures


def benign(name: str, seed: int = DEFAULT_SEED) -> VariantResult:
    """A benign variant (a different-but-correct server): the suite must pass it, and it must fire."""
    variant = variants.benign(name)
    workdir = _workdir(f"variant-{name}")
    emulator = start_emulator(workdir)
    try:
        proxy = start_proxy(variants.VARIANT_PREFIX + name, emulator.url, workdir)
        try:
            run = run_contract(proxy.url, workdir, seed)
            status = proxy_status(proxy)
        finally:
            proxy.stop()
    finally:
        emulator.stop()
    failures = _failures(run)
    return VariantResult(
        variant=name,
        description=variant.description,
        reference=variant.reference,
        passed=not run.failed and not failures,
        failures=failures,
        fired=int(status.get("fired", 0)),
        steps={str(k): int(v) for k, v in (status.get("steps") or {}).items()},
        duration_s=round(run.duration_s, 1),
    )


def clean_load(scenario: str) -> CleanResult:
    """The load baseline: the scenario passes its gates through the transparent proxy, so a load
    failure under a fault is the fault's doing, not the proxy's."""
    workdir = _workdir(f"clean-load-{scenario}")
    emulator = start_emulator(workdir)
    try:
        proxy = start_proxy(NONE, emulator.url, workdir)
        try:
            run = run_load(scenario, proxy.url, workdir)
        finally:
            proxy.stop()
    finally:
        emulator.stop()
    info = load_summary(run)
    passed = run.returncode == 0
    return CleanResult(
        0, f"proxy, load {scenario}", passed, [] if passed else [info["reason"]], round(run.duration_s, 1)
    )


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.faults.runner", description=__doc__.splitlines()[0]
    )
    parser.add_argument("faults", nargs="*", help="fault names (default: the whole catalogue)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--no-load", action="store_true", help="skip the load scenarios of load faults")
    parser.add_argument("--clean", action="store_true", help="run the clean baseline (direct and via proxy)")
    parser.add_argument(
        "--lab",
        action="store_true",
        help="the faulty server is a deployed-style lab (no control plane, declared users and lines)",
    )
    parser.add_argument("--family", help="every fault of this family (e.g. live-state, auth, status, races)")
    parser.add_argument(
        "--combos", action="store_true", help="the combination catalogue (tests/faults/combos/) instead"
    )
    parser.add_argument(
        "--only-expected",
        action="store_true",
        help="only the check families expected to catch each fault (--only), as the smoke test does",
    )
    parser.add_argument(
        "--markdown", metavar="PATH", type=Path, help="also write the kill matrix as Markdown (date, commit)"
    )
    parser.add_argument(
        "--json", metavar="PATH", type=Path, help="also write the verdicts as JSON (kill-matrix.json's shape)"
    )
    parser.add_argument(
        "--variant",
        nargs="*",
        metavar="NAME",
        help=f"run benign variants (none named: every one, then {variants.ALL}); they must pass",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # so the finally blocks stop our children
    matrix = Matrix(seed=args.seed)
    if args.variant is not None:
        for name in args.variant or [*variants.VARIANTS, variants.ALL]:
            result = benign(name, args.seed)
            matrix.variants.append(result)
            print(
                f"variant {name}: {'pass' if result.passed else 'FALSE ALARM'} "
                f"(fired {result.fired}, {result.duration_s:.0f}s)",
                flush=True,
            )
            if not result.ok:
                print(result.explain(), flush=True)
    elif args.clean:
        matrix.clean += [clean(args.seed, via_proxy=v, lab=args.lab) for v in (False, True)]
        if not args.lab:
            matrix.clean += [clean_load(s) for s in sorted({f.load for f in CATALOGUE.values() if f.load})]
    else:
        table = COMBINATIONS if args.combos else CATALOGUE
        names = args.faults or [n for n, f in table.items() if args.family in (None, f.family)]
        unknown = [n for n in names if n not in EVERY_FAULT]
        if unknown:
            parser.error(
                f"unknown fault(s): {', '.join(unknown)} (list them: python -m tests.faults.catalogue)"
            )
        for name in names:
            verdict = kill(
                EVERY_FAULT[name],
                args.seed,
                with_load=not args.no_load,
                lab=args.lab,
                only_expected=args.only_expected,
            )
            matrix.verdicts.append(verdict)
            print(
                f"{name}: {'caught' if verdict.caught else 'MISSED'} by {verdict.caught_by[:3]} "
                f"(fired {verdict.fired}, {verdict.duration_s:.0f}s)",
                flush=True,
            )
    print(matrix.table())
    if args.json is not None:
        matrix.write(args.json)
    if args.markdown is not None:
        args.markdown.write_text(matrix.markdown(commit=git_commit()))
    passed = all(c.passed for c in matrix.clean) and all(b.ok for b in matrix.variants)
    return 0 if all(v.caught for v in matrix.verdicts) and passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

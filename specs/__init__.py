"""The OpenAPI documents that every part of recqual derives from.

This package is the only code the suite and the emulator share (design rule 1): it ships the YAML
files and says where they are, nothing more.
"""

from __future__ import annotations

from pathlib import Path

SPEC_DIR = Path(__file__).resolve().parent

RECORDINGS = SPEC_DIR / "recordings.yaml"
LIVE_RECORDINGS = SPEC_DIR / "live-recordings.yaml"
EMULATOR_CONTROL = SPEC_DIR / "emulator-control.yaml"

VENDOR_SPECS = (RECORDINGS, LIVE_RECORDINGS)
"""The two vendor APIs; the control plane is this project's own and not part of qualification."""


def operation_ids(path: Path) -> tuple[str, ...]:
    """The operationIds of one spec, in document order (the order reports show them in).

    Read from the YAML rather than listed again in code, so a report or a suite that needs "every
    operation of this API" cannot drift from the spec.
    """
    import yaml  # imported here: most users of this package only need the paths

    with path.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    return tuple(op["operationId"] for item in document["paths"].values() for op in item.values())

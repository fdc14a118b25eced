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

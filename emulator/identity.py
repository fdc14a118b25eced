"""How the emulator names itself on ``GET /_emulator/health``.

``status: ok`` alone is what any server might answer; ``service`` is the marker by which a client proves
the target is this emulator, and ``version`` says which build it is (the version of the distribution
the emulator ships in).
"""

from __future__ import annotations

from importlib import metadata

SERVICE = "recqual-emulator"

try:
    VERSION = metadata.version("recqual")
except metadata.PackageNotFoundError:  # run from a source tree that was never installed
    VERSION = "0+unknown"


def health_json() -> dict[str, str]:
    return {"status": "ok", "service": SERVICE, "version": VERSION}

"""Make the repository importable from a locustfile run as ``locust -f load/locustfiles/<file>.py``.

Locust puts only the locustfile's own directory on ``sys.path``; the scenarios import ``load.*``, so the
repository root (two levels up) goes first. Harmless when ``load`` is already importable.
"""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

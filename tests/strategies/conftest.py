"""Make `strategies` (repository root) and the brute-force helpers beside this file importable,
whatever pytest's import mode or working directory."""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
for _path in (_HERE.parents[1], _HERE):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

"""What the user sees while `recqual` runs: which phase, how far; nothing else on the terminal.

Suites' own output goes to log files in the report folder; this module prints one line per phase
change and a progress counter (rewritten in place on a terminal, every tenth on a pipe or in CI).
"""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    def __init__(self, phases: int, stream: TextIO | None = None) -> None:
        self.phases = phases
        self.index = 0
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty()
        self._last_tenth = -1

    def phase(self, name: str, detail: str = "") -> None:
        self.index += 1
        self._last_tenth = -1
        self._end_line()
        self.stream.write(f"[{self.index}/{self.phases}] {name}{': ' + detail if detail else ''}\n")
        self.stream.flush()

    def count(self, label: str, done: int, total: int, failed: int = 0) -> None:
        text = f"      {label} {done}/{total}" + (f" ({failed} failed)" if failed else "")
        if self.interactive:
            self.stream.write("\r" + text.ljust(60))
            self._pending = True
        else:
            tenth = (10 * done // total) if total else 10
            if tenth == self._last_tenth:
                return
            self._last_tenth = tenth
            self.stream.write(text + "\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        self._end_line()
        self.stream.write(f"      {text}\n")
        self.stream.flush()

    def _end_line(self) -> None:
        if self.interactive and getattr(self, "_pending", False):
            self.stream.write("\n")
            self._pending = False

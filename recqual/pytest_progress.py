"""A pytest plugin that tells the `recqual` command how far the conformance suite has got.

`recqual qualify` runs the suite as a child process and loads this plugin with `-p`; each finished
test prints one machine-readable line that the parent turns into a progress display, so progress does
not depend on pytest's human output format.
"""

from __future__ import annotations

import sys

import pytest

PREFIX = "@@recqual-progress"


class Progress:
    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self.failed = 0

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)
        self._emit()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            self.done += 1
            self.failed += report.outcome == "failed"
            self._emit()

    def _emit(self) -> None:
        sys.stdout.write(f"\n{PREFIX} {self.done} {self.total} {self.failed}\n")
        sys.stdout.flush()


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Progress(), "recqual-progress")

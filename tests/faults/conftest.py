"""The kill matrix's session: one ``Matrix`` collects verdicts; at the end it is written to
``reports/kill-matrix.json`` and printed as a table in the terminal summary."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import Service, start_emulator
from .matrix import REPORT, Matrix
from .runner import DEFAULT_SEED

MATRIX_KEY = pytest.StashKey[Matrix]()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A fresh emulator per test module, stopped by PID at the end."""
    service = start_emulator(tmp_path_factory.mktemp("emulator"))
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="session")
def matrix(request: pytest.FixtureRequest) -> Iterator[Matrix]:
    """The session's kill matrix (only the slow matrix tests use it, so smoke runs never overwrite
    ``reports/kill-matrix.json`` with a partial picture)."""
    found = Matrix(seed=DEFAULT_SEED)
    request.config.stash[MATRIX_KEY] = found
    yield found
    if found.verdicts or found.clean or found.variants:
        found.write()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    found = config.stash.get(MATRIX_KEY, None)
    if found is None or not (found.verdicts or found.clean or found.variants):
        return
    terminalreporter.section("recqual kill matrix")
    for line in found.table().splitlines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"written to {REPORT}")

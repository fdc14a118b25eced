"""The emulator's log records skip caller, thread and process lookups; this Python still has the switch.

``emulator.lean_logging`` sets ``logging._srcfile``, a private name of the standard library (the
logging HOWTO's "Optimization" section documents it). If a Python release drops or renames it, this
test fails and says so, rather than the emulator silently paying for the lookups again.
"""

from __future__ import annotations

import io
import logging

import pytest

from emulator.lean_logging import lighten_log_records

SWITCHES = ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing")


@pytest.fixture
def restored_logging_switches():
    saved = {name: getattr(logging, name) for name in SWITCHES}
    yield
    for name, value in saved.items():
        setattr(logging, name, value)


def test_the_private_switch_still_exists_in_this_python():
    assert hasattr(logging, "_srcfile"), "logging._srcfile is gone: update emulator/lean_logging.py"


def test_records_skip_the_lookups_and_lines_are_unchanged(restored_logging_switches):
    logger = logging.getLogger("recqual.test.lean")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        records: list[logging.LogRecord] = []
        logger.addFilter(lambda record: records.append(record) or True)
        logger.warning("before %s", 1)
        lighten_log_records()
        logger.warning("after %s", 2)
    finally:
        logger.removeHandler(handler)
    before, after = records
    assert before.funcName == "test_records_skip_the_lookups_and_lines_are_unchanged"
    assert after.funcName == "(unknown function)" and after.threadName is None and after.process is None
    assert stream.getvalue() == "WARNING before 1\nWARNING after 2\n"

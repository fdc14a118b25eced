"""Log records without the bookkeeping no emulator line prints: the access log's share of every request.

uvicorn logs one access line per request through the standard ``logging`` module, and each record by
default looks up its caller (a walk up the stack frames), the current thread's name and the process's
name and id. None of the emulator's log formats (uvicorn's defaults: level, client, request line,
status) prints any of them, yet under ``GET LiveRecordings`` load that bookkeeping was a tenth of the
server's CPU. The ``logging`` HOWTO's "Optimization" section names the switches used here; one of
them, ``logging._srcfile``, is a private name, so it is set only here, and a test fails if this
Python no longer has it. The lines written do not change.
"""

from __future__ import annotations

import logging


def lighten_log_records() -> None:
    """Stop every log record of this process from collecting caller, thread and process details."""
    logging._srcfile = None  # no caller lookup (documented in the HOWTO's "Optimization" section)
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False

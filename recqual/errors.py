"""The errors the `recqual` command turns into a one-line message and an exit code.

    RecqualError                 exit 2 unless said otherwise; never a traceback
    +-- UsageError               the command line or a config file is wrong
    +-- TargetError              the target cannot be reached or set up (refused, timeout, TLS)
    +-- ToolMissing              an optional external tool (e.g. `allure`) is not installed

A failed qualification is not an error: it is a verdict, exit 1.
"""

from __future__ import annotations


class RecqualError(Exception):
    """Base of everything `recqual` reports as one line instead of a traceback."""

    exit_code = 2


class UsageError(RecqualError):
    """The command line, an environment variable or a target file is wrong; the message says which."""


class TargetError(RecqualError):
    """The target did not answer (connection refused, timeout, TLS failure) or could not be started."""


class ToolMissing(RecqualError):
    """An optional external program is not installed; the message says how to get it."""

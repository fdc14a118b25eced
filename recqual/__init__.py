"""recqual: qualify a server's Imagicle UCX Call Recording REST APIs.

The `recqual` command ties the parts together: it starts the embedded emulator when no target is
given, runs the conformance suite (`contract/`) and a short load pass (`load/`) as child processes,
and writes one report a person can read and a machine can diff.
"""

from __future__ import annotations

__version__ = "0.1.0"

"""``python -m load.locustlib.scenario_from_master HOST PORT``: which locustfile a Locust master runs.

A worker started elsewhere (``python -m load worker``) takes its scenario from the master, as Locust's own
``-f -`` does, but runs *its own copy* of that locustfile: the scenarios import their package
(``load.*``), so the file alone, written to a temporary folder the way ``-f -`` does, would not run. This
asks the master through Locust's own exchange (``download_locustfile_from_master``, a child process:
importing locust gevent-patches the process) and prints one JSON line: ``[{"filename": "races.py",
"sha256": "..."}]``, so the worker can refuse a master that runs a different recqual than its own.
"""

from __future__ import annotations

import hashlib
import json
import sys

from locust.argument_parser import download_locustfile_from_master


def main(argv: list[str]) -> int:
    host, port = argv[0], int(argv[1])
    sources = download_locustfile_from_master(host, port)  # exits 1 itself when the master never answers
    described = []
    for source in sources:
        if isinstance(source, dict):
            digest = hashlib.sha256(str(source.get("contents", "")).encode()).hexdigest()
            described.append({"filename": str(source.get("filename", "")), "sha256": digest})
        else:  # a URL: not a recqual scenario
            described.append({"filename": str(source), "sha256": ""})
    print(json.dumps(described), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""recqual load generation: Locust scenarios for the Call Recording REST APIs.

Layout (the split matters: importing locust monkey-patches the whole process with gevent, so only the
modules under ``load.locustlib`` and ``load.locustfiles`` may import it; everything else is plain Python
that pytest, the CLI and the runner can import safely):

- ``load.runner``      -- ``run(...)``: launches ``locust`` (master, optional local workers) as subprocesses,
                          waits with a hard timeout, returns a ``LoadResult``.
- ``load.__main__``    -- ``python -m load <scenario> --target URL ...``: argparse CLI around ``run``.
- ``load.slo``         -- SLO file (TOML) loading, gate evaluation over a summary, JUnit XML.
- ``load.summary``     -- the ``summary.json`` builder (pure: works on plain stats rows).
- ``load.lines``       -- the load side's lines: a lab's usable lines and owners, the worker partition.
                          (The target itself is read by ``recqual.target_config``, probed by
                          ``recqual.preflight``.)
- ``load.tls``         -- the TLS context every client of the load uses (``tls_verify``).
- ``load.operations`` -- the load side's view of the API: paths, operationIds, upload metadata.
- ``load.audio``, ``load.filters`` -- small generated WAV/MP3 payloads and listRecordings filters.
- ``load.locustlib``   -- locust-side helpers: base user, hooks, line pool, open-model pacing, races.
- ``load.locustfiles`` -- one locustfile per scenario.

See ``load/README.md`` for commands and the summary.json schema.
"""

SCENARIOS: dict[str, str] = {
    "call-control": "call_control.py",
    "races": "races.py",
    "reads": "reads.py",
    "uploads": "uploads.py",
    "capacity": "capacity.py",
}
"""Scenario name -> locustfile in ``load/locustfiles/``."""

"""Locust-side helpers for the recqual scenarios.

Everything in this package imports locust, and importing locust monkey-patches the whole process with
gevent: import it only from a locustfile, never from pytest, the CLI or ``load.runner``.

- ``options``  -- the ``--recqual-*`` knobs (with ``RECQUAL_*`` environment equivalents).
- ``control``  -- a tiny blocking HTTP client for the emulator control plane (used only when the
                  preflight allows it), seeding and clean-up (its requests stay out of the statistics).
- ``state``    -- per-process run state: target, credentials, line pool, live-recording registry,
                  counters, clean-up sweep.
- ``base``     -- ``RecqualUser``: the abstract FastHttpUser with the one ``send()`` wrapper every
                  scenario uses (expected outcomes, cheap validation, outcome rows, open-model pacing).
- ``hooks``    -- the event listeners: start-up, distributed stop handshake, clean-up, summary, SLO
                  gates, JUnit, exit code.
- ``races``    -- a cyclic gevent barrier and the race invariant.
- ``shapes``   -- the capacity step shape.
"""

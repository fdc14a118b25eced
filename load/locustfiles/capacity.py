"""capacity: the call-control mix under a rising step shape, to find the knee and the channel limit.

The users are call-control users (``call_control.CallControlUser``) with one difference in the model:
``startRecording`` may answer 503 (no recording channel available, reference 2.3), which is the limit being
looked for, so a 503 there is a predicted outcome, counted in ``startRecording [503]``. The load follows
``load.locustlib.shapes.CapacitySteps``: +``--recqual-step-users`` users every ``--recqual-step-seconds``
up to ``-u``; it stops at the first step whose p99 exceeds ``[capacity] p99_ms`` (SLO file) or that saw a
503, and summary.json's ``capacity`` section reports ``knee_users``, ``first_503_users`` and every step.
With the emulator control plane the master first sets ``channels`` to ``--recqual-channels`` (default 8)
so the limit is reachable. The per-operation latency gates are off for this scenario (it goes past them
on purpose).

Run (a direct ``locust -f`` run needs ``RECQUAL_PREFLIGHT``: see load/README.md):

    python -m load capacity --target http://127.0.0.1:8080 --allow-reset -u 20 -r 10 -t 60s \\
        -- --recqual-step-users 2 --recqual-step-seconds 5 --recqual-channels 8
    locust -f load/locustfiles/capacity.py --headless -H http://127.0.0.1:8080 -u 20 -r 10 -t 60s \\
        --recqual-step-users 2 --recqual-step-seconds 5 --recqual-channels 8
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# Locust runs a locustfile with its own folder on sys.path; mypy, checking the package, cannot see it
import _bootstrap  # type: ignore[import-not-found]  # noqa: F401  (puts the repository on sys.path)

if TYPE_CHECKING:  # mypy checks the package: the same file under its package name
    from load.locustfiles import call_control
else:  # the module, not the class: a class imported by name would run as a second user
    import call_control

from load.locustlib.base import created_id
from load.locustlib.shapes import CapacitySteps


class CapacityUser(call_control.CallControlUser):
    scenario = "capacity"
    channels = 8
    supports_rate = False  # the shape sets the load
    start_expect = {201: created_id, 503: None}  # noqa: RUF012  (read-only table)


class Steps(CapacitySteps):
    pass

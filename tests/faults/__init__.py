"""The fault catalogue and kill matrix: proof that recqual catches faulty servers.

A fault is a small, realistic server bug applied by a reverse proxy (``proxy.py``) in front of the
correct emulator, so the emulator's own code stays clean. ``catalogue.py`` names every fault, the
reference rule it breaks and the check family that must catch it; ``test_kill_matrix.py`` runs the
suite against each one and writes ``reports/kill-matrix.json``. See ``README.md`` for the commands.
"""

"""Fixtures for the suite's self-tests; the machinery lives in ``contract_harness.py``."""

from contract_harness import emulator  # noqa: F401 - session fixture: the seeded emulator

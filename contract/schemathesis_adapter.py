"""Every touch of Schemathesis' and Hypothesis' internals, in one place, behind a canary test.

The suite uses their public API everywhere else (``schemathesis.openapi.from_path``, ``schemathesis.
checks``, ``schemathesis.Config``, ``APIStateMachine.run``, ``hypothesis.settings``...). Two things have
no public form today, and live here:

- building one operation's Hypothesis test (examples, coverage and fuzzing phases) without
  Schemathesis' pytest integration, whose ``from_fixture`` is unusable with pytest 9 (it writes
  ``node._nodeid``);
- forcing the session's seed on every ``@given`` when the seed was not given on the command line
  (Hypothesis' own pytest plugin does exactly this for ``--hypothesis-seed``).

``tests/contract/test_schemathesis_adapter.py`` imports each name below; when an upgrade moves one,
that test fails with a message naming it and the version, instead of every run failing obscurely.
The pins in pyproject.toml allow the versions CI tests (lowest and highest).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis

PRIVATE_NAMES = (
    ("schemathesis.pytest._test_builder", "build_operation_test"),
    ("schemathesis.python._constants.orchestrator", "make_constants_value_source"),
    ("schemathesis.generation.feedback", "FeedbackSources"),
    ("hypothesis.core", "global_force_seed"),
)
"""(module, attribute) of every internal this module uses: the canary test's list."""


def operation_test(
    schema: schemathesis.BaseSchema, operation_id: str, check_case: Callable[[schemathesis.Case], None]
) -> Callable[[], None]:
    """The operation's Hypothesis test, built as Schemathesis' pytest integration builds it."""
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.pytest._test_builder import build_operation_test
    from schemathesis.python._constants.orchestrator import make_constants_value_source

    test: Callable[[], None] = build_operation_test(
        config=schema.config,
        operation=schema.find_operation_by_id(operation_id),  # type: ignore[attr-defined]  # OpenAPI schemas only
        test_func=check_case,
        given_kwargs={},
        feedback=FeedbackSources(constants_value_source=make_constants_value_source(schema)),
    )
    return test


def force_seed(seed: int) -> None:
    """Every Hypothesis test of the session uses ``seed`` (so a run is replayed from its seed alone)."""
    from hypothesis import core

    value: Any = seed
    core.global_force_seed = value

"""The catalogue is what the issue asks for: 30+ named, documented faults covering every family.

Fast (no processes): it guards the table itself, so a fault with no reference, an expected family no
check could ever claim, or a name the proxy cannot build fails here and not an hour into the matrix.
"""

from __future__ import annotations

import re

import pytest

from .behaviours import Behaviour
from .catalogue import CATALOGUE, FAMILIES, NONE, behaviour
from .demonstrations import DEMONSTRATIONS
from .gaps import SUITE_GAPS

ISSUE_FAMILIES = {*FAMILIES, "transport"}


def test_at_least_thirty_faults() -> None:
    assert len(CATALOGUE) >= 30


def test_every_family_has_faults() -> None:
    covered = {f.family for f in CATALOGUE.values()}
    assert covered == ISSUE_FAMILIES, f"families without a fault: {ISSUE_FAMILIES - covered}"


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_fault_is_well_formed(name: str) -> None:
    fault = CATALOGUE[name]
    assert re.fullmatch(r"[0-9a-z][0-9a-zA-Z-]*", name), "names are kebab-case (selectable on a command line)"
    assert fault.description and fault.reference, "every fault says what it does and which rule it breaks"
    assert fault.family in fault.expect or fault.expect == ("*",), "the fault's own family may claim it"
    assert set(fault.expect) <= {*FAMILIES, "*"}, "expected families must be contract check families"
    assert fault.expect != ("*",) or fault.message, "a catch-all expectation needs a message pattern"
    assert isinstance(fault.make(), Behaviour)


def test_transport_faults_must_say_why() -> None:
    for fault in CATALOGUE.values():
        if fault.family == "transport":
            assert fault.message, f"{fault.name}: a transport kill must name the symptom"


def test_none_is_the_transparent_proxy() -> None:
    assert type(behaviour(NONE)) is Behaviour
    with pytest.raises(KeyError, match="unknown fault"):
        behaviour("no-such-fault")


def test_every_known_gap_is_demonstrated() -> None:
    """A miss is only a suite defect if the fault is observable: each listed gap has a scenario."""
    assert set(SUITE_GAPS) <= set(CATALOGUE)
    assert set(SUITE_GAPS) <= set(DEMONSTRATIONS)

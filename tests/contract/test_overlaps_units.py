"""The list oracles of ``contract/test_overlaps.py``: a half-written item of ours, a totalCount that is
not the unpaged length, a recording that vanishes from a later list; foreign ids are never judged.
Each is shown to fire on the bug and to stay silent on a correct sequence of lists."""

from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():  # its recqual markers are registered by the contract plugin only
    warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
    from contract.test_overlaps import (
        count_mismatches,
        incomplete_items,
        listed_fields,
        seen_fields,
        vanished,
    )

META = {
    "startDateTime": "2026-12-01T10:00:00.1111111Z",
    "duration": "PT11S",
    "direction": 1,
    "localParty": {"username": "Admin", "phoneNumber": "7001"},
    "remoteParty": {"phoneNumber": "+397002"},
}
ITEM = {
    "id": "a",
    "referenceNumber": "0000000007",
    "startTime": "2026-12-01T10:00:00.111Z",  # milliseconds: the same second, still complete
    "duration": "PT11S",
    "direction": 1,
    "localPartyNumber": "7001",
    "remotePartyNumber": "+397002",
    "ownerUsername": "admin",
}


def _list(*items: dict) -> dict:
    return {"totalCount": len(items), "recordings": list(items)}


def test_a_complete_item_is_accepted_and_a_half_written_one_is_not() -> None:
    want, refs = {"a": listed_fields(META, "admin")}, {"a": "0000000007"}
    assert seen_fields(ITEM) == want["a"]
    assert incomplete_items([_list(ITEM)], want, refs) == []
    half = {**ITEM, "duration": "PT0S", "referenceNumber": ""}
    problems = incomplete_items([_list(), _list(half), _list(ITEM)], want, refs)
    assert len(problems) == 1 and problems[0].startswith("list 1: a shows")
    assert incomplete_items([_list({**ITEM, "id": "foreign", "duration": "PT0S"})], want, refs) == []


def test_total_count_must_be_the_unpaged_length() -> None:
    assert count_mismatches([_list(ITEM), _list()]) == []
    assert count_mismatches([{"totalCount": 2, "recordings": [ITEM]}]) == ["list 0: totalCount 2, items 1"]


def test_a_listed_recording_must_stay_listed() -> None:
    other = {**ITEM, "id": "b"}
    assert vanished([_list(), _list(ITEM), _list(ITEM, other)], {"a", "b"}) == []
    assert vanished([_list(ITEM, other), _list(other)], {"a", "b"}) == ["list 1 no longer shows ['a']"]
    assert vanished([_list({**ITEM, "id": "x"}), _list()], {"a"}) == []  # foreign: not judged

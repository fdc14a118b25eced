"""The oracles and generators behind the combination checks of transfer, status and schema.

Invariants under test:

* every covering-array row's upload (``strategies.metadata.upload_case``) is valid
  ``UploadRecordingMetadata``, inside the window, and really of the row's classes (an offset start has
  an offset, a summer start is in European summer time, a fraction duration has a fraction ...);
* the summer spans and daylight-saving edges are the real European dates;
* ``listed_differences`` and ``same_duration`` accept two spellings of one value and refuse a changed
  one; ``model_errors`` accepts a valid model (nulls included) and names the path of a mistyped field;
* every ``reason_cases`` query has exactly one invalid parameter, the row's, in the row's place.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import specs
from contract.schema_checks import model_errors
from contract.test_list_reasons import (
    INVALID_VALUES,
    REASON_DIMENSIONS,
    VALID_FILTERS,
    expected_reason,
    reason_cases,
)
from contract.test_transfer import recased, same_duration
from contract.test_upload_combinations import dimensions_for, listed_differences
from strategies import metadata
from strategies.durations import parse_iso_duration
from strategies.pairwise import covering_rows
from strategies.rhs_colon import TICKS_PER_SECOND, Instant

DAY = 86_400 * TICKS_PER_SECOND
LATEST = Instant.parse("2026-12-03T12:00:00Z")
EARLIEST = LATEST - 400 * DAY
UPLOAD = jsonschema.Draft7Validator(
    {
        "$ref": "#/components/schemas/UploadRecordingMetadata",
        "components": yaml.safe_load(specs.RECORDINGS.read_text())["components"],
    }
)
ROWS = covering_rows(dimensions_for(other_owner=True, regions=metadata.start_regions(EARLIEST, LATEST)))


def test_the_european_clock_changes() -> None:
    assert metadata.dst_edges(EARLIEST, LATEST) == [
        Instant.parse("2026-03-29T01:00:00Z"),
        Instant.parse("2026-10-25T01:00:00Z"),
    ]
    assert metadata.summer_spans(EARLIEST, LATEST) == [
        (Instant.parse("2026-03-29T01:00:00Z"), Instant.parse("2026-10-25T01:00:00Z"))
    ]
    winter = (Instant.parse("2026-11-01T00:00:00Z"), Instant.parse("2026-12-01T00:00:00Z"))
    assert metadata.start_regions(*winter) == ("utc", "sub-second", "offset")


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_row_uploads_valid_metadata_of_its_classes(data: st.DataObject) -> None:
    row = data.draw(st.sampled_from(ROWS))
    meta = data.draw(
        metadata.upload_case(
            row,
            owners={"self": "admin", "other": "base"},
            local_number="7001",
            earliest=EARLIEST,
            latest=LATEST,
        )
    )
    UPLOAD.validate(json.loads(json.dumps(meta)))
    start_text = meta["startDateTime"]
    start = Instant.parse(start_text)
    assert EARLIEST <= start <= LATEST
    assert (start_text.endswith("Z")) == (row["start"] in ("utc", "sub-second"))
    if row["start"] == "summer":
        assert metadata.summer_spans(start, start + 1) or any(
            a <= start <= b for a, b in metadata.summer_spans(EARLIEST, LATEST)
        )
    if row["start"] == "dst-edge":
        assert any(
            abs(start - edge) <= 3600 * TICKS_PER_SECOND for edge in metadata.dst_edges(EARLIEST, LATEST)
        )
    ticks = parse_iso_duration(meta["duration"])
    assert (ticks % TICKS_PER_SECOND != 0) == ("fraction" in str(row["duration"]))
    assert (ticks >= 3600 * TICKS_PER_SECOND) == (row["duration"] == "hours")
    assert meta["localParty"]["username"] == {"self": "admin", "other": "base"}[str(row["owner"])]
    assert ("notes" in meta) == (row["notes"] != "none") and meta["preserved"] is row["preserved"]
    if row["notes"] == "unicode":
        assert any(ord(c) > 0xFF for c in meta["notes"])
    remote = (meta.get("remoteParty") or {}).get("phoneNumber")
    assert (remote is None) == (row["remote"] == "none")
    if row["remote"] == "plus":
        assert remote.startswith("+")


def test_rows_reach_every_pair() -> None:
    dims = dimensions_for(other_owner=True, regions=metadata.start_regions(EARLIEST, LATEST))
    from strategies.pairwise import pair_coverage

    assert pair_coverage(ROWS, dims).percent == 100.0
    assert dimensions_for(other_owner=False, regions=("utc",))["owner"] == ("self",)


ITEM = {
    "id": "75a90276-e47e-4e9e-b463-e3c743d5ff3a",
    "referenceNumber": "1",
    "startTime": "2026-07-01T10:00:00Z",
    "duration": "PT1M30S",
    "direction": 1,
    "localPartyNumber": "100",
    "remotePartyNumber": None,
}


def test_listed_differences() -> None:
    same = {
        **ITEM,
        "startTime": "2026-07-01T12:00:00.000+02:00",
        "duration": "PT90S",
        "remotePartyNumber": "",
    }
    assert listed_differences({**same, "ownerUsername": "Admin"}, ITEM, "admin") == []
    assert (
        listed_differences({**same, "id": ITEM["id"].upper(), "ownerUsername": "admin"}, ITEM, "admin") == []
    )
    changed = {**ITEM, "direction": "1", "duration": "01:30", "ownerUsername": "bob"}
    assert [d.split(":")[0] for d in listed_differences(changed, ITEM, "admin")] == [
        "direction",
        "duration",
        "ownerUsername",
    ]


def test_same_duration() -> None:
    assert same_duration("PT1M30S", "PT90S") and not same_duration("PT1M31S", "PT90S")
    assert same_duration("PT3S", "PT2.5S") and same_duration("PT2S", "PT2.5S")
    assert not same_duration("PT1M25S", "PT1M2.5S") and not same_duration(73.0, "PT1M13S")


def test_recased() -> None:
    rec = ITEM["id"]
    assert recased(rec, "lower") == rec and recased(rec, "upper") == rec.upper()
    mixed = recased(rec, "mixed")
    assert mixed.lower() == rec and mixed not in (rec, rec.upper())


DETAIL: dict[str, Any] = {
    **ITEM,
    "owner": {
        "username": "a",
        "firstName": "",
        "lastName": "",
        "phoneNumber": "",
        "group": "",
        "department": "",
    },
    "preservingUser": None,
    "note": None,
    "pbxInfo": None,
    "size": 1,
    "hash": {"algorithm": "SHA-256", "value": "0" * 64},
}


def test_model_errors() -> None:
    assert model_errors(specs.RECORDINGS, "RecordingDetail", DETAIL) == []
    broken = {**DETAIL, "preservingUser": "a", "duration": "01:02:03", "direction": "1"}
    assert {tuple(p) for p, _ in model_errors(specs.RECORDINGS, "RecordingDetail", broken)} == {
        ("direction",),
        ("duration",),
        ("preservingUser",),
    }
    assert model_errors(specs.RECORDINGS, "Recording", {**ITEM, "ownerUsername": "a"}) == []
    assert [p for p, _ in model_errors(specs.RECORDINGS, "Recording", ITEM)] == [[]]  # ownerUsername missing
    live = {
        "id": ITEM["id"],
        "duration": "PT1M13S",
        "startedAt": "2018-07-02T15:07:00.0000000",
        "localParty": {"username": "u"},
        "remoteParty": {"firstName": "", "lastName": "", "phoneNumber": "1"},
        "isPaused": False,
    }
    assert model_errors(specs.LIVE_RECORDINGS, "LiveRecording", live) == []  # zone-less
    assert model_errors(specs.LIVE_RECORDINGS, "LiveRecording", {**live, "startedAt": "02/07/2018 15:07:00"})


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_reason_cases_have_exactly_one_invalid_parameter(data: st.DataObject) -> None:
    row = data.draw(st.sampled_from(covering_rows(REASON_DIMENSIONS)))
    query = data.draw(reason_cases(row))
    invalid = [(n, v) for n, v in query if v in INVALID_VALUES.get(n, ())]
    assert [n for n, _ in invalid] == [row["invalid"]]
    assert query.index(invalid[0]) == (0 if row["position"] == "first" else len(query) - 1)
    assert all(n in ("page", "pageSize") or v in VALID_FILTERS[n] for n, v in query if (n, v) != invalid[0])
    assert len({n for n, _ in query}) == len(query), "no parameter is sent twice"
    assert expected_reason(str(row["invalid"]))[0] == (1 if row["invalid"] in ("page", "pageSize") else 0)

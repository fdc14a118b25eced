"""Upload metadata, telephony values and call set-ups against the schemas in `specs/`.

Invariants under test (reference §2.2, §3, §7, A-5):
* `upload_metadata()` is valid against `UploadRecordingMetadata` and starts in the past, inside the
  window; every PbxInfo variant and every optional field occurs present and absent;
* every `invalid_metadata()` example is invalid for its labelled reason (schema error, unparsable
  value, or a start more than 5 minutes ahead);
* telephony values have their documented shapes and call set-ups are valid `CallSetup` bodies.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import jsonschema
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from specs import EMULATOR_CONTROL, RECORDINGS
from strategies.durations import iso_duration, parse_iso_duration
from strategies.metadata import PBX_TYPES, invalid_metadata, outside_retention_metadata, upload_metadata
from strategies.rhs_colon import TICKS_PER_SECOND, FilterSyntaxError, Instant
from strategies.telephony import call_setups, device_names, directory_numbers, phone_numbers, usernames

MINUTE = 60 * TICKS_PER_SECOND
DAY = 1440 * MINUTE


def validator(spec_path, name: str) -> jsonschema.Draft7Validator:
    doc = yaml.safe_load(spec_path.read_text())
    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    return jsonschema.Draft7Validator(schema)


UPLOAD = validator(RECORDINGS, "UploadRecordingMetadata")
CALL_SETUP = validator(EMULATOR_CONTROL, "CallSetup")


def collect(strategy, n: int) -> list:
    seen: list = []

    @settings(
        max_examples=n,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(x):
        seen.append(x)

    run()
    return seen


@settings(max_examples=60, deadline=None)
@given(upload_metadata(usernames=("admin", "op1")))
def test_upload_metadata_is_valid_and_in_the_past(meta):
    UPLOAD.validate(meta)
    json.dumps(meta)
    start = Instant.parse(meta["startDateTime"])
    now = Instant.now()
    assert now - 29 * DAY <= start <= now
    assert parse_iso_duration(meta["duration"]) >= TICKS_PER_SECOND
    assert meta["localParty"]["username"] in ("admin", "op1")


def test_every_variant_and_optional_field_occurs():
    metas = collect(upload_metadata(), 200)
    present = Counter(k for m in metas for k in m)
    for key in ("remoteParty", "notes", "preserved", "pbxCallId", "pbxInfo"):
        assert 0 < present[key] < len(metas), key
    assert {m["pbxInfo"]["type"] for m in metas if "pbxInfo" in m} == set(PBX_TYPES)
    assert {m["direction"] for m in metas} == {0, 1, 2}


def invalid_for_its_reason(meta: dict) -> bool:
    """Independent judgement: schema errors, unparsable date or duration, or a start > 5 min ahead."""
    if any(UPLOAD.iter_errors(meta)):
        return True
    try:
        start = Instant.parse(meta["startDateTime"])
        parse_iso_duration(meta["duration"])
    except (FilterSyntaxError, ValueError):
        return True
    return start > Instant.now() + 5 * MINUTE


@settings(max_examples=80, deadline=None)
@given(invalid_metadata())
def test_invalid_metadata_is_invalid(bad):
    assert invalid_for_its_reason(bad.metadata), bad.why
    assert (bad.expected_status, bad.expected_reason) == (400, 1)
    json.dumps(bad.metadata)


def test_the_judgement_accepts_valid_metadata():
    """So the test above cannot pass by calling everything invalid."""
    assert not any(invalid_for_its_reason(m) for m in collect(upload_metadata(), 50))


@settings(max_examples=20, deadline=None)
@given(outside_retention_metadata(retention_days=30))
def test_outside_retention_metadata_is_valid_but_old(meta):
    UPLOAD.validate(meta)
    assert Instant.parse(meta["startDateTime"]) < Instant.now() - 31 * DAY + MINUTE


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10**12))
def test_iso_durations_round_trip(ticks):
    text = iso_duration(ticks)
    assert re.fullmatch(r"PT(\d+H)?(\d+M)?(\d+(\.\d+)?S)?", text) and text != "PT"
    assert parse_iso_duration(text) == ticks


def test_iso_duration_examples_from_the_reference():
    assert iso_duration(90 * TICKS_PER_SECOND) == "PT1M30S"
    assert parse_iso_duration("PT1M13S") == 73 * TICKS_PER_SECOND
    assert parse_iso_duration("P1DT1S") == DAY + TICKS_PER_SECOND


@settings(max_examples=60, deadline=None)
@given(phone_numbers(), device_names(), directory_numbers(), usernames())
def test_telephony_shapes(phone, device, dn, user):
    assert re.fullmatch(r"\+?[0-9]{3,15}", phone)
    assert re.fullmatch(r"SEP[0-9A-F]{12}", device)
    assert re.fullmatch(r"[0-9]{3,8}", dn)
    assert re.fullmatch(r"[a-z][a-z0-9._-]{0,15}", user)


@settings(max_examples=60, deadline=None)
@given(call_setups())
def test_call_setups_are_valid_bodies(body):
    CALL_SETUP.validate(body)


@settings(max_examples=30, deadline=None)
@given(
    call_setups(
        device_name="SEP00112233AABB",
        directory_number="1001",
        username="op1",
        monitorable=True,
        auto_record=False,
    )
)
def test_pinned_call_setup_fields_are_always_sent(body):
    assert body["deviceName"] == "SEP00112233AABB" and body["directoryNumber"] == "1001"
    assert (body["username"], body["monitorable"], body["autoRecord"]) == ("op1", True, False)

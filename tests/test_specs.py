"""The specs say exactly what the reference says: every operation, status code and required field.

`specs/` is the single source of truth for Schemathesis, the emulator and the load scenarios, so a
dropped status code or required field here silently weakens every later check. The tables below are
copied by hand from `shared/api/recording-api-reference.md` (section 2 and 3), deliberately not derived
from the YAML: the test compares two independent writings of the same facts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

import specs

REPO = Path(__file__).resolve().parents[1]
REFERENCE = Path(
    os.environ.get("RECQUAL_REFERENCE", REPO.parent / "shared" / "api" / "recording-api-reference.md")
)

RECORDINGS_BASE = "/fw/Apps/Recorder/WebAPI/Recordings"
LIVE_BASE = "/fw/Apps/Recorder/WebAPI/LiveRecordings"

# operationId: (spec file, method, path, documented status codes) -- reference section 2, table.
OPERATIONS: dict[str, tuple[Path, str, str, set[int]]] = {
    "listRecordings": (specs.RECORDINGS, "get", "/", {200, 400, 401, 403, 500, 504}),
    "getRecording": (specs.RECORDINGS, "get", "/{id}", {200, 400, 401, 403, 404, 500, 504}),
    "downloadRecording": (specs.RECORDINGS, "get", "/{id}/Media", {200, 400, 401, 403, 404, 500, 504}),
    "uploadRecording": (specs.RECORDINGS, "post", "/", {201, 400, 401, 403, 409, 500, 501, 504}),
    "listActiveRecordings": (specs.LIVE_RECORDINGS, "get", "/", {200, 401, 403, 500}),
    "listMyActiveRecordings": (specs.LIVE_RECORDINGS, "get", "/Mine", {200, 401, 403, 500}),
    "startRecording": (
        specs.LIVE_RECORDINGS,
        "post",
        "/",
        {201, 400, 401, 403, 409, 429, 500, 501, 503},
    ),
    "stopRecordingByLine": (specs.LIVE_RECORDINGS, "delete", "/", {204, 400, 401, 403, 409, 500}),
    "stopRecording": (specs.LIVE_RECORDINGS, "delete", "/{id}", {204, 400, 401, 403, 409, 500, 504}),
    "stopMyRecording": (specs.LIVE_RECORDINGS, "delete", "/Mine", {204, 400, 401, 403, 409, 500}),
    "pauseRecording": (specs.LIVE_RECORDINGS, "put", "/{id}/Pause", {204, 400, 401, 403, 409, 429, 500}),
    "resumeRecording": (specs.LIVE_RECORDINGS, "put", "/{id}/Resume", {204, 400, 401, 403, 409, 429, 500}),
    "pauseRecordingsByLine": (specs.LIVE_RECORDINGS, "put", "/Pause", {204, 400, 401, 403, 409, 429, 500}),
    "resumeRecordingsByLine": (specs.LIVE_RECORDINGS, "put", "/Resume", {204, 400, 401, 403, 409, 429, 500}),
}

# 400 `reason` values per operation: documented ones (section 2.2, 2.3) and assumed ones.
REASONS_400: dict[str, set[int]] = {
    "listRecordings": {0, 1},
    "uploadRecording": {0, 1, 2},
    "startRecording": {0, 1, 2, 3, 4},
    "stopRecording": {0, 1, 2},
    "pauseRecording": {0},
    "resumeRecording": {0},
    "pauseRecordingsByLine": {0, 1},
    "resumeRecordingsByLine": {0, 1},
}

# schema name: required properties (reference section 3; response models list every field the vendor
# describes as part of the model, request models exactly the vendor's required list).
REQUIRED: dict[tuple[Path, str], set[str]] = {
    (specs.RECORDINGS, "RecordingBase"): {
        "id",
        "referenceNumber",
        "startTime",
        "duration",
        "direction",
        "localPartyNumber",
        "remotePartyNumber",
    },
    (specs.RECORDINGS, "RecordingList"): {"totalCount", "recordings"},
    (specs.RECORDINGS, "User"): {"username"},
    (specs.RECORDINGS, "Note"): {"owner", "text"},
    (specs.RECORDINGS, "Hash"): {"algorithm", "value"},
    (specs.RECORDINGS, "UploadRecordingMetadata"): {"startDateTime", "duration", "direction", "localParty"},
    (specs.RECORDINGS, "Created"): {"id"},
    (specs.RECORDINGS, "ListRecordingsError"): {"reason", "message"},
    (specs.RECORDINGS, "UploadRecordingError"): {"reason", "message"},
    (specs.LIVE_RECORDINGS, "LiveRecording"): {
        "id",
        "duration",
        "startedAt",
        "localParty",
        "remoteParty",
        "isPaused",
    },
    (specs.LIVE_RECORDINGS, "LocalParty"): {"username"},
    (specs.LIVE_RECORDINGS, "Created"): {"id"},
    (specs.LIVE_RECORDINGS, "StartRecordingError"): {"reason", "message"},
    (specs.LIVE_RECORDINGS, "StopRecordingError"): {"reason", "message"},
}

# Properties each model must define (reference section 3), required or not.
PROPERTIES: dict[tuple[Path, str], set[str]] = {
    (specs.RECORDINGS, "User"): {"username", "firstName", "lastName", "phoneNumber", "group", "department"},
    (specs.RECORDINGS, "UploadRecordingMetadata"): {
        "startDateTime",
        "duration",
        "direction",
        "localParty",
        "remoteParty",
        "notes",
        "preserved",
        "pbxCallId",
        "pbxInfo",
    },
    (specs.LIVE_RECORDINGS, "StartRecording"): {"deviceName", "directoryNumber", "mode"},
    (specs.LIVE_RECORDINGS, "RemoteParty"): {"firstName", "lastName", "phoneNumber"},
}

PBX_VARIANTS = {
    "generic": {"localCallId", "remoteCallId"},
    "media-forking": {"localCallId", "remoteCallId", "sessionId"},
    "siprec": {"localSessionId", "remoteSessionId"},
    "webex": {"callId", "externalTrackingId"},
    "ms-teams": {"callId", "callChainId"},
}

FILTER_FORMATS = {
    "startTime": "RHS-Colon:datetime",
    "endTime": "RHS-Colon:datetime",
    "remoteParty": "RHS-Colon:string",
}

ALL_SPECS = (specs.RECORDINGS, specs.LIVE_RECORDINGS, specs.EMULATOR_CONTROL)


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"only local references are used in specs/: {ref}"
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolvable $ref {ref}"
        node = node[part]
    return node


def deref(document: dict[str, Any], node: Any) -> Any:
    """Inline every local `$ref` so a plain JSON Schema validator can check examples.

    `discriminator` is dropped on the way: its `mapping` holds references as plain strings, which no
    longer resolve once inlined, and it only names the `oneOf` branch that validation tries anyway.
    """
    if isinstance(node, dict):
        if "$ref" in node:
            return deref(document, resolve(document, node["$ref"]))
        return {key: deref(document, value) for key, value in node.items() if key != "discriminator"}
    if isinstance(node, list):
        return [deref(document, item) for item in node]
    return node


def walk(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, str(index)))


def operation(op_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    spec_path, method, path, _ = OPERATIONS[op_id]
    document = load(spec_path)
    return document, document["paths"][path][method]


@pytest.mark.parametrize("spec_path", ALL_SPECS, ids=lambda p: p.name)
def test_spec_is_valid_openapi_3_0(spec_path: Path) -> None:
    document = load(spec_path)
    assert document["openapi"].startswith("3.0")
    validate(document)


@pytest.mark.parametrize("spec_path", ALL_SPECS, ids=lambda p: p.name)
def test_every_ref_resolves(spec_path: Path) -> None:
    document = load(spec_path)
    refs = [node["$ref"] for _, node in walk(document) if isinstance(node, dict) and "$ref" in node]
    assert refs, "a spec without references is suspicious: components are meant to be shared"
    for ref in refs:
        resolve(document, ref)


def test_operation_table_matches_the_specs_exactly() -> None:
    found: dict[str, tuple[Path, str, str, set[int]]] = {}
    for spec_path in specs.VENDOR_SPECS:
        for path, item in load(spec_path)["paths"].items():
            for method, op in item.items():
                codes = {int(code) for code in op["responses"]}
                found[op["operationId"]] = (spec_path, method, path, codes)
    assert found == OPERATIONS


@pytest.mark.parametrize(
    ("spec_path", "base"), [(specs.RECORDINGS, RECORDINGS_BASE), (specs.LIVE_RECORDINGS, LIVE_BASE)]
)
def test_servers_carry_the_base_path_and_a_localhost_host(spec_path: Path, base: str) -> None:
    servers = load(spec_path)["servers"]
    assert servers
    for server in servers:
        assert server["url"].endswith("{host}" + base)
        assert server["variables"]["host"]["default"] == "localhost"


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_every_operation_requires_basic_auth(op_id: str) -> None:
    document, op = operation(op_id)
    scheme = document["components"]["securitySchemes"]["basic"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "basic")
    assert op.get("security", document.get("security")) == [{"basic": []}]


@pytest.mark.parametrize("op_id", sorted(REASONS_400))
def test_400_reason_codes(op_id: str) -> None:
    document, op = operation(op_id)
    schema = deref(document, op["responses"]["400"])["content"]["application/json"]["schema"]
    assert set(schema["properties"]["reason"]["enum"]) == REASONS_400[op_id]
    assert {"reason", "message"} <= set(schema["required"])


def schema_id(key: tuple[Path, str]) -> str:
    return f"{key[0].stem}:{key[1]}"


@pytest.mark.parametrize("key", sorted(REQUIRED, key=schema_id), ids=schema_id)
def test_required_fields(key: tuple[Path, str]) -> None:
    spec_path, name = key
    required = REQUIRED[key]
    schema = load(spec_path)["components"]["schemas"][name]
    assert set(schema.get("required", [])) == required
    assert required <= set(schema["properties"])


def test_recording_views_extend_the_base() -> None:
    schemas = load(specs.RECORDINGS)["components"]["schemas"]
    views = (("Recording", {"ownerUsername"}), ("RecordingDetail", {"owner", "size", "hash"}))
    for name, extra_required in views:
        base_ref, extension = schemas[name]["allOf"]
        assert base_ref == {"$ref": "#/components/schemas/RecordingBase"}
        assert set(extension["required"]) == extra_required
    detail = schemas["RecordingDetail"]["allOf"][1]["properties"]
    assert set(detail) == {"pbxCallId", "pbxInfo", "owner", "preservingUser", "note", "size", "hash"}
    assert detail["pbxCallId"]["deprecated"] is True


@pytest.mark.parametrize("key", sorted(PROPERTIES, key=schema_id), ids=schema_id)
def test_model_properties(key: tuple[Path, str]) -> None:
    spec_path, name = key
    properties = PROPERTIES[key]
    assert set(load(spec_path)["components"]["schemas"][name]["properties"]) == properties


def test_pbx_info_is_a_discriminated_union_of_five_variants() -> None:
    schemas = load(specs.RECORDINGS)["components"]["schemas"]
    pbx = schemas["PbxInfo"]
    assert pbx["discriminator"]["propertyName"] == "type"
    assert set(pbx["discriminator"]["mapping"]) == set(PBX_VARIANTS)
    assert len(pbx["oneOf"]) == len(PBX_VARIANTS)
    for type_name, ref in pbx["discriminator"]["mapping"].items():
        variant = schemas[ref.rsplit("/", 1)[1]]
        assert {"$ref": ref} in pbx["oneOf"]
        assert variant["properties"]["type"]["enum"] == [type_name]
        assert set(variant["properties"]) == PBX_VARIANTS[type_name] | {"type"}
        assert "type" in variant["required"]


def test_upload_is_multipart_with_typed_parts() -> None:
    _, op = operation("uploadRecording")
    multipart = op["requestBody"]["content"]["multipart/form-data"]
    assert set(multipart["schema"]["required"]) == {"jsondata", "attachment"}
    assert multipart["encoding"]["jsondata"]["contentType"] == "application/json"
    accepted = {t.strip() for t in multipart["encoding"]["attachment"]["contentType"].split(",")}
    assert accepted == {
        "audio/wave",
        "audio/vnd.wav",
        "audio/vnd.wave",
        "audio/wav",
        "audio/x-pn-wav",
        "audio/x-wav",
        "audio/mpeg",
    }


def test_download_is_audio_mpeg_and_204s_have_no_body() -> None:
    _, download = operation("downloadRecording")
    assert set(download["responses"]["200"]["content"]) == {"audio/mpeg"}
    for op_id in OPERATIONS:
        _, op = operation(op_id)
        if "204" in op["responses"]:
            assert "content" not in op["responses"]["204"], op_id


def test_filter_parameters_are_typed_by_format() -> None:
    document, op = operation("listRecordings")
    params = {p["name"]: p for p in deref(document, op["parameters"])}
    assert set(params) == {
        "page",
        "pageSize",
        "startTime",
        "endTime",
        "localPartyNumber",
        "remoteParty",
        "ownerUsername",
        "direction",
    }
    for name, fmt in FILTER_FORMATS.items():
        assert params[name]["schema"]["format"] == fmt
    assert params["page"]["schema"]["minimum"] == 0
    assert params["pageSize"]["schema"]["minimum"] == 1
    assert params["direction"]["schema"]["enum"] == [0, 1, 2]
    assert "RHS-Colon" in document["info"]["description"]


def test_live_list_filters() -> None:
    _, op = operation("listActiveRecordings")
    names = {p["name"] for p in op["parameters"]}
    assert names == {"deviceName", "directoryNumber", "username", "numericUserId"}


@pytest.mark.parametrize(
    ("source", "targets"),
    [
        ("startRecording", {"stopRecording", "pauseRecording", "resumeRecording"}),
        ("uploadRecording", {"getRecording", "downloadRecording"}),
    ],
)
def test_links_connect_created_resources(source: str, targets: set[str]) -> None:
    _, op = operation(source)
    links = op["responses"]["201"]["links"]
    assert {link["operationId"] for link in links.values()} == targets
    for link in links.values():
        assert link["parameters"] == {"id": "$response.body#/id"}


def reference_assumptions() -> set[str]:
    if not REFERENCE.is_file():
        pytest.skip(f"the API reference is not at {REFERENCE}; set RECQUAL_REFERENCE to its path")
    return set(re.findall(r"\[assumed (A-\d+[a-z]?)\]", REFERENCE.read_text(encoding="utf-8")))


def assumption_marks(document: dict[str, Any]) -> set[str]:
    """Every assumption id named by an `x-assumed` (a single id or a list of them) in a document."""
    marks: set[str] = set()
    for _, node in walk(document):
        if isinstance(node, dict) and "x-assumed" in node:
            mark = node["x-assumed"]
            marks |= {mark} if isinstance(mark, str) else set(mark)
    return marks


@pytest.mark.parametrize("spec_path", specs.VENDOR_SPECS, ids=lambda p: p.name)
def test_every_x_assumed_names_a_reference_assumption(spec_path: Path) -> None:
    known = reference_assumptions()
    assert known, "no [assumed A-n] markers found in the reference: has its format changed?"
    marks = assumption_marks(load(spec_path))
    assert marks
    assert marks <= known, f"not assumptions of the reference: {sorted(marks - known)}"


def test_every_assumption_of_the_reference_shapes_some_element() -> None:
    """An assumption nothing in the specs carries is an assumption no check will ever be tagged with."""
    marks = set().union(*(assumption_marks(load(p)) for p in specs.VENDOR_SPECS))
    assert reference_assumptions() == marks


def examples(document: dict[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    """Every (where, example, schema) pair: schema-level, parameter-level and media-type examples."""
    for path, node in walk(document):
        if not isinstance(node, dict) or "example" not in node:
            continue
        where = "/".join(path)
        if "schema" in node:  # a parameter or a media type: its example is of its schema
            yield where, node["example"], node["schema"]
        elif path and path[-1] != "properties":  # a schema with its own example
            yield where, node["example"], {k: v for k, v in node.items() if k != "example"}


@pytest.mark.parametrize("spec_path", ALL_SPECS, ids=lambda p: p.name)
def test_every_example_validates_against_its_schema(spec_path: Path) -> None:
    document = load(spec_path)
    found = list(examples(document))
    if spec_path != specs.EMULATOR_CONTROL:
        assert found, "the vendor specs carry examples; none were found"
    for where, example, schema in found:
        errors = list(OAS30Validator(deref(document, schema)).iter_errors(example))
        assert not errors, f"{where}: {[e.message for e in errors]}"


def test_guid_parameters_accept_the_vendors_mixed_case_example() -> None:
    document = load(specs.RECORDINGS)
    param = document["components"]["parameters"]["recordingId"]
    assert re.fullmatch(param["schema"]["pattern"], "75A90276-E47E-4e9e-B463-E3C743D5FF3A")
    assert not re.fullmatch(param["schema"]["pattern"], "75A90276E47E4e9eB463E3C743D5FF3A-")


def test_operation_ids_helper_lists_each_spec_in_document_order() -> None:
    assert set(specs.operation_ids(specs.RECORDINGS)) | set(
        specs.operation_ids(specs.LIVE_RECORDINGS)
    ) == set(OPERATIONS)
    assert specs.operation_ids(specs.RECORDINGS)[:2] == ("listRecordings", "uploadRecording")

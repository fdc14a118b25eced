"""Pure logic of the conformance suite, without sockets: failures, profiles, the client's safety rules,
target configuration, the live model, spec provenance and the schema-check predicates."""

from __future__ import annotations

import datetime
import time
from types import SimpleNamespace

import httpx
import pytest
import schemathesis

import specs
from contract import failures
from contract.client import ApiClient, ClientConfig, Credentials, RateLimiter, Redactor, render_curl
from contract.failures import ConformanceFailure, ReadOnlyViolation, TargetError
from contract.live_model import LineModel, LiveModel, RecordedTime
from contract.provenance import CheckSpec, classify, deviation_message
from contract.schema_checks import (
    OPTIONAL_BODY_OPERATIONS,
    _names_no_line,
    absent_optional_body,
    body_may_read_as_none,
    path_value_reroutes,
)
from contract.schema_transport import keep_off_real_lines, wire_url
from contract.spec_provenance import load, response_provenance


def _failure(provenance: str = "documented", **kw: str) -> ConformanceFailure:
    base = dict(
        operation="pauseRecording",
        check="pause twice",
        title="second pause",
        expected="429",
        actual="409",
        curl="curl -X PUT http://x",
        response="[409] {}",
    )
    base.update(kw)
    return ConformanceFailure(provenance=provenance, seed=42, **base)


def test_failure_layout_is_fixed() -> None:
    text = _failure().render()
    assert text.splitlines() == [
        "[pauseRecording] pause twice (documented)",
        "  second pause",
        "  Expected: 429",
        "  Received: 409",
        "  Response: [409] {}",
        "Reproduce with:",
        "    curl -X PUT http://x",
        "Seed: pytest --hypothesis-seed=42",
    ]
    assert "(assumed A-8)" in _failure("A-8").render()


def test_failures_merge_by_identity_and_reject_unknown_provenance() -> None:
    assert _failure() == _failure(curl="curl other")
    assert len({_failure(), _failure(curl="x")}) == 1
    with pytest.raises(ValueError, match="provenance"):
        _failure("assumed")


def test_deviation_needs_a_non_strict_profile_and_only_assumed_failures() -> None:
    assumed, documented = _failure("A-8"), _failure()
    assert classify(assumed, strict=True) == "failed"
    assert classify(assumed, strict=False) == "deviation"
    assert classify(ExceptionGroup("g", [assumed, _failure("A-7", check="x")]), strict=False) == "deviation"
    assert classify(ExceptionGroup("g", [assumed, documented]), strict=False) == "failed"
    assert classify(ValueError("boom"), strict=False) == "failed"
    assert deviation_message(assumed).startswith("DEVIATION A-8: [pauseRecording]")


def test_marker_is_validated() -> None:
    with pytest.raises(ValueError, match="family"):
        CheckSpec.from_marker_kwargs({"family": "filter", "operation": "x"}, "t")
    with pytest.raises(ValueError, match="needs"):
        CheckSpec.from_marker_kwargs({"family": "auth", "operation": "x", "needs": ["db"]}, "t")
    spec = CheckSpec.from_marker_kwargs({"family": "auth", "operation": ["a", "b"]}, "test_x")
    assert spec.operation == "a,b" and spec.check == "test_x" and spec.provenance == "documented"


def test_credentials_never_render() -> None:
    creds = Credentials("alice", "hunter2-secret", "l10")
    assert "hunter2" not in repr(creds)
    redactor = Redactor()
    redactor.add(creds)
    token = creds.basic().split(" ", 1)[1]
    assert redactor.scrub(f"pw hunter2-secret token {token}") == "pw [REDACTED] token [REDACTED]"
    curl = render_curl("GET", "http://h/x", {"Authorization": creds.basic(), "Accept": "*/*"})
    assert "[REDACTED]" in curl and token not in curl


def _client(handler, **kw) -> tuple[ApiClient, list[httpx.Request]]:  # type: ignore[no-untyped-def]
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return handler(request)

    config = ClientConfig(base_url=f"http://unit-{id(sent)}", transport=httpx.MockTransport(record), **kw)
    return ApiClient(config, Credentials("u", "p4ssw0rd", "l10")), sent


def test_read_only_refuses_writes_before_sending() -> None:
    client, sent = _client(lambda r: httpx.Response(200, json=[]), read_only=True)
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        with pytest.raises(ReadOnlyViolation, match="nothing was sent"):
            client.request(method, "/fw/x", operation="op")
    assert sent == []
    assert client.request("GET", "/fw/x", operation="op").status == 200
    assert len(sent) == 1


def test_transport_errors_become_target_errors_and_trip_the_breaker() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client, sent = _client(boom)
    with pytest.raises(TargetError, match="no answer from the target"):
        client.request("POST", "/fw/x", operation="startRecording")
    with pytest.raises(TargetError, match="stopped answering earlier"):
        client.request("GET", "/fw/x", operation="listRecordings")
    assert len(sent) == 1


def test_rate_limit_spaces_requests() -> None:
    limiter = RateLimiter(20)
    started = time.monotonic()
    for _ in range(5):
        limiter.wait()
    assert time.monotonic() - started >= 0.19


def test_live_model_predictions() -> None:
    model = LiveModel([LineModel("SEP1", "1001", "alice")])
    assert model.start(0).statuses == {409}
    model.lines[0].call_id = "c1"
    assert model.start(0).statuses == {201}
    model.started(0, "R1", 0.0, 0.1)
    assert model.start(0).statuses == {429}
    assert model.resume("r1").statuses == {429}
    assert model.pause("r1").statuses == {204}
    model.paused("r1", 1.0, 1.1)
    assert model.pause("r1").statuses == {429}
    assert model.on_line(0, "resume").statuses == {204}
    assert model.stop("no-such").statuses == {409}
    model.stopped_rec("r1", 2.0, 2.1)
    assert model.on_line(0, "stop").statuses == {409}
    assert model.lines[0].rec is None and "r1" in model.stopped


def test_recorded_time_bounds_freeze_while_paused() -> None:
    clock = RecordedTime()
    clock.run(0.0, 0.1)
    clock.halt(1.0, 1.1)
    assert clock.bounds(5.0, 5.1) == pytest.approx((0.9, 1.1))
    clock.run(6.0, 6.1)
    lower, upper = clock.bounds(7.0, 7.1)
    assert lower == pytest.approx(1.8) and upper == pytest.approx(2.2)


def test_spec_provenance_walks_the_instance_path() -> None:
    import specs

    recordings, live = load(str(specs.RECORDINGS)), load(str(specs.LIVE_RECORDINGS))
    assert response_provenance(recordings, "getRecording", 200, ["hash", "value"]) == "A-10"
    assert response_provenance(recordings, "listRecordings", 200, ["totalCount"]) == "documented"
    assert response_provenance(recordings, "uploadRecording", 201, []) == "A-5"
    assert response_provenance(live, "startRecording", 409, ["reason"]) == "A-9"


def _case(path_parameters: dict[str, str]) -> SimpleNamespace:
    return SimpleNamespace(path_parameters=path_parameters)


@pytest.mark.parametrize(
    ("value", "reroutes"),
    [
        ("", True),
        ("Mine", True),
        ("a/b", True),
        ("..", True),
        (" x", True),
        ("75a90276-e47e-4e9e-b463-e3c743d5ff3a", False),
        ("not-a-guid", False),
    ],
)
def test_path_value_reroutes(value: str, reroutes: bool) -> None:
    assert path_value_reroutes(_case({"id": value})) is reroutes  # type: ignore[arg-type]


def test_named_predicates() -> None:
    assert _names_no_line({"deviceName": "", "mode": 1}, "deviceName", "directoryNumber")
    assert not _names_no_line({"directoryNumber": "1001"}, "deviceName", "directoryNumber")
    assert wire_url("http://h/a\x1fb?q=a b") == "http://h/a%1Fb?q=a%20b"
    assert failures.is_assumption("A-5,A-10") and not failures.is_assumption("documented")


@pytest.mark.parametrize(
    ("status", "body", "absent"),
    [(409, b"", True), (429, b"", True), (503, b"", True), (409, b"{}", False), (400, b"", False)],
)
def test_absent_optional_body(status: int, body: bytes, absent: bool) -> None:
    """A-9: only an empty 409/429/501/503/504 is spared the content-type and schema checks."""
    response = httpx.Response(status, content=body, request=httpx.Request("PUT", "http://h/x"))
    response.read()
    response.elapsed = datetime.timedelta(0)
    assert absent_optional_body(schemathesis.Response.from_httpx(response, verify=True)) is absent


def _operation_case(operation_id: str) -> schemathesis.Case:
    spec = (
        specs.LIVE_RECORDINGS
        if operation_id in specs.operation_ids(specs.LIVE_RECORDINGS)
        else specs.RECORDINGS
    )
    operation = schemathesis.openapi.from_path(str(spec)).find_operation_by_id(operation_id)
    return operation.Case()


@pytest.mark.parametrize(
    ("operation", "sent", "may_read_as_none"),
    [
        ("startRecording", b"\x0c", True),  # CI's false alarm: a "random bytes" body of a form feed
        ("startRecording", b" \r\n\t", True),
        ("startRecording", None, True),
        ("startRecording", b"{}", False),
        ("startRecording", b"\x00", False),
        ("uploadRecording", b" ", False),
        ("startRecording", "\t\n", True),  # a str body: the same bytes on the wire, the same answer
        ("startRecording", "\u2003", False),  # an em space goes as 3 UTF-8 bytes, not all whitespace
        ("startRecording", b"\xe2\x80\x83", False),
    ],
)
def test_a_whitespace_body_may_read_as_none_only_where_the_body_is_optional(
    operation: str, sent: bytes | str | None, may_read_as_none: bool
) -> None:
    assert body_may_read_as_none(_operation_case(operation), sent) is may_read_as_none


def test_the_optional_body_operations_are_the_specs() -> None:
    optional = {
        operation["operationId"]
        for path in (specs.RECORDINGS, specs.LIVE_RECORDINGS)
        for item in load(str(path))["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and operation.get("requestBody", {}).get("required") is False
    }
    assert optional == OPTIONAL_BODY_OPERATIONS


def test_live_writes_generated_for_a_real_server_name_no_real_line() -> None:
    """The spec's example line ``1001`` (and Hypothesis' favourite ``0``) could be a customer's real
    line: on a real server a generated stop/pause/resume by line or start names ``RQX...`` instead."""
    stop = _operation_case("stopRecordingByLine")
    stop.query = {"deviceName": "SEP0123456789AB", "directoryNumber": "1001"}
    keep_off_real_lines(stop)
    assert stop.query == {"deviceName": "RQXSEP0123456789AB", "directoryNumber": "RQX1001"}
    start = _operation_case("startRecording")
    start.body = {"deviceName": "", "directoryNumber": "0", "mode": 1}
    keep_off_real_lines(start)
    assert start.body == {"deviceName": "", "directoryNumber": "RQX0", "mode": 1}
    listing = _operation_case("listActiveRecordings")  # a read names what it likes
    listing.query = {"directoryNumber": "1001"}
    keep_off_real_lines(listing)
    assert listing.query == {"directoryNumber": "1001"}

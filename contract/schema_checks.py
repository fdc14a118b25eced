"""Schemathesis configured for this API, and how an answer is judged (``case.validate_response``).

Cases are sent by ``contract/schema_transport.py``, through recqual's client.

Built-in checks, and why each is on, off or replaced (every exclusion is named; see ``EXCLUDED``):

- on: ``status_code_conformance``, ``response_headers_conformance``, ``missing_required_header``;
- replaced: ``content_type_conformance`` / ``response_schema_conformance`` -> :func:`content_type` /
  :func:`response_schema` (the same checks, except on an *absent* body where the reference makes the
  body optional: A-9, a 409/429/501/503/504 may come with no body and so no Content-Type);
  ``not_a_server_error`` -> :func:`server_error` (501 and 503 are documented outcomes of
  server state on upload/start); ``positive_data_acceptance`` -> :func:`bad_request_fits_request`
  (this API answers schema-valid requests with documented *semantic* 400s: unknown line, invalid
  audio; what must not happen is a 400 whose reason the request cannot trigger);
  ``negative_data_rejection`` -> :func:`negative_data_rejected` (only 400 rejects, by the documented
  400 reasons; 404/405 only when the mutated path value re-routes the request);
- off: ``use_after_free`` / ``ensure_resource_availability`` (assume 404 after delete; a stopped live
  recording answers 409, reference 2.3), ``ignored_auth`` (re-sends through its own session,
  bypassing read-only and rate limits; 401 on every operation is ``test_auth_matrix``'s job),
  ``object_level_authorization`` (needs identities; the auth matrix covers it),
  ``unsupported_method`` / ``allow_header_conformance`` (the reference does not say what undeclared
  methods answer), ``max_response_time`` (no documented latency).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

import schemathesis
from schemathesis import checks as oa_checks
from schemathesis.checks import Failure, FailureGroup

import specs
from contract import expect
from contract.client import ApiClient, Reply
from contract.failures import DOCUMENTED, ConformanceFailure
from contract.schema_transport import LIVE_OPERATIONS, base_path, operation_id, to_response
from contract.spec_provenance import load, parameter_provenance, response_provenance

EXCLUDED_BUILTINS = (
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
    "unsupported_method",
    "allow_header_conformance",
    "not_a_server_error",
    "positive_data_acceptance",
    "negative_data_rejection",
    "content_type_conformance",
    "response_schema_conformance",
)

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
LITERAL_SEGMENTS = frozenset({"mine", "pause", "resume", "media"})
DOCUMENTED_SERVER_STATES = {"uploadRecording": {501}, "startRecording": {501, 503}}
"""5xx codes the vendor documents as outcomes of server state (licence 501, no channel 503)."""
OPTIONAL_BODY_OPERATIONS = frozenset({"startRecording"})
"""Operations whose request body is optional with a meaning of its own when absent (A-16)."""
OPTIONAL_BODY_STATUSES = frozenset({409, 429, 501, 503, 504})
"""A-9: the bodies of these answers are optional JSON, so an answer may have none at all."""


def schemathesis_config(*, seed: int | None, max_examples: int) -> schemathesis.Config:
    """The run's Schemathesis configuration (phases, generation, checks).

    The read-only profile needs no operation filter here: write operations are separate pytest items
    (``writes=True``), skipped before they run, and the client refuses writes anyway.
    """
    checks: dict[str, Any] = {name: {"enabled": False} for name in EXCLUDED_BUILTINS}
    checks["negative_data_rejection"] = {"enabled": False, "expected-statuses": ["400"]}
    data: dict[str, Any] = {
        "seed": seed,
        "checks": checks,
        "generation": {
            "max-examples": max_examples,
            "mode": "all",
            # Cases carry no Authorization header: the client adds the configured user's. Random
            # credentials would turn every case into a 401 (auth is test_auth_matrix's job).
            "with-security-parameters": False,
            # NUL in a URL or form field is refused by HTTP servers and frameworks (IIS: 400 with an
            # HTML page) before the API sees it; judging that answer would blame the API for the host.
            "allow-x00": False,
            "database": "none",
        },
        "phases": {
            "examples": {"enabled": True, "fill-missing": True},
            "coverage": {"enabled": True, "unexpected-methods": []},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True},
        },
    }
    return schemathesis.Config.from_dict(data)


def spec_for(case: schemathesis.Case) -> dict[str, Any]:
    return load(str(specs.LIVE_RECORDINGS if operation_id(case) in LIVE_OPERATIONS else specs.RECORDINGS))


# ----------------------------------------------------------------------- false-positive predicates


def path_value_reroutes(case: schemathesis.Case) -> bool:
    """A path parameter value that makes the URL name a *different* operation.

    Concrete case: getRecording with a generated ``id`` of ``""`` is ``GET …/Recordings/``, which is
    listRecordings and rightly answers 200; ``id = "Mine"`` on stopRecording is stopMyRecording;
    ``id = "a/b"`` adds a segment. Such a request is not a request to the operation under test, so
    only :func:`server_error` applies to it.
    """
    for value in (case.path_parameters or {}).values():
        text = unquote(str(value))
        if text == "" or "/" in text or "?" in text or "#" in text or text in (".", ".."):
            return True
        if text.strip().lower() in LITERAL_SEGMENTS or text != text.strip():
            return True
    return False


def _sent_query(reply_or_response: Any) -> dict[str, list[str]] | None:
    """Query values as they were on the wire (``None`` when a name was sent twice)."""
    url = str(reply_or_response.request.url)
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    if any(len(v) > 1 for v in query.values()):
        return None
    return query


def is_positive(case: schemathesis.Case) -> bool:
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive


def _names_no_line(values: dict[str, Any], *names: str) -> bool:
    """Neither line field carries a non-empty value (so 400 reason 0 is possible, A-16/A-17).

    Concrete case: a generated start body ``{"deviceName": "", "mode": 1}`` names no line.
    """
    return not any(isinstance(values.get(n), str) and values.get(n) for n in names)


def _has_uppercase_guid(case: schemathesis.Case) -> bool:
    """An uppercase hex digit in the id: accepting it rests on A-1 (any case is accepted)."""
    value = str((case.path_parameters or {}).get("id", ""))
    return bool(GUID.match(value)) and value != value.lower()


# ----------------------------------------------------------------------------------------- checks


def absent_optional_body(response: schemathesis.Response) -> bool:
    """An empty body where A-9 makes the body optional: there is no representation to type or validate.

    Concrete case: a server answers a pause of an unknown id with ``409`` and no body (A-9); the spec
    declares ``application/json`` for that 409, and Schemathesis would report "Missing Content-Type
    header" for a body that does not exist. A non-empty body is still judged in full.
    """
    return response.status_code in OPTIONAL_BODY_STATUSES and not response.content


def content_type(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool | None:
    """Schemathesis' ``content_type_conformance``, except for an absent optional body (A-9)."""
    if absent_optional_body(response):
        return None
    return oa_checks.content_type_conformance(ctx, response, case)


def response_schema(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool | None:
    """Schemathesis' ``response_schema_conformance``, except for an absent optional body (A-9)."""
    if absent_optional_body(response):
        return None
    return oa_checks.response_schema_conformance(ctx, response, case)


def server_error(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool | None:
    """A 5xx means the server failed, except the documented server-state outcomes (501/503)."""
    op = operation_id(case)
    if response.status_code >= 500 and response.status_code not in DOCUMENTED_SERVER_STATES.get(op, set()):
        raise Failure(
            operation=op,
            title="server_error",
            message=f"Server error {response.status_code}: the request must be answered, not crash",
        )
    return None


def _allowed_positive_reasons(
    op: str, case: schemathesis.Case, query: dict[str, list[str]]
) -> set[int] | None:
    """400 reasons a schema-valid request to ``op`` may legitimately get (None: any)."""
    body = case.body if isinstance(case.body, dict) else {}
    flat = {k: v[0] for k, v in query.items()}
    if op == "startRecording":
        reasons = {1, 3, 4}
        if isinstance(case.body, dict) and _names_no_line(body, "deviceName", "directoryNumber"):
            reasons.add(0)
        return reasons
    if op == "stopRecordingByLine":
        return {0, 1, 4} if _names_no_line(flat, "deviceName", "directoryNumber") else {1, 4}
    if op in ("pauseRecordingsByLine", "resumeRecordingsByLine"):
        return {0, 1} if _names_no_line(flat, "directoryNumber") else {1}
    if op == "stopRecording":
        return {1, 2}
    if op in ("uploadRecording", "stopMyRecording"):
        return None
    return set()


def bad_request_fits_request(
    ctx: Any, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """A 400 on a schema-valid request must carry a reason that request can trigger."""
    if response.status_code != 400 or not is_positive(case):
        return None
    op = operation_id(case)
    query = _sent_query(response)
    if query is None:
        return True
    allowed = _allowed_positive_reasons(op, case, query)
    if allowed is None:
        return None
    try:
        got = response.json().get("reason")
    except (ValueError, AttributeError):
        got = None
    if got not in allowed:
        raise Failure(
            operation=op,
            title="bad_request_fits_request",
            message=(
                f"A schema-valid request was refused with 400 reason {got!r}; "
                f"expected {'no 400' if not allowed else 'reason in ' + str(sorted(allowed))}"
            ),
        )
    return None


def body_may_read_as_none(case: schemathesis.Case, sent: bytes | str | None) -> bool:
    """A body of whitespace alone, sent to an operation whose body is optional.

    Concrete case: Schemathesis' "random bytes" body ``b"\\x0c"`` on startRecording. JSON calls it
    invalid, but A-16 makes an *absent* body meaningful ("record my own line"), and readers differ on
    whether whitespace is a body: .NET's ``char.IsWhiteSpace`` and Python's ``str.isspace`` both skip a
    form feed. A server that starts the caller's recording on it answered a request it may read as
    having no body, so the answer is not judged as one to invalid data (it is still judged by the
    status, schema and server-error checks). Seen as a false alarm in CI, about 1 run in 500 seeds.
    """
    if operation_id(case) not in OPTIONAL_BODY_OPERATIONS:
        return False
    if sent is None:
        return True
    if isinstance(sent, str):  # judged as the bytes that went on the wire, like a bytes body
        sent = sent.encode("utf-8", "surrogateescape")
    return sent.decode("latin-1").strip() == ""


def negative_data_rejected(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool | None:
    """Invalid data gets 400 (Schemathesis' predicates for serialization artefacts still apply)."""
    if body_may_read_as_none(case, getattr(response.request, "body", None)):
        return None
    return oa_checks.negative_data_rejection(ctx, response, case)


def _filter_invalid(name: str, value: str) -> bool:
    from strategies import rhs_colon

    if name == "direction":
        return value not in ("0", "1", "2")
    kind: Literal["datetime", "string"] = "datetime" if name in ("startTime", "endTime") else "string"
    try:
        rhs_colon.parse(value, kind)
    except rhs_colon.FilterSyntaxError:
        return True
    return False


def _paging_invalid(name: str, value: str) -> bool:
    minimum = 0 if name == "page" else 1
    return not re.fullmatch(r"[+]?\d+", value.strip()) or not (minimum <= int(value) < 2**31)


FILTER_PARAMS = ("startTime", "endTime", "remoteParty", "direction")
PAGING_PARAMS = ("page", "pageSize")


def list_error_reason(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool | None:
    """listRecordings 400: reason 1 when only paging is invalid, 0 when only a filter is."""
    if operation_id(case) != "listRecordings" or response.status_code != 400:
        return None
    query = _sent_query(response)
    if query is None:
        return True
    bad_paging = any(_paging_invalid(n, query[n][0]) for n in PAGING_PARAMS if n in query)
    bad_filter = any(_filter_invalid(n, query[n][0]) for n in FILTER_PARAMS if n in query)
    try:
        got = response.json().get("reason")
    except (ValueError, AttributeError):
        return None
    if bad_paging and not bad_filter and got != 1:
        raise Failure(
            operation="listRecordings", title="list_error_reason", message=f"paging error: reason {got}"
        )
    if bad_filter and not bad_paging and got != 0:
        raise Failure(
            operation="listRecordings", title="list_error_reason", message=f"filter error: reason {got}"
        )
    return None


def ids_lowercase(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool | None:
    """A-1: the server returns GUIDs in lowercase (the vendor shows mixed case in its docs)."""
    if not 200 <= response.status_code < 300:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    items = (
        body
        if isinstance(body, list)
        else (body.get("recordings") or [body])
        if isinstance(body, dict)
        else []
    )
    for item in items:
        value = item.get("id") if isinstance(item, dict) else None
        if isinstance(value, str) and GUID.match(value) and value != value.lower():
            raise Failure(
                operation=operation_id(case), title="ids_lowercase", message=f"id {value} not lowercase"
            )
    return None


CUSTOM_CHECKS: tuple[Callable[..., bool | None], ...] = (
    content_type,
    response_schema,
    server_error,
    bad_request_fits_request,
    negative_data_rejected,
    list_error_reason,
    ids_lowercase,
)


# ------------------------------------------------------------------------------- failure conversion


def _provenance(failure: Failure, case: schemathesis.Case, reply: Reply) -> str:
    """Documented, or the assumption the failed expectation rests on."""
    op = operation_id(case)
    title = failure.title
    if title == "ids_lowercase":
        return "A-1"
    if title == "bad_request_fits_request":
        if _has_uppercase_guid(case):
            return "A-1"
        query = _sent_query(reply) or {}
        tags: list[str] = []
        if op == "listRecordings":
            if any(n in query for n in ("startTime", "endTime", "remoteParty")):
                tags.append("A-13")
            if "page" in query and "pageSize" not in query:
                tags.append("A-3b")
            if any(query.get(n) == [""] for n in ("ownerUsername", "localPartyNumber")):
                tags.append("A-4")
        if op in (
            "pauseRecordingsByLine",
            "resumeRecordingsByLine",
            "stopRecordingByLine",
            "stopMyRecording",
        ):
            tags.append("A-17")
        if op == "startRecording":
            tags.append("A-16")
        return ",".join(tags) or DOCUMENTED
    if title == "list_error_reason":
        query = _sent_query(reply) or {}
        rhs = [n for n in ("startTime", "endTime", "remoteParty") if n in query]
        return "A-13" if rhs and "filter" in failure.message else DOCUMENTED
    schema_path = getattr(failure, "instance_path", None)
    if schema_path is not None:
        return response_provenance(spec_for(case), op, reply.status, list(schema_path))
    if type(failure).__name__ == "AcceptedNegativeData":
        data = case.meta.phase.data if case.meta is not None else None
        name = getattr(data, "parameter", None)
        if name:
            return parameter_provenance(spec_for(case), op, name)
        if op in ("pauseRecording", "resumeRecording"):
            return "A-17"
    return DOCUMENTED


def convert(group: FailureGroup, case: schemathesis.Case, reply: Reply) -> BaseException:
    """Schemathesis failures -> recqual failures (one per distinct check)."""
    failures: list[ConformanceFailure] = []
    for failure in group.exceptions:
        provenance = _provenance(failure, case, reply)
        failures.append(
            expect.fail(
                reply,
                check=f"schema:{_check_name(failure)}",
                title=failure.title,
                expected="an answer the spec allows",
                actual=_one_line(failure.message),
                provenance=provenance,
                notes=[f"phase={_phase(case)}", f"case={case.id}"],
            )
        )
    unique = list(dict.fromkeys(failures))
    return unique[0] if len(unique) == 1 else ExceptionGroup("schema conformance failures", unique)


def _check_name(failure: Failure) -> str:
    names = getattr(type(failure), "checks", ())
    return names[0] if names else failure.title


def _phase(case: schemathesis.Case) -> str:
    meta = case.meta
    return str(meta.phase.name.value) if meta is not None else "?"


def _one_line(text: str) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines() if line.strip())[:1200]


PINNED_EXEMPT = (negative_data_rejected, bad_request_fits_request)
"""Checks that judge *generated* data, so they do not apply to a body recqual pinned itself."""


def validate(case: schemathesis.Case, reply: Reply, client: ApiClient, *, pinned: bool = False) -> None:
    """Run the configured and custom checks; raise recqual failures.

    ``pinned``: the body was replaced by a known-valid one (stateful runs) so the links can fire;
    Schemathesis re-derives the case's metadata from the edit and may then call it "negative".
    """
    response = to_response(reply, client.config.verify)
    checks: list[Any] | None = [server_error] if path_value_reroutes(case) else None
    custom = [c for c in CUSTOM_CHECKS if not (pinned and c in PINNED_EXEMPT)]
    try:
        case.validate_response(
            response,
            checks=checks,
            additional_checks=None if checks else custom,
            transport_kwargs={"base_url": client.config.base_url.rstrip("/") + base_path(case)},
        )
    except FailureGroup as group:
        raise convert(group, case, reply) from None


# ------------------------------------------------------------------------ one model, outside Schemathesis


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema (draft 4): ``nullable: true`` becomes a ``null`` type; the
    vendor extensions and annotations are dropped. Enough for ``specs/``' models (no ``oneOf`` with a
    ``discriminator`` that needs resolving: the discriminator is a plain ``enum`` property there)."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: _json_schema(value)
        for key, value in node.items()
        if not key.startswith("x-")
        and key not in ("nullable", "example", "examples", "deprecated", "discriminator")
    }
    if node.get("nullable") is True and isinstance(node.get("type"), str):
        out["type"] = [node["type"], "null"]
    if node.get("nullable") is True and "enum" in node and None not in node["enum"]:
        out["enum"] = [*node["enum"], None]
    return out


@functools.lru_cache(maxsize=16)
def _model_validator(spec_path: str, component: str) -> Any:
    import jsonschema  # type: ignore[import-untyped]  # declared in pyproject.toml; no stubs here

    components = _json_schema(load(spec_path).get("components", {}))
    root = {"$ref": f"#/components/schemas/{component}", "components": components}
    return jsonschema.Draft4Validator(root, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def model_errors(spec_path: Any, component: str, instance: Any) -> list[tuple[list[Any], str]]:
    """Where ``instance`` breaks the spec's ``components/schemas/<component>``: (path, message) pairs.

    The checks that read one recording's detail or list item judge it against its model here, so a
    field mistyped only on some recordings (an hour-long duration, a preserved recording with a note)
    is a schema failure with a path, not a ``KeyError`` in the check.
    """
    validator = _model_validator(str(spec_path), component)
    return [
        (list(error.absolute_path), error.message[:300])
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    ]

"""Sending a Schemathesis case through recqual's client, byte for byte as Schemathesis would.

Why not ``case.call_and_validate()``: Schemathesis sends with its own ``requests`` session, which would
bypass read-only enforcement, the rate limit, the circuit breaker and redaction. Here a case is
prepared by ``requests`` exactly as Schemathesis would send it, then the bytes go out through
:class:`~contract.client.ApiClient`; ``contract/schema_checks.py`` judges the answer.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests
import schemathesis

import specs
from contract.api import LIVE_BASE, RECORDINGS_BASE
from contract.client import ApiClient, Reply


def operation_id(case: schemathesis.Case) -> str:
    return str(case.operation.definition.raw.get("operationId", case.operation.label))


LIVE_OPERATIONS = frozenset(specs.operation_ids(specs.LIVE_RECORDINGS))


def base_path(case: schemathesis.Case) -> str:
    return LIVE_BASE if operation_id(case) in LIVE_OPERATIONS else RECORDINGS_BASE


# --------------------------------------------------------------------------------------- sending


UNPAGED_BOUND = 100


def bound_unpaged_list(case: schemathesis.Case) -> None:
    """Add ``pageSize`` to a generated listRecordings that has none (real servers only).

    Concrete case: without ``pageSize`` the server returns *every* match; a production server holding
    200,000 recordings then answers slower than ``--request-timeout`` and the run reports a stall
    that is really our request's fault. ``pageSize=100`` is valid, documented, and leaves any
    generated mistake in the other parameters in place.
    """
    if (
        operation_id(case) == "listRecordings"
        and isinstance(case.query, dict)
        and "pageSize" not in case.query
    ):
        case.query = {**case.query, "pageSize": UNPAGED_BOUND}


LINE_FIELDS = ("deviceName", "directoryNumber")
LINE_WRITES = frozenset(
    {"startRecording", "stopRecordingByLine", "pauseRecordingsByLine", "resumeRecordingsByLine"}
)
FOREIGN_LINE_PREFIX = "RQX"


def keep_off_real_lines(case: schemathesis.Case) -> None:
    """Prefix every generated line name of a live write with ``RQX`` (real servers only).

    Concrete case: the spec's example line is ``1001``, and Hypothesis likes ``0`` and ``1``: sent to a
    customer's UCX, a generated ``DELETE LiveRecordings?directoryNumber=1001`` would stop somebody's
    real recording (start and pause by line likewise). ``RQX1001`` is still a string the schema allows,
    so what the case tests (types, missing or empty fields, the 400 reasons) is unchanged, and no real
    line is named: such cases meet "line unknown" (400 reason 1). The declared test lines are driven by
    the checks built for them, not by fuzzing. Empty values (``""``, meaning "not given") are kept.
    """
    if operation_id(case) not in LINE_WRITES:
        return
    if isinstance(case.query, dict):
        case.query = {k: _foreign(v) if k in LINE_FIELDS else v for k, v in case.query.items()}
    if isinstance(case.body, dict):
        case.body = {k: _foreign(v) if k in LINE_FIELDS else v for k, v in case.body.items()}


def _foreign(value: Any) -> Any:
    if isinstance(value, str) and value and not value.startswith(FOREIGN_LINE_PREFIX):
        return FOREIGN_LINE_PREFIX + value
    if isinstance(value, list):  # a query parameter sent twice
        return [_foreign(v) for v in value]
    return value


def send(case: schemathesis.Case, client: ApiClient, *, bound_lists: bool = False) -> Reply:
    """Serialise ``case`` as Schemathesis would, send the bytes through ``client``; on a real server
    (``bound_lists``) unpaged lists get a page size and live writes name no real line."""
    if bound_lists:
        bound_unpaged_list(case)
        keep_off_real_lines(case)
    origin = client.config.base_url.rstrip("/")
    kwargs = case.as_transport_kwargs(base_url=origin + base_path(case))
    for key in ("auth", "timeout", "verify", "allow_redirects", "cert", "proxies", "stream"):
        kwargs.pop(key, None)
    prepared = requests.Request(
        method=kwargs.pop("method"),
        url=kwargs.pop("url"),
        headers=kwargs.pop("headers", None),
        params=kwargs.pop("params", None),
        data=kwargs.pop("data", None),
        json=kwargs.pop("json", None),
        files=kwargs.pop("files", None),
        cookies=kwargs.pop("cookies", None),
    ).prepare()
    headers = {
        k: v if isinstance(v, str) else v.decode("latin-1")
        for k, v in prepared.headers.items()
        if k.lower() != "content-length"
    }
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    if body is not None and not isinstance(body, bytes):
        raise TypeError(f"{operation_id(case)}: a streamed request body cannot be replayed")
    return client.request(
        str(prepared.method),
        wire_url(str(prepared.url)),
        operation=operation_id(case),
        content=body,
        headers=headers,
    )


def wire_url(url: str) -> str:
    """Percent-encode what ``requests`` leaves raw (control characters, spaces) in the path and query.

    Concrete case: a generated path id ``"\x1f"`` would otherwise go out as a raw byte in the request
    line, which is not HTTP; IIS answers that with an HTML 400 of its own, and the content-type
    check would blame the server for our malformed request.
    """
    return quote(url, safe="/%:@!$&'()*+,;=-._~?#[]")


def to_response(reply: Reply, verify: bool | str) -> schemathesis.Response:
    return schemathesis.Response.from_httpx(reply.response, verify=bool(verify))

"""Every operation of both specs answers as the spec says (Schemathesis: examples, coverage, fuzzing).

Invariant: for any request Schemathesis draws from ``specs/`` (valid or deliberately invalid), the
answer's status is declared for the operation, its body matches the declared schema and media type,
invalid data is rejected with 400 and a documented reason, and nothing crashes (5xx other than the
documented 501/503). 429 is a documented answer of the live operations, never rate limiting: no
retry, no back-off. Stateful runs follow the specs' links (start -> stop/pause/resume, upload ->
get/download). See ``contract/schema_checks.py`` for each check that is on, off or replaced, and why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
import schemathesis

import specs
from contract import schema_checks, schema_transport
from contract.client import ApiClient
from contract.plugin import RecqualRun
from contract.run_context import RunContext
from contract.scene import Scene
from contract.schemathesis_adapter import operation_test
from strategies import audio
from strategies.schemathesis_formats import register_formats

RECORDINGS_OPERATIONS = ("listRecordings", "getRecording", "downloadRecording", "uploadRecording")
LIVE_OPERATIONS = tuple(sorted(schema_transport.LIVE_OPERATIONS))
READ_ONLY_SAFE = frozenset(
    {"listRecordings", "getRecording", "downloadRecording", "listActiveRecordings", "listMyActiveRecordings"}
)


def _load(path: Any, context: RunContext) -> schemathesis.BaseSchema:
    register_formats()  # RHS-Colon formats get real filter values (strategies/), not arbitrary strings
    config = schemathesis_config(context)
    return schemathesis.openapi.from_path(str(path), config=config)


def schemathesis_config(context: RunContext) -> schemathesis.Config:
    return schema_checks.schemathesis_config(
        seed=context.seed, max_examples=context.examples(full=100, quick=10)
    )


@pytest.fixture(scope="session")
def recordings_schema(recqual_run: RecqualRun) -> schemathesis.BaseSchema:
    return _load(specs.RECORDINGS, recqual_run.context)


@pytest.fixture(scope="session")
def live_schema(recqual_run: RecqualRun) -> schemathesis.BaseSchema:
    return _load(specs.LIVE_RECORDINGS, recqual_run.context)


def _run_operation(
    schema: schemathesis.BaseSchema, operation: str, admin: ApiClient, context: RunContext
) -> None:
    """Build the operation's Hypothesis test (examples + coverage + fuzzing phases) and run it.

    Schemathesis' own pytest integration (``from_fixture``) is not usable with pytest 9 (it writes
    ``node._nodeid``), so the test is built with the same builder it uses, one pytest item per
    operation (``contract/schemathesis_adapter.py``).
    """

    def check_case(case: schemathesis.Case) -> None:
        reply = schema_transport.send(case, admin, bound_lists=not context.is_emulator)
        schema_checks.validate(case, reply, admin)

    operation_test(schema, operation, check_case)()


@pytest.mark.recqual(family="schema", operation="(each)", check="schema conformance", writes=False)
@pytest.mark.parametrize("operation", [op for op in RECORDINGS_OPERATIONS if op in READ_ONLY_SAFE])
def test_recordings_reads(
    operation: str, recordings_schema: schemathesis.BaseSchema, admin: ApiClient, run_context: RunContext
) -> None:
    _run_operation(recordings_schema, operation, admin, run_context)


@pytest.mark.recqual(family="schema", operation="(each)", check="schema conformance")
@pytest.mark.parametrize("operation", [op for op in RECORDINGS_OPERATIONS if op not in READ_ONLY_SAFE])
def test_recordings_writes(
    operation: str, recordings_schema: schemathesis.BaseSchema, admin: ApiClient, run_context: RunContext
) -> None:
    _run_operation(recordings_schema, operation, admin, run_context)


@pytest.mark.recqual(family="schema", operation="(each)", check="schema conformance", writes=False)
@pytest.mark.parametrize("operation", [op for op in LIVE_OPERATIONS if op in READ_ONLY_SAFE])
def test_live_reads(
    operation: str, live_schema: schemathesis.BaseSchema, admin: ApiClient, run_context: RunContext
) -> None:
    _run_operation(live_schema, operation, admin, run_context)


@pytest.mark.recqual(family="schema", operation="(each)", check="schema conformance")
@pytest.mark.parametrize("operation", [op for op in LIVE_OPERATIONS if op not in READ_ONLY_SAFE])
def test_live_writes(
    operation: str, live_schema: schemathesis.BaseSchema, admin: ApiClient, run_context: RunContext
) -> None:
    _run_operation(live_schema, operation, admin, run_context)


# ---------------------------------------------------------------------------------------- stateful


def _machine(
    schema: schemathesis.BaseSchema, client: ApiClient, pin: Callable[[schemathesis.Case], bool]
) -> Any:  # a subclass of Schemathesis' APIStateMachine (public through as_state_machine)
    base = schema.as_state_machine()

    class Machine(base):  # type: ignore[misc, valid-type]
        """Follows the spec's links; requests go through recqual's client and checks."""

        def before_call(self, case: schemathesis.Case) -> None:
            self._pinned = pin(case)

        def call(self, case: schemathesis.Case, **kwargs: Any) -> schemathesis.Response:
            self._reply = schema_transport.send(case, client)
            return schema_transport.to_response(self._reply, client.config.verify)

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            schema_checks.validate(case, self._reply, client, pinned=self._pinned)

    return Machine


def _stateful_settings(context: RunContext) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=context.examples(full=25, quick=3, creates=True),
        stateful_step_count=context.examples(full=15, quick=6),
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )


@pytest.mark.recqual(
    family="schema",
    operation=["startRecording", "stopRecording", "pauseRecording", "resumeRecording"],
    check="stateful links (live)",
    needs=("lines",),
)
def test_live_links(
    live_schema: schemathesis.BaseSchema, admin: ApiClient, scene: Scene, run_context: RunContext
) -> None:
    """start -> stop/pause/resume through the links, on a line that has a connected call (a fresh
    user's line on the emulator; on a lab a declared standing-call line, lent to this check and stopped
    by line when it ends)."""
    line = scene.line_with_call(stem="links", owned=False)[1].line

    def pin(case: schemathesis.Case) -> bool:
        if schema_transport.operation_id(case) == "startRecording" and schema_checks.is_positive(case):
            case.body = {"deviceName": line.device_name, "directoryNumber": line.directory_number}
            return True
        return False

    _machine(live_schema, admin, pin).run(settings=_stateful_settings(run_context))


@pytest.mark.recqual(
    family="schema",
    operation=["uploadRecording", "getRecording", "downloadRecording"],
    check="stateful links (upload)",
)
def test_upload_links(
    recordings_schema: schemathesis.BaseSchema, admin: ApiClient, scene: Scene, run_context: RunContext
) -> None:
    """upload -> get/download through the links, with a valid recording so the links fire; dated an
    hour ago by the server's clock, inside any retention (``scene.upload_window``)."""
    owner = scene.user("l10")
    sound = audio.wav("pcm16", seconds=0.2)

    def pin(case: schemathesis.Case) -> bool:
        if schema_transport.operation_id(case) == "uploadRecording" and schema_checks.is_positive(case):
            body: dict[str, Any] = {
                "jsondata": {
                    "startDateTime": scene.upload_window.hours_ago(1).isoformat(),
                    "duration": "PT1S",
                    "direction": 1,
                    "localParty": {"username": owner.username, "phoneNumber": scene.number()},
                    "remoteParty": {"phoneNumber": scene.number()},
                },
                "attachment": sound,
            }
            case.body = body
            case.multipart_content_types = {"jsondata": "application/json", "attachment": "audio/wav"}
            return True
        return False

    _machine(recordings_schema, admin, pin).run(settings=_stateful_settings(run_context))

"""The ``recqual`` pytest plugin: options, the run's fixtures, outcomes and the results file.

Hooks, in the order pytest calls them: ``pytest_addoption`` (the ``recqual`` option group),
``pytest_configure`` (marker, seed, Hypothesis profile, option validation),
``pytest_collection_modifyitems`` (every test must carry a ``recqual`` marker),
``pytest_report_header``, the fixtures (``recqual_run`` for the session, ``_recqual_check`` around each
test), ``pytest_runtest_makereport`` (assumed failures become deviations outside ``strict``; results
rows), ``pytest_sessionfinish`` (``--recqual-results``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from contract import check_deadline, results_file
from contract.check_ids import check_id, matches, selected
from contract.client import ApiClient, Breaker, ClientConfig, Credentials, ExchangeLog, RateLimiter, Redactor
from contract.emulator_control import ControlPlane
from contract.failures import ConfigError, ConformanceFailure, TargetError, flatten
from contract.pair_ledger import PairLedger
from contract.plugin_options import DEFAULT_REAL_MAX_RPS, add_options
from contract.provenance import CheckSpec, classify, deviation_message
from contract.run_context import RunContext, utc_now
from contract.scene import Scene
from contract.schemathesis_adapter import force_seed
from recqual.embedded import embedded_emulator
from recqual.preflight import Preflight, PreflightError, run_preflight
from recqual.target_config import ConfigError as TargetConfigError
from recqual.target_config import TargetConfig, resolve

SPEC_KEY = pytest.StashKey[CheckSpec]()
RUN_KEY = pytest.StashKey["RecqualRun"]()
CONTEXT_KEY = pytest.StashKey[RunContext]()
SETTINGS_KEY = pytest.StashKey[TargetConfig]()
ENV_PREFLIGHT = "RECQUAL_PREFLIGHT"
PER_PARAMETER = "(each)"
"""Marker ``operation`` value meaning: the test's ``operation`` parameter names it."""
API_OF = {
    "listRecordings": "Recordings",
    "getRecording": "Recordings",
    "downloadRecording": "Recordings",
    "uploadRecording": "Recordings",
}


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    add_options(parser)
    if pluginmanager.get_plugin("contract.check_deadline") is None:  # `pytest contract` alone: a limit too
        pluginmanager.register(check_deadline, "contract.check_deadline")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "recqual(family, operation, check=<test name>, provenance='documented', writes=True, needs=()): "
        "declares a recqual check: its family (schema, status, filters, paging, transfer, live-state, races, "
        "auth), the operationId(s) it exercises, its provenance ('documented' or 'A-n'), whether it sends "
        "writes (skipped in read-only) and what it needs ('emulator', 'lines', 'roles').",
    )
    config.addinivalue_line(
        "markers", "recqual_after(test_name): run right after that test when both are selected"
    )
    if config.getoption("recqual_timeout") <= 0:
        raise pytest.UsageError("--request-timeout must be a positive number of seconds")
    try:
        config.stash[SETTINGS_KEY] = resolve(
            target=config.getoption("target"),
            target_file=config.getoption("target_file"),
            tls_verify=config.getoption("tls_verify"),
            max_rps=config.getoption("max_rps"),
        )
    except (ConfigError, TargetConfigError) as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[CONTEXT_KEY] = RunContext(
        seed=_configure_seed(config),
        quick=bool(config.getoption("quick")),
        chosen_profile=config.getoption("profile"),
    )
    _configure_hypothesis(config)
    max_failures = config.getoption("max_failures")
    if max_failures is not None:
        if max_failures < 1:
            raise pytest.UsageError("--max-failures must be a positive whole number")
        config.option.maxfail = max_failures


def run_context_of(config: pytest.Config) -> RunContext:
    return config.stash[CONTEXT_KEY]


@pytest.fixture(scope="session")
def run_context(request: pytest.FixtureRequest) -> RunContext:
    """Profile, seed and example budgets of this run (settled by the preflight in ``recqual_run``)."""
    request.getfixturevalue("recqual_run")
    return run_context_of(request.config)


def _configure_seed(config: pytest.Config) -> int:
    """Every run has a seed: ``--hypothesis-seed`` if given, else a fresh one printed in the header."""
    seed = config.getoption("hypothesis_seed", default=None)
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    else:
        try:
            seed = int(seed)
        except ValueError:
            raise pytest.UsageError("--hypothesis-seed must be an integer for recqual runs") from None
    force_seed(seed)
    return int(seed)


def _configure_hypothesis(config: pytest.Config) -> None:
    """Network tests: no deadline, no example database (the seed alone reproduces a run)."""
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "recqual",
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )
    if config.getoption("hypothesis_profile", default=None) is None:
        settings.load_profile("recqual")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A check without provenance is not allowed: every contract test declares its marker."""
    for item in items:
        if not _is_contract_item(item):
            continue
        marker = item.get_closest_marker("recqual")
        if marker is None:
            raise pytest.UsageError(
                f"{item.nodeid}: every contract test needs @pytest.mark.recqual(family=..., operation=...)"
            )
        kwargs = dict(marker.kwargs)
        callspec = getattr(item, "callspec", None)
        if kwargs.get("operation") == PER_PARAMETER and callspec is not None:
            kwargs["operation"] = callspec.params.get("operation", "")
        try:
            spec = CheckSpec.from_marker_kwargs(kwargs, getattr(item, "originalname", item.name))
        except ValueError as exc:
            raise pytest.UsageError(f"{item.nodeid}: {exc}") from None
        case = callspec.id if callspec is not None else None
        if case == spec.operation:  # "(each)" checks: the operation already names the case
            case = None
        spec = dataclasses.replace(spec, id=check_id(spec.family, spec.operation, spec.check, case))
        item.stash[SPEC_KEY] = spec
        for prop in ("id", "family", "operation", "provenance"):
            item.user_properties.append((f"recqual.{prop}", getattr(spec, prop)))
    _select(config, items)
    _run_after(items)


def _run_after(items: list[pytest.Item]) -> None:
    """``@pytest.mark.recqual_after("test_name")``: the item runs right after that test when both are
    selected (a check whose flow is lent to that test's waits reports once that test is done;
    ``contract/shared_waits.py``). Otherwise the order is untouched."""
    for item in reversed([i for i in items if i.get_closest_marker("recqual_after") is not None]):
        marker = item.get_closest_marker("recqual_after")
        assert marker is not None
        leader = next((i for i in items if getattr(i, "originalname", i.name) == marker.args[0]), None)
        if leader is None or items.index(leader) < items.index(item):
            continue
        items.remove(item)
        items.insert(items.index(leader) + 1, item)


def _patterns(config: pytest.Config, name: str) -> list[str]:
    return [p for value in config.getoption(name) or [] for p in str(value).split(",") if p.strip()]


def _select(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--only`` / ``--exclude`` by stable check id; a pattern that selects nothing is a usage error
    (a typo must not turn into a green run of zero checks)."""
    only, exclude = _patterns(config, "only"), _patterns(config, "exclude")
    if not only and not exclude:
        return
    ids = {item: item.stash[SPEC_KEY].id for item in items if SPEC_KEY in item.stash}
    unknown = [p for p in only if not any(matches(i, p) for i in ids.values())]
    if unknown:
        raise pytest.UsageError(
            f"--only {', '.join(unknown)}: no check id matches; ids look like "
            "'filters/listRecordings/filters-match-the-oracle' (see results.json or the report)"
        )
    keep = [item for item in items if item not in ids or selected(ids[item], only, exclude)]
    dropped = [item for item in items if item not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def _is_contract_item(item: pytest.Item) -> bool:
    return Path(str(item.fspath)).resolve().parent == Path(__file__).resolve().parent


def pytest_report_header(config: pytest.Config) -> list[str]:
    context = run_context_of(config)
    return [
        f"recqual: seed {context.seed} (reproduce with --hypothesis-seed={context.seed}), "
        f"quick={context.quick}, profile={context.chosen_profile or 'auto'}"
    ]


# ---------------------------------------------------------------------------------------------- the run


@dataclass
class RecqualRun:
    """The session: target, clients and scene."""

    settings: TargetConfig
    preflight: Preflight
    url: str
    client_config: ClientConfig
    api: ApiClient
    scene: Scene
    context: RunContext
    started: str = field(default_factory=utc_now)

    @property
    def is_emulator(self) -> bool:
        return self.scene.is_emulator


def _preflight(config: pytest.Config, settings: TargetConfig, *, started: bool) -> Preflight:
    """The parent's preflight when there is one (``recqual qualify``), else our own."""
    path = config.getoption("preflight") or os.environ.get(ENV_PREFLIGHT)
    if path:
        return Preflight.read(Path(path))
    try:
        return run_preflight(
            dataclasses.replace(settings, request_timeout_s=config.getoption("recqual_timeout")),
            profile=run_context_of(config).chosen_profile or ("strict" if started else "documented"),
            started_emulator=started,
            allow_reset=bool(config.getoption("allow_reset")),
        )
    except PreflightError as exc:
        pytest.exit(f"recqual preflight: {exc}", returncode=2)


@pytest.fixture(scope="session")
def recqual_run(request: pytest.FixtureRequest) -> Iterator[RecqualRun]:
    """Resolve the target, start the emulator if needed, preflight it, pick the profile, set the scene.

    The control plane is used only when the preflight allowed it (recqual's emulator, proven by its
    health answer; not read-only; started by this run or ``--allow-reset``), and reset only when that
    cannot remove the users this run was given.
    """
    config = request.config
    settings = config.stash[SETTINGS_KEY]
    with contextlib.ExitStack() as stack:
        started = settings.url is None
        if started:  # the embedded emulator: the same launcher as `recqual qualify`'s, on a throw-away db
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="recqual-emulator-")))
            settings = settings.for_embedded_emulator(
                stack.enter_context(
                    embedded_emulator(db=workdir / "emulator.db", log=workdir / "emulator.log")
                )
            )
        yield from _session(config, settings, started=started)


def _session(config: pytest.Config, settings: TargetConfig, *, started: bool) -> Iterator[RecqualRun]:
    url = str(settings.url)
    context = run_context_of(config)
    results = context.results
    results["target"] = f"{url} (embedded emulator)" if started else url
    client_config = ClientConfig(
        base_url=url,
        timeout=config.getoption("recqual_timeout"),
        verify=settings.tls_verify,
        read_only=False,
        limiter=RateLimiter(0),
        breaker=Breaker(),
        log=ExchangeLog(),
        redactor=Redactor(),
        json_limit=settings.max_json_bytes,
        media_limit=settings.max_media_bytes,
    )
    api = ApiClient(client_config)
    for role, credentials in settings.credentials.items():
        client_config.redactor.add(Credentials(credentials.username, credentials.password, role))
    try:
        preflight = _preflight(config, settings, started=started)
        is_emulator = preflight.control_allowed
        context.settle(is_emulator=is_emulator, server=preflight.server)
        client_config.read_only = context.read_only
        rps = (
            settings.max_rps if settings.max_rps is not None else (0 if is_emulator else DEFAULT_REAL_MAX_RPS)
        )
        client_config.limiter = RateLimiter(rps)
        control = ControlPlane(api) if is_emulator else None
        scene = Scene(api, control, settings, preflight)
        if control is not None and preflight.reset_allowed:
            control.reset()
        scene.provision_roles()
        run = RecqualRun(settings, preflight, url, client_config, api, scene, context)
        config.stash[RUN_KEY] = run
        yield run
    finally:
        results["status_codes"] = client_config.log.status_codes()
        client_config.close()


@pytest.fixture
def pairs(request: pytest.FixtureRequest) -> PairLedger:
    """The check's pair-coverage ledger (``contract/pair_ledger.py``); its figures go into the row."""
    ledger = PairLedger()
    request.node.stash[_PAIRS] = ledger
    return ledger


@pytest.fixture
def scene(recqual_run: RecqualRun) -> Scene:
    return recqual_run.scene


@pytest.fixture
def admin(recqual_run: RecqualRun) -> ApiClient:
    """The level-10 (Complete Management) client."""
    return recqual_run.scene.client("l10")


@pytest.fixture(autouse=True)
def _recqual_check(request: pytest.FixtureRequest) -> Iterator[None]:
    """Around every contract test: profile/needs skips, allure labels, exchange capture, clean-up."""
    spec = request.node.stash.get(SPEC_KEY, None)
    if spec is None:
        yield
        return
    run: RecqualRun = request.getfixturevalue("recqual_run")
    if spec.writes and run.context.read_only:
        pytest.skip(f"read-only profile: {spec.check} sends POST/PUT/DELETE requests")
    if "emulator" in spec.needs and not run.is_emulator:
        pytest.skip(
            f"{spec.check}: needs the emulator control plane (set-up no lab can declare: licence, "
            "channels, retention changes, hang-up on cue, special devices); this target has none the "
            "run may use"
        )
    if "lines" in spec.needs and not run.is_emulator and not run.settings.standing_lines:
        pytest.skip(f'{spec.check}: add [[lines]] with call = "standing" to the --target-file to run it')
    _allure_labels(spec)
    run.client_config.log.drain()
    try:
        yield
    finally:
        run.scene.cleanup()
        exchanges, statuses = run.client_config.log.drain()
        request.node.stash[_STATUSES] = statuses
        _allure_attach(exchanges)


_STATUSES = pytest.StashKey[dict[str, int]]()
_PAIRS = pytest.StashKey[PairLedger]()


def _allure_labels(spec: CheckSpec) -> None:
    with contextlib.suppress(Exception):
        import allure

        first = spec.operation.split(",")[0]
        allure.dynamic.epic(API_OF.get(first, "LiveRecordings"))
        allure.dynamic.feature(spec.operation)
        allure.dynamic.story(spec.check)
        allure.dynamic.tag("documented" if spec.provenance == "documented" else f"assumed {spec.provenance}")
        allure.dynamic.label("family", spec.family)


def _allure_attach(exchanges: list[Any]) -> None:
    if not exchanges:
        return
    with contextlib.suppress(Exception):
        import allure

        text = "\n\n".join(e.as_text() for e in exchanges)
        allure.attach(
            text,
            name=f"HTTP exchanges (last {len(exchanges)}, redacted)",
            attachment_type=allure.attachment_type.TEXT,
        )


# ---------------------------------------------------------------------------------------------- outcomes

_TARGET_ERROR = pytest.StashKey[TargetError]()


def _plain_target_errors(item: pytest.Item) -> Iterator[None]:
    """A target that gives no answer is reported by its message alone (no traceback to render:
    with a dead server every test fails the same way, and tracebacks cost ~0.1 s each)."""
    try:
        yield
    except TargetError as exc:
        item.stash[_TARGET_ERROR] = exc
        pytest.fail(f"TargetError: {exc}", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    return (yield from _plain_target_errors(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    return (yield from _plain_target_errors(item))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome: Any = yield
    report: pytest.TestReport = outcome.get_result()
    spec = item.stash.get(SPEC_KEY, None)
    if spec is None:
        return
    redactor = _redactor(item)
    context = run_context_of(item.config)
    if report.failed and call.excinfo is not None:
        exc = call.excinfo.value
        _stamp_seed(exc, context.seed)
        if report.when == "call" and classify(exc, strict=context.strict) == "deviation":
            report.outcome = "skipped"
            report.wasxfail = deviation_message(exc)
        elif redactor is not None:
            text = str(report.longrepr)
            scrubbed = redactor.scrub(text)
            if scrubbed != text:
                report.longrepr = scrubbed
        if report.failed:
            report.sections.append(
                ("recqual seed", f"reproduce with: pytest --hypothesis-seed={context.seed}")
            )
    _record(item, report, call, spec, redactor)


def _stamp_seed(exc: BaseException, seed: int) -> None:
    """Every conformance failure prints the run's seed (its message is rendered on demand)."""
    for leaf in flatten(exc):
        if isinstance(leaf, ConformanceFailure) and leaf.seed is None:
            leaf.seed = seed


def _redactor(item: pytest.Item) -> Redactor | None:
    run = item.config.stash.get(RUN_KEY, None)
    return run.client_config.redactor if run is not None else None


def _record(
    item: pytest.Item,
    report: pytest.TestReport,
    call: pytest.CallInfo[None],
    spec: CheckSpec,
    redactor: Redactor | None,
) -> None:
    rows: dict[str, dict[str, Any]] = run_context_of(item.config).results.setdefault("rows", {})
    row = rows.setdefault(item.nodeid, results_file.new_row(item.nodeid, spec))
    ledger = item.stash.get(_PAIRS, None)
    if ledger is not None and ledger.entries and report.when == "teardown":
        row["pairs"] = ledger.entries
    results_file.record(
        row,
        report,
        call,
        scrub=redactor.scrub if redactor else (lambda text: text),
        statuses=item.stash.get(_STATUSES, None) if report.when == "teardown" else None,
        target_error=item.stash.get(_TARGET_ERROR, None),
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("recqual_results", default=None)
    if path:
        results_file.write(Path(path), run_context_of(session.config))

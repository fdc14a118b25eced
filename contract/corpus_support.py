"""A boundary-rich corpus uploaded once per module, isolated from everything else on the server.

Isolation: the corpus' local party numbers are replaced by two digit strings unique to this corpus
(digits: no case, so isolation itself rests on no A-4 case rule), and every query the oracle judges
is ANDed with one of them. So a pre-populated real server, or other tests' uploads, never enter a result set.

The corpus is drawn from ``strategies.corpus.corpora`` deterministically from the run's seed, plus a
few anchor recordings that guarantee every filter parameter can select a strict, non-empty subset
(so "this parameter filters" is always testable).

Dates: every start comes from the scene's upload window (the server's clock, its retention): the
corpus' base is ``upload_window.latest`` and its spread 29 days when the window is that wide,
the whole window otherwise; the anchors sit a few hours back (a proportional share of a narrower
window). So the corpus is accepted on any server, whatever the day and the retention.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import hypothesis
import pytest
from hypothesis import strategies as st

from contract import api, expect
from contract.client import ApiClient, Reply
from contract.scene import Scene
from strategies import audio, corpus
from strategies.rhs_colon import TICKS_PER_SECOND, DatetimeFilter, Instant, StringFilter

DRAWS = 4
"""Draw the corpus as the last of a few generated examples: Hypothesis' first is the minimal one."""


def draw_once(strategy: st.SearchStrategy[Any], seed: int | None) -> Any:
    """One example of ``strategy`` fixed by ``seed`` (outside a test; ``.example()`` is not seedable)."""
    box: list[Any] = []

    @hypothesis.seed(seed if seed is not None else 0)
    @hypothesis.settings(
        max_examples=DRAWS,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(strategy)
    def run(value: Any) -> None:
        box.append(value)

    run()
    return box[-1]


@dataclass
class UploadedCorpus:
    """The corpus, the server ids of its recordings, and the isolation values."""

    items: list[corpus.CorpusRecording]
    ids: dict[str, corpus.CorpusRecording]
    locals_: tuple[str, str]
    owners: tuple[str, ...]
    marks: dict[str, corpus.CorpusRecording] = dataclasses.field(default_factory=dict)
    """The boundary anchors by name (see ``boundary_anchors``): what the deterministic rows aim at."""
    groups: dict[str, list[corpus.CorpusRecording]] = dataclasses.field(default_factory=dict)
    """The operand-class groups (see ``class_groups``), and ``dst`` when the window holds a
    European clock change: what the pairwise filter check aims at."""

    def id_of(self, item: corpus.CorpusRecording) -> str:
        return next(k for k, v in self.ids.items() if v is item)

    def isolate(self, params: dict[str, Any], pick: int = 0) -> dict[str, Any]:
        """AND a corpus-unique localPartyNumber unless the query already names one."""
        if "localPartyNumber" not in params:
            params = {**params, "localPartyNumber": self.locals_[pick % 2]}
        return params

    def describe(self, rec_id: str) -> str:
        item = self.ids.get(rec_id.lower())
        if item is None:
            return f"{rec_id} (not in this corpus)"
        return (
            f"{rec_id[:8]} start={item.start.isoformat()} end={item.end.isoformat()} "
            f"dir={item.direction} local={item.local_party_number!r} "
            f"remote={item.remote_party_number!r} owner={item.owner_username}"
        )


HOUR = 3600 * TICKS_PER_SECOND
ANCHOR_HOURS = 12
"""The anchors sit up to 11 hours before the base; a spread narrower than this compresses them."""


def ago(base: Instant, spread_s: int, hours: float) -> Instant:
    """``hours`` before ``base``, or the same share of a spread narrower than ``ANCHOR_HOURS``."""
    back = min(int(hours * HOUR), spread_s * TICKS_PER_SECOND * hours / ANCHOR_HOURS)
    return base - int(back)


def _anchors(
    base: Instant, owners: Sequence[str], locals_: tuple[str, str], spread_s: int = ANCHOR_HOURS * 3600
) -> list[corpus.CorpusRecording]:
    """Recordings that make every plain filter discriminate: each direction, each owner, both locals."""
    out = []
    for i, direction in enumerate((0, 1, 2)):
        out.append(
            corpus.CorpusRecording(
                start=ago(base, spread_s, 5 + i),
                duration_ticks=(30 + 60 * i) * TICKS_PER_SECOND,
                direction=direction,
                local_party_number=locals_[i % 2],
                remote_party_number=f"+4420{i}555",
                owner_username=owners[i % len(owners)],
            )
        )
    return out


BOUNDARY_REMOTES = {
    "at": "c:\\x",
    "tick-after": "a;b",
    "same-second": "x\\;y",
    "tick-before": "back\\",
    "operator-literal": "contains:x9",
}
"""Each boundary anchor's remote number: the reference's escaping examples (``c:\\x``, ``a\\;b``), an
escaped backslash before ``;``, a trailing backslash, and a value that starts with an operator name
(A-12: only ``equals:contains:x9`` matches it)."""


def boundary_anchors(
    base: Instant, owner: str, local: str, spread_s: int = ANCHOR_HOURS * 3600
) -> dict[str, corpus.CorpusRecording]:
    """Recordings at, one tick either side of, and in the same second as one instant ``T``.

    Random draws put a filter bound exactly on a stored instant only sometimes; a server whose
    ``between`` includes its upper bound, or whose ``equals`` compares whole seconds, must fail on
    every seed, so the deterministic rows of test_filters aim at these. ``T`` sits a quarter second
    into its second (so the same-second neighbour and the whole-second reading differ); durations are
    equal, so the ends keep the same one-tick spacing for ``endTime``.
    """
    second_start = ago(base, spread_s, 10)
    at = Instant(second_start.ticks - second_start.ticks % TICKS_PER_SECOND + TICKS_PER_SECOND // 4)
    starts = {
        "at": at,
        "tick-after": at + 1,
        "same-second": at + TICKS_PER_SECOND // 2,
        "tick-before": at - 1,
        "operator-literal": at - 7 * 60 * TICKS_PER_SECOND,
    }
    return {
        name: corpus.CorpusRecording(
            start=start,
            duration_ticks=60 * TICKS_PER_SECOND,
            direction=1,
            local_party_number=local,
            remote_party_number=BOUNDARY_REMOTES[name],
            owner_username=owner,
        )
        for name, start in starts.items()
    }


def documented_anchors(
    base: Instant, tag: str, owner: str, local: str, spread_s: int = ANCHOR_HOURS * 3600
) -> dict[str, corpus.CorpusRecording]:
    """Whole-second recordings with run-unique, caseless remote numbers (``tag`` is digits).

    Why: the rows that query them need no assumption (no AND with an isolating filter, A-3; no
    sub-second storage, A-11; no case rule, A-4), so on a real server in the documented profile a
    wrong ``between`` bound or a lost escape is a failure, not a deviation. The numbers hold the
    reference's escapes: ``;`` and ``\\``.
    """
    hour_ago = ago(base, spread_s, 11)
    whole = Instant(hour_ago.ticks - hour_ago.ticks % TICKS_PER_SECOND)
    remotes = {"second-0": f"{tag};0", "second-1": f"{tag}\\1", "second-2": f"{tag}2"}
    return {
        name: corpus.CorpusRecording(
            start=whole + i * TICKS_PER_SECOND,
            duration_ticks=60 * TICKS_PER_SECOND,
            direction=2,
            local_party_number=local,
            remote_party_number=remote,
            owner_username=owner,
        )
        for i, (name, remote) in enumerate(remotes.items())
    }


def corpus_window(scene: Scene) -> tuple[Instant, int]:
    """The corpus' base and spread: the upload window's latest start, and 29 days or the window's
    whole width when it is narrower (an undeclared retention: one day)."""
    window = scene.upload_window
    return window.latest, min(corpus.DEFAULT_SPREAD_S, window.span_s)


def build_corpus(
    scene: Scene, *, seed: int | None, size: tuple[int, int]
) -> tuple[list[Any], tuple[str, str], tuple[str, ...], dict[str, Any]]:
    """Draw the corpus and make it unique to this run."""
    if scene.is_emulator:
        owners = tuple(scene.new_user(1, stem="owner").username for _ in range(2))
    else:
        owners = (scene.user("l10").username,)
    locals_ = (scene.number(), scene.number())
    base, spread_s = corpus_window(scene)
    drawn = draw_once(
        corpus.corpora(min_size=size[0], max_size=size[1], owners=owners, base=base, spread_s=spread_s), seed
    )
    mapping: dict[str, str] = {}
    items = []
    for item in drawn:
        local = mapping.setdefault(item.local_party_number.lower(), locals_[len(mapping) % 2])
        items.append(dataclasses.replace(item, local_party_number=local))
    items.extend(_anchors(base, owners, locals_, spread_s))
    marks = boundary_anchors(base, owners[0], locals_[0], spread_s)
    marks |= documented_anchors(base, scene.number(), owners[-1], locals_[1], spread_s)
    items.extend(marks.values())
    return items, locals_, owners, marks


GROUP_STEP_S = 1987
"""Seconds between the recordings of a group (plus a sub-second part): distinct, irregular starts."""


def class_groups(
    base: Instant,
    spread_s: int,
    *,
    tag: str,
    numbers: Sequence[str],
    owners: Sequence[str],
) -> dict[str, list[corpus.CorpusRecording]]:
    """One group of recordings per operand class (``corpus.OPERAND_CLASSES``), each under its own
    localPartyNumber (the run-unique ``numbers[i]`` plus the class' suffix, so isolating by it also
    exercises a plain filter holding that class' characters).

    Why: a wildcard, regex or double-decoding reading of a filter only shows when the stored data
    holds a value that reading would select and the literal one would not. Each group stores its
    class' values (the first three times, with the same owner and direction, so an equality selects
    enough for a deep and a partial page) beside their decoys; every remote value starts with ``tag``
    (run-unique digits). One more recording per group carries the decoy localPartyNumber. The
    plain group's three copies share one start instant (ties: A-3 breaks them by referenceNumber).
    """
    groups: dict[str, list[corpus.CorpusRecording]] = {}
    for g, (name, values) in enumerate(corpus.OPERAND_CLASSES.items()):
        suffix, local_decoys = corpus.LOCAL_CLASS_SUFFIXES[name]
        local = numbers[g] + suffix
        owner = owners[g % len(owners)]
        first = ago(base, spread_s, 1.5 + 0.8 * g) - 3 * 60 * TICKS_PER_SECOND
        remotes = [values[0].value] * 3 + [v.value for v in values[1:]]
        remotes += [d for v in values for d in v.decoys]
        members = []
        for k, remote in enumerate(remotes):
            shift = 0 if name == "plain" and k < 3 else k * (GROUP_STEP_S * TICKS_PER_SECOND + 1_234_567)
            members.append(
                corpus.CorpusRecording(
                    start=first - shift,
                    duration_ticks=(40 + 7 * k) * TICKS_PER_SECOND + 3_333 * k,
                    direction=g % 3,
                    local_party_number=local,
                    remote_party_number=f"{tag}-{remote}",
                    owner_username=owner if k < 3 else owners[(g + k) % len(owners)],
                    offset_minutes=(0, 120, -300)[k % 3],
                )
            )
        for d, decoy in enumerate(local_decoys):
            members.append(
                dataclasses.replace(
                    members[0],
                    start=first - (len(remotes) + d) * GROUP_STEP_S * TICKS_PER_SECOND,
                    local_party_number=numbers[g] + decoy,
                )
            )
        groups[name] = members
    return groups


def eu_clock_changes(earliest: Instant, latest: Instant) -> list[Instant]:
    """The European summer-time changes (last Sunday of March and of October, 01:00 UTC) between
    ``earliest`` and ``latest``, newest first."""
    changes = []
    for year in range(latest.to_datetime().year, earliest.to_datetime().year - 1, -1):
        for month in (10, 3):
            last = datetime(year, month, 31, 1, tzinfo=UTC)
            moment = last - timedelta(days=(last.weekday() + 1) % 7)
            instant = Instant.from_datetime(moment)
            if earliest <= instant <= latest:
                changes.append(instant)
    return changes


DST_STEPS_S = (-1800, 0, 0, 0, 1200)
"""Around a clock change: half an hour before, one tick before, at, one tick after, 20 min after."""


def dst_group(
    window_earliest: Instant, base: Instant, *, local: str, tag: str, owner: str
) -> list[corpus.CorpusRecording]:
    """Recordings at and around the newest European clock change inside the upload window (empty
    when it holds none, e.g. a lab with one day of retention). Each is uploaded with the offset the
    local clock showed (``+02:00`` in summer, ``+01:00`` in winter): the sort of date a server that
    converts with a fixed offset, or with today's offset, gets wrong by an hour."""
    changes = eu_clock_changes(window_earliest + 2 * HOUR, base - 2 * HOUR)
    if not changes:
        return []
    change = changes[0]
    summer_before = change.to_datetime().month == 10
    ticks = (0, -1, 0, 1, 0)
    out = []
    for k, (step, tick) in enumerate(zip(DST_STEPS_S, ticks, strict=True)):
        start = change + step * TICKS_PER_SECOND + tick
        summer = (start < change) == summer_before
        out.append(
            corpus.CorpusRecording(
                start=start,
                duration_ticks=(60 + k) * TICKS_PER_SECOND,
                direction=k % 3,
                local_party_number=local,
                remote_party_number=f"{tag}-dst{k}",
                owner_username=owner,
                offset_minutes=120 if summer else 60,
            )
        )
    return out


def upload(admin: ApiClient, items: list[corpus.CorpusRecording]) -> dict[str, corpus.CorpusRecording]:
    """Upload every recording (a tiny MP3: stored as it is, A-6, where a WAV is transcoded, which
    costs the server a quarter more per upload); a refused upload is a set-up failure naming the
    metadata."""
    ids: dict[str, corpus.CorpusRecording] = {}
    sound = audio.mp3(seconds=0.05)
    for item in items:
        reply = api.upload_recording(admin, item.to_upload_metadata(), sound, "audio/mpeg")
        expect.status(
            reply, 201, check="corpus upload", why="a valid recording (strategies.corpus) is uploaded"
        )
        ids[str(reply.json()["id"]).lower()] = item
    return ids


def listed_ids(reply: Reply) -> list[str]:
    body = reply.json()
    return [str(r.get("id", "")).lower() for r in body.get("recordings", [])]


def query(admin: ApiClient, params: Mapping[str, Any]) -> Reply:
    return api.list_recordings(admin, corpus.query_params(params))


def provenance_of(params: dict[str, Any]) -> str:
    """The assumptions a filter query's expected result rests on.

    Always A-3 (filters combine with AND: isolation adds one); A-2 for endTime; A-11/A-12/A-14 for
    RHS-Colon datetimes (bounds one 100-ns tick from stored values need 7-digit storage, operator
    reading, zones, empty ``between``); A-4 for string matching (case rules).
    """
    tags = ["A-3"]
    if "endTime" in params:
        tags.append("A-2")
    if any(isinstance(v, DatetimeFilter) for v in params.values()):
        tags += ["A-11", "A-12", "A-14"]
    if any(isinstance(v, StringFilter) for v in params.values()) or "ownerUsername" in params:
        tags += ["A-4", "A-12"]
    return ",".join(dict.fromkeys(tags))


def expect_most_recent_first(
    reply: Reply,
    starts: Sequence[int],
    shown: Sequence[str],
    *,
    check: str = "most recent first",
    title: str = "recordings are not ordered by start time, most recent first",
    expected: str = "startTime descending",
) -> None:
    """Documented: listRecordings answers most recent first. ``starts`` are the listed start times
    in ticks, in the order listed; ``shown`` names them in the failure (the first ten)."""
    expect.that(
        list(starts) == sorted(starts, reverse=True),
        reply,
        check=check,
        title=title,
        expected=expected,
        actual=list(shown)[:10],
    )


def assert_matches_oracle(
    reply: Reply,
    uploaded: UploadedCorpus,
    params: dict[str, Any],
    check: str,
    *,
    provenance: str | None = None,
) -> None:
    """Same recordings as the oracle, in the documented order, with the right totalCount.

    A query without ``localPartyNumber`` is not isolated: the server may hold other matches (a real
    server's own data, earlier runs' corpora), so only this corpus' slice of the answer is judged and
    ``totalCount`` must merely cover it. ``provenance`` overrides what ``provenance_of`` derives, for
    queries built to rest on nothing assumed.
    """
    isolated = "localPartyNumber" in params
    provenance = provenance_of(params) if provenance is None else provenance
    shown = corpus.query_params(params)
    expect.status(reply, 200, check=check, why=f"valid filters {shown}", provenance=provenance)
    body = expect.json_body(reply, check=check)
    expected = corpus.select(uploaded.items, params)
    expected_ids = [uploaded.id_of(r) for r in expected]
    actual_ids = [i for i in listed_ids(reply) if isolated or i in uploaded.ids]
    missing = [uploaded.describe(i) for i in expected_ids if i not in actual_ids]
    extra = [uploaded.describe(i) for i in actual_ids if i not in expected_ids]
    expect.that(
        not missing and not extra,
        reply,
        check=check,
        title=f"result set differs from the oracle for {shown}"
        + ("" if isolated else " (this run's recordings only)"),
        expected=f"{len(expected_ids)} recordings",
        actual=f"{len(actual_ids)} recordings",
        provenance=provenance,
        notes=[f"missing: {m}" for m in missing[:5]] + [f"unexpected: {e}" for e in extra[:5]],
    )
    expect_most_recent_first(
        reply,
        [uploaded.ids[i].start.ticks for i in actual_ids],
        [uploaded.ids[i].start.isoformat() for i in actual_ids],
    )
    total = body.get("totalCount")
    expect.that(
        total == len(expected_ids) if isolated else isinstance(total, int) and total >= len(expected_ids),
        reply,
        check="totalCount honest",
        title=f"totalCount does not count the matches of {shown}",
        expected=len(expected_ids) if isolated else f"at least {len(expected_ids)}",
        actual=total,
        provenance=provenance,
    )


@pytest.fixture(scope="session")
def uploaded_corpus(recqual_run: Any) -> UploadedCorpus:
    """The shared corpus of test_filters and test_paging (uploaded once per session)."""
    context = recqual_run.context
    if context.read_only:
        pytest.skip("read-only profile: the filter and paging oracles upload their own corpus")
    scene = recqual_run.scene
    admin = scene.client("l10")
    items, locals_, owners, marks = build_corpus(
        scene, seed=context.seed, size=RUN_SIZES[context.quick or not context.is_emulator]
    )
    base, spread_s = corpus_window(scene)
    tag = scene.number()
    numbers = [scene.number() for _ in corpus.OPERAND_CLASSES]
    groups = class_groups(base, spread_s, tag=tag, numbers=numbers, owners=owners)
    dst = dst_group(scene.upload_window.earliest, base, local=scene.number(), tag=tag, owner=owners[0])
    if dst:
        groups["dst"] = dst
    items += [r for group in groups.values() for r in group]
    return UploadedCorpus(items, upload(admin, items), locals_, owners, marks, groups)


RUN_SIZES = {False: (20, 30), True: (12, 18)}
"""Corpus sizes (min, max) for full and --quick runs."""

"""A boundary-rich corpus uploaded once per module, isolated from everything else on the server.

Isolation: the corpus' local party numbers are replaced by two digit strings unique to this corpus
(digits: no case, so isolation itself rests on no A-4 case rule), and every query the oracle judges
is ANDed with one of them. So a pre-populated real server, or other tests' uploads, never enter a result set.

The corpus is drawn from ``strategies.corpus.corpora`` deterministically from the run's seed, plus a
few anchor recordings that guarantee every filter parameter can select a strict, non-empty subset
(so "this parameter filters" is always testable).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
from hypothesis import strategies as st

from contract import api, expect
from contract.client import ApiClient, Reply
from contract.provenance import RUN
from contract.scene import Scene
from strategies import audio, corpus
from strategies.rhs_colon import TICKS_PER_SECOND, Instant

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


def _anchors(base: Instant, owners: Sequence[str], locals_: tuple[str, str]) -> list[corpus.CorpusRecording]:
    """Recordings that make every plain filter discriminate: each direction, each owner, both locals."""
    hour = 3600 * TICKS_PER_SECOND
    out = []
    for i, direction in enumerate((0, 1, 2)):
        out.append(
            corpus.CorpusRecording(
                start=base - (5 + i) * hour,
                duration_ticks=(30 + 60 * i) * TICKS_PER_SECOND,
                direction=direction,
                local_party_number=locals_[i % 2],
                remote_party_number=f"+4420{i}555",
                owner_username=owners[i % len(owners)],
            )
        )
    return out


def build_corpus(
    scene: Scene, *, seed: int | None, size: tuple[int, int]
) -> tuple[list[Any], tuple[str, str], tuple[str, ...]]:
    """Draw the corpus and make it unique to this run."""
    if scene.is_emulator:
        owners = tuple(scene.new_user(1, stem="owner").username for _ in range(2))
    else:
        owners = (scene.user("l10").username,)
    locals_ = (scene.number(), scene.number())
    base = Instant.now() - 60 * TICKS_PER_SECOND
    drawn = draw_once(corpus.corpora(min_size=size[0], max_size=size[1], owners=owners, base=base), seed)
    mapping: dict[str, str] = {}
    items = []
    for item in drawn:
        local = mapping.setdefault(item.local_party_number.lower(), locals_[len(mapping) % 2])
        items.append(dataclasses.replace(item, local_party_number=local))
    items.extend(_anchors(base, owners, locals_))
    return items, locals_, owners


def upload(admin: ApiClient, items: list[corpus.CorpusRecording]) -> dict[str, corpus.CorpusRecording]:
    """Upload every recording (tiny WAV); a refused upload is a set-up failure naming the metadata."""
    ids: dict[str, corpus.CorpusRecording] = {}
    sound = audio.wav("pcm16", seconds=0.05)
    for item in items:
        reply = api.upload_recording(admin, item.to_upload_metadata(), sound, "audio/wav")
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


@pytest.fixture(scope="session")
def uploaded_corpus(recqual_run: Any) -> UploadedCorpus:
    """The shared corpus of test_filters and test_paging (uploaded once per session)."""
    if RUN.read_only:
        pytest.skip("read-only profile: the filter and paging oracles upload their own corpus")
    scene = recqual_run.scene
    admin = scene.client("l10")
    items, locals_, owners = build_corpus(
        scene, seed=RUN.seed, size=RUN_SIZES[RUN.quick or not RUN.is_emulator]
    )
    return UploadedCorpus(items, upload(admin, items), locals_, owners)


RUN_SIZES = {False: (20, 30), True: (12, 18)}
"""Corpus sizes (min, max) for full and --quick runs."""

"""Uploads and lists that overlap in time: each upload stays itself (reference 2.2, 3; A-6).

K uploads with distinct metadata and distinct audio are released together (a barrier), while a
reader lists the recordings of their shared local number over and over. Invariants per overlap:

- every upload is 201 with its own id: K distinct ids (documented: 201 ``{id}``, A-5 its shape);
- K distinct ``referenceNumber`` values (documented, section 3: "unique"); a server that numbers a
  recording with "the highest number so far + 1" read outside the insert's transaction gives two
  overlapping uploads the same number, and a one-upload-at-a-time check never sees it;
- each id's detail echoes *its own* upload's metadata, and its ``/Media`` is *its own* audio: the
  bytes sent (an MP3 is stored as sent, A-6), with ``size`` and ``hash`` describing them (A-6), and no
  two ids serving the same bytes (documented: the id selects the recording). A shared staging buffer
  or a "latest upload" pointer mixes bodies only when uploads overlap;
- a list taken while the uploads are under way shows each of them either not yet or complete: every
  listed item of ours has the fields its finished recording has (no half-written row, documented: a
  listed Recording is the recording), ``totalCount`` counts what the unpaged list holds, and a
  recording once listed is listed again by the next list (nothing deletes a recording).

Foreign recordings (a lab's, a former run's) are left out by id: only the run's own ids are judged.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from dataclasses import dataclass
from typing import Any

import pytest

from contract import api, expect
from contract.client import ApiClient, Reply
from contract.run_context import RunContext
from contract.scene import Scene
from contract.test_races import burst, together
from strategies import audio
from strategies.durations import parse_iso_duration
from strategies.rhs_colon import TICKS_PER_SECOND, Instant

CHECK_UPLOADS = "overlapping uploads: distinct ids and referenceNumbers, each its own body"
CHECK_LISTS = "a list during uploads shows only complete recordings"
MAX_LISTS = 40
"""The reader's bound: lists taken while the uploads are under way (it stops once they all answered)."""


@dataclass(frozen=True)
class Upload:
    """One of the K uploads: what was sent."""

    meta: dict[str, Any]
    data: bytes


def uploads_for(scene: Scene, caller: str, k: int) -> list[Upload]:
    """K uploads sharing one fresh local number (so one filtered list finds them all) and differing in
    everything else: start (whole seconds apart, with sub-second ticks), duration, direction, remote
    number, note, and audio length (so no two stored MP3s can be equal)."""
    local = scene.number()
    base = scene.upload_window.hours_ago(1.5).ticks
    base -= base % TICKS_PER_SECOND
    out = []
    for i in range(k):
        start = Instant(base - i * 7 * TICKS_PER_SECOND + (i + 1) * 1_111_111)
        meta = {
            "startDateTime": start.isoformat(digits=7),
            "duration": f"PT{11 + 3 * i}S",
            "direction": i % 3,
            "localParty": {"username": caller, "phoneNumber": local},
            "remoteParty": {"phoneNumber": f"+39{scene.number()}"},
            "notes": f"overlap {i} of {k} ({scene.name('note')})",
        }
        out.append(Upload(meta, audio.mp3(0.15 + 0.05 * i)))
    return out


def listed_fields(meta: dict[str, Any], caller: str) -> dict[str, Any]:
    """What a listed Recording must say about an upload (section 3; startTime to the second)."""
    return {
        "startTime": Instant.parse(meta["startDateTime"]).ticks // TICKS_PER_SECOND,
        "duration": parse_iso_duration(meta["duration"]),
        "direction": meta["direction"],
        "localPartyNumber": meta["localParty"]["phoneNumber"],
        "remotePartyNumber": meta["remoteParty"]["phoneNumber"],
        "ownerUsername": caller.lower(),
    }


def seen_fields(item: dict[str, Any]) -> dict[str, Any]:
    """The same fields as a list item or a detail shows them (unreadable values kept as text)."""

    def start(value: Any) -> Any:
        try:
            return Instant.parse(str(value)).ticks // TICKS_PER_SECOND
        except ValueError:
            return value

    def length(value: Any) -> Any:
        try:
            return parse_iso_duration(str(value))
        except ValueError:
            return value

    owner = item.get("ownerUsername")
    if owner is None and isinstance(item.get("owner"), dict):
        owner = item["owner"].get("username")
    return {
        "startTime": start(item.get("startTime")),
        "duration": length(item.get("duration")),
        "direction": item.get("direction"),
        "localPartyNumber": item.get("localPartyNumber"),
        "remotePartyNumber": item.get("remotePartyNumber"),
        "ownerUsername": str(owner).lower() if owner is not None else None,
    }


def incomplete_items(
    snapshots: list[dict[str, Any]], want: dict[str, dict[str, Any]], refs: dict[str, str]
) -> list[str]:
    """Every listed item of ours (by id) that differs from its finished recording: the fields of the
    upload, and the referenceNumber the detail gives. Foreign ids are not judged."""
    wrong = []
    for n, body in enumerate(snapshots):
        for item in body.get("recordings") or []:
            if not isinstance(item, dict):
                wrong.append(f"list {n}: an item that is not an object: {item!r}")
                continue
            rec_id = str(item.get("id", "")).lower()
            if rec_id not in want:
                continue
            got = seen_fields(item)
            diff = {k: got[k] for k in want[rec_id] if got[k] != want[rec_id][k]}
            if item.get("referenceNumber") != refs.get(rec_id):
                diff["referenceNumber"] = item.get("referenceNumber")
            if diff:
                wrong.append(f"list {n}: {rec_id} shows {diff} (finished: {want[rec_id]})")
    return wrong


def count_mismatches(snapshots: list[dict[str, Any]]) -> list[str]:
    """An unpaged list's ``totalCount`` is the number of items it returned (documented: pageSize
    omitted returns every match)."""
    out = []
    for n, body in enumerate(snapshots):
        items = body.get("recordings")
        if not isinstance(items, list) or body.get("totalCount") != len(items):
            shown = len(items) if isinstance(items, list) else items
            out.append(f"list {n}: totalCount {body.get('totalCount')!r}, items {shown}")
    return out


def vanished(snapshots: list[dict[str, Any]], ours: set[str]) -> list[str]:
    """Recordings of ours listed by one list and missing from a later one (lists run one after the
    other on one thread, so a later list started after the earlier one answered)."""
    out = []
    seen: set[str] = set()
    for n, body in enumerate(snapshots):
        now = {str(i.get("id", "")).lower() for i in body.get("recordings") or [] if isinstance(i, dict)}
        gone = (seen - now) & ours
        if gone:
            out.append(f"list {n} no longer shows {sorted(gone)}")
        seen |= now & ours
    return out


class Reader:
    """Lists one local number over and over until told to stop (bounded by ``MAX_LISTS``)."""

    def __init__(self, client: ApiClient, local: str) -> None:
        self.client = client
        self.local = local
        self.done = threading.Event()
        self.replies: list[Reply] = []

    def run(self) -> Reply:
        while not self.done.is_set() and len(self.replies) < MAX_LISTS:
            self.replies.append(api.list_recordings(self.client, {"localPartyNumber": self.local}))
        return self.replies[-1] if self.replies else api.list_recordings(self.client, {"pageSize": 1})


def _upload_ids(replies: list[Reply]) -> list[str]:
    ids = []
    for reply in replies:
        expect.status(reply, 201, check=CHECK_UPLOADS, why="a valid upload, overlapping others")
        body = expect.json_body(reply, check=CHECK_UPLOADS, provenance="A-5")
        rec_id = body.get("id") if isinstance(body, dict) else None
        expect.that(
            isinstance(rec_id, str) and bool(rec_id),
            reply,
            check=CHECK_UPLOADS,
            title="201 body has no id",
            expected='{"id": "<uuid>"}',
            actual=body,
            provenance="A-5",
        )
        ids.append(str(rec_id).lower())
    expect.that(
        len(set(ids)) == len(ids),
        replies[-1],
        check=CHECK_UPLOADS,
        title=f"{len(ids)} overlapping uploads were given the same id",
        expected=f"{len(ids)} distinct ids",
        actual=ids,
    )
    return ids


def _details(
    admin: ApiClient, ids: list[str], sent: list[Upload], caller: str
) -> tuple[list[Reply], list[dict]]:
    """Each id's detail, which must echo its own upload (the fields a list also shows, and the note)."""
    replies, bodies = [], []
    for rec_id, upload in zip(ids, sent, strict=True):
        reply = expect.status(
            api.get_recording(admin, rec_id), 200, check=CHECK_UPLOADS, why="the recording was just uploaded"
        )
        body = expect.json_body(reply, check=CHECK_UPLOADS)
        want, got = listed_fields(upload.meta, caller), seen_fields(body)
        note = (body.get("note") or {}).get("text") if isinstance(body.get("note"), dict) else None
        if note != upload.meta["notes"]:
            got, want = {**got, "note": note}, {**want, "note": upload.meta["notes"]}
        expect.that(
            got == want and str(body.get("id", "")).lower() == rec_id,
            reply,
            check=CHECK_UPLOADS,
            title=f"recording {rec_id} shows another upload's metadata (uploads overlapped)",
            expected={"id": rec_id, **want},
            actual={"id": body.get("id"), **got},
        )
        replies.append(reply)
        bodies.append(body)
    return replies, bodies


def _references(replies: list[Reply], bodies: list[dict]) -> dict[str, str]:
    refs = {str(b.get("id", "")).lower(): b.get("referenceNumber") for b in bodies}
    values = list(refs.values())
    dupes = sorted({str(v) for v in values if values.count(v) > 1})
    expect.that(
        not dupes and all(isinstance(v, str) and v for v in values),
        replies[-1],
        check=CHECK_UPLOADS,
        title=f"{len(values)} overlapping uploads do not have distinct referenceNumbers",
        expected="a unique, non-empty referenceNumber each (section 3)",
        actual=f"{refs} (shared: {dupes})" if dupes else refs,
    )
    return {k: str(v) for k, v in refs.items()}


def _media(admin: ApiClient, ids: list[str], sent: list[Upload], bodies: list[dict]) -> None:
    """Each id serves its own bytes: the MP3 sent (A-6), described by size and hash (A-6), and no two
    ids the same bytes (documented: nothing but the id selects the recording)."""
    digests: dict[str, str] = {}
    for rec_id, upload, body in zip(ids, sent, bodies, strict=True):
        reply = expect.status(
            api.download_recording(admin, rec_id),
            200,
            check=CHECK_UPLOADS,
            why="the recording was just uploaded",
        )
        data = reply.content
        digest = hashlib.sha256(data).hexdigest()
        expect.that(
            digest not in digests.values(),
            reply,
            check=CHECK_UPLOADS,
            title=f"two overlapping uploads serve the same /Media bytes ({rec_id} and "
            f"{next((k for k, v in digests.items() if v == digest), '?')})",
            expected="each id its own audio (each upload sent different audio)",
            actual=f"sha256 {digest}",
        )
        digests[rec_id] = digest
        described = (body.get("size"), str((body.get("hash") or {}).get("value", "")).lower())
        expect.that(
            described == (len(data), digest),
            reply,
            check=CHECK_UPLOADS,
            title=f"size and hash of {rec_id} do not describe its /Media (uploads overlapped)",
            expected=(len(data), digest),
            actual=described,
            provenance="A-6",
        )
        expect.that(
            data == upload.data,
            reply,
            check=CHECK_UPLOADS,
            title=f"/Media of {rec_id} is not the MP3 its upload sent (uploads overlapped)",
            expected=f"{len(upload.data)} bytes, sha256 {hashlib.sha256(upload.data).hexdigest()}",
            actual=f"{len(data)} bytes, sha256 {digest}",
            provenance="A-6",
        )


def _judge_lists(
    reader: Reader, ids: list[str], want: dict[str, dict[str, Any]], refs: dict[str, str]
) -> None:
    for reply in reader.replies:
        expect.status(reply, 200, check=CHECK_LISTS, why="a filtered list while uploads are under way")
    snapshots = [expect.json_body(r, check=CHECK_LISTS) for r in reader.replies]
    bodies = [b if isinstance(b, dict) else {} for b in snapshots]
    last = reader.replies[-1] if reader.replies else None
    problems = incomplete_items(bodies, want, refs)
    expect.that(
        not problems,
        last,
        check=CHECK_LISTS,
        title="a list taken during overlapping uploads shows a recording that is not complete",
        expected="each of our recordings either absent or with its finished fields",
        actual="; ".join(problems[:4]),
    )
    problems = count_mismatches(bodies)
    expect.that(
        not problems,
        last,
        check=CHECK_LISTS,
        title="an unpaged list taken during uploads has a totalCount other than its length",
        expected="totalCount = the number of recordings returned",
        actual="; ".join(problems[:4]),
    )
    problems = vanished(bodies, set(ids))
    expect.that(
        not problems,
        last,
        check=CHECK_LISTS,
        title="a recording listed during the uploads disappeared from a later list",
        expected="a listed recording stays listed",
        actual="; ".join(problems[:4]),
    )


@pytest.fixture
def k_uploads(run_context: RunContext) -> int:
    """Overlapping uploads: a few (a real server keeps every upload: nothing deletes one)."""
    return run_context.examples(full=6, quick=4, creates=True)


@pytest.mark.recqual(
    family="races",
    operation=["uploadRecording", "getRecording", "downloadRecording", "listRecordings"],
    check=CHECK_UPLOADS,
)
def test_overlapping_uploads(admin: ApiClient, scene: Scene, k_uploads: int) -> None:
    caller = admin.credentials.username if admin.credentials else "admin"
    sent = uploads_for(scene, caller, k_uploads)
    local = sent[0].meta["localParty"]["phoneNumber"]
    reader = Reader(admin, local)
    remaining = [k_uploads]
    lock = threading.Lock()

    def upload(client: ApiClient, sending: Upload) -> Reply:
        try:
            return api.upload_recording(client, sending.meta, sending.data, audio.MP3_CONTENT_TYPE)
        finally:
            with lock:
                remaining[0] -= 1
                if not remaining[0]:
                    reader.done.set()

    with burst(admin, k_uploads) as client:
        sends = [functools.partial(upload, client, u) for u in sent]
        replies = together([*sends, reader.run])[:k_uploads]
    ids = _upload_ids(replies)
    detail_replies, bodies = _details(admin, ids, sent, caller)
    refs = _references(detail_replies, bodies)
    _media(admin, ids, sent, bodies)
    reader.replies.append(api.list_recordings(admin, {"localPartyNumber": local}))  # after: all K
    want = {rec_id: listed_fields(u.meta, caller) for rec_id, u in zip(ids, sent, strict=True)}
    _judge_lists(reader, ids, want, refs)
    final = reader.replies[-1].json_or_none() or {}
    listed = {str(i.get("id", "")).lower() for i in final.get("recordings") or [] if isinstance(i, dict)}
    expect.that(
        set(ids) <= listed,
        reader.replies[-1],
        check=CHECK_LISTS,
        title="a list after the overlapping uploads misses some of them",
        expected=sorted(ids),
        actual=sorted(listed & set(ids)),
    )

"""Uploads across every pair of their dimensions: every view of each recording agrees (reference 2.2, 3).

Invariant: for an upload drawn from any row of a pairwise covering array over
``strategies.metadata.UPLOAD_DIMENSIONS`` (direction x audio encoding x notes x preserved x the remote
number's character class x the start's region (UTC, 100 ns, offset, summer time, a daylight-saving
change) x the duration's shape x the owner (the caller or another user)), the server

- stores it (201 ``{id}``, A-5);
- describes it in the detail exactly as uploaded (``test_transfer.check_echo``: start, duration,
  direction, parties, pbxInfo, note and preservation credited to the caller) and as a valid
  ``RecordingDetail`` (the spec's model, so a field mistyped only for some rows is a schema
  failure with its path), owned by the localParty user;
- lists it (``localPartyNumber`` is unique to the upload) as a valid ``Recording`` that says what the
  detail says, field by field, with the owner's username;
- serves ``/Media`` as MP3 whose size and hash the detail gives (A-6, A-10), and still serves the
  same bytes for it after every other row was uploaded (documented: the id alone selects the audio).

One-rule checks upload one simple recording per rule; a bug on a code path that only some
combinations take (a preserved recording with a note, an incoming call from a ``+`` number, an
offset in summer, a fraction after minutes, a recording uploaded for someone else) passes them. The
covering array reaches every pair of dimension values with about 36 uploads; Hypothesis draws the
values inside each row, so the values change with the seed and the pairs do not. The pairs the run
reached are recorded (``pairs``) and shown in the report.

Bounded for real servers: uploads cannot be deleted, so the rows are capped by
``run_context.examples(..., creates=True)``, the audio is under a second, and the Hypothesis example
is never replayed (no shrinking: a replay would upload every row again).
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import specs
from contract import api, expect
from contract.client import ApiClient, Reply
from contract.pair_ledger import NO_SHRINK, PairLedger
from contract.run_context import RunContext
from contract.scene import Scene
from contract.schema_checks import model_errors
from contract.spec_provenance import load, response_provenance
from contract.test_transfer import CHECK_ECHO, check_echo, check_media
from strategies import audio, metadata
from strategies.durations import parse_iso_duration
from strategies.pairwise import covering_rows
from strategies.rhs_colon import Instant

CHECK = "uploads across pairs of dimensions"
CHECK_LISTED = "listed as detailed"
CHECK_STABLE = "media stays the recording's own"

BASE_FIELDS = ("id", "referenceNumber", "direction", "localPartyNumber", "remotePartyNumber")
"""RecordingBase fields a list item and the detail must give identically (startTime and duration are
compared as an instant and a length: two spellings of one value are not a disagreement)."""


def dimensions_for(*, other_owner: bool, regions: tuple[str, ...]) -> dict[str, tuple[Hashable, ...]]:
    """``UPLOAD_DIMENSIONS`` narrowed to what this target can have: no "other" owner without a second
    user, only the start regions the server's retention window contains."""
    dims = dict(metadata.UPLOAD_DIMENSIONS)
    dims["start"] = tuple(r for r in dims["start"] if r in regions)
    if not other_owner:
        dims["owner"] = ("self",)
    return dims


def model_failures(reply: Reply, operation: str, component: str, item: Any, at: list[Any]) -> None:
    """The item must be a valid ``component`` of the spec; provenance from the spec path (A-n)."""
    errors = model_errors(specs.RECORDINGS, component, item)
    if not errors:
        return
    path, message = errors[0]
    provenance = response_provenance(load(str(specs.RECORDINGS)), operation, 200, [*at, *path])
    expect.that(
        False,
        reply,
        check=CHECK,
        title=f"{component} does not match the spec at {'/'.join(map(str, path)) or '(root)'}",
        expected=f"a {component} (specs/recordings.yaml)",
        actual=message,
        provenance=provenance,
        notes=[f"{len(errors)} schema error(s)"],
    )


def _same_field(name: str, listed: Any, detailed: Any) -> bool:
    """Equal, with two allowances: an id in another case is the same id (A-1 makes only the case
    of answers an assumption, judged elsewhere), and an absent remote number may read null or ""."""
    if name == "id" and isinstance(listed, str) and isinstance(detailed, str):
        return listed.lower() == detailed.lower()
    if name == "remotePartyNumber" and not listed and not detailed:
        return True
    return bool(listed == detailed)


def listed_differences(item: Mapping[str, Any], detail: Mapping[str, Any], owner: str) -> list[str]:
    """How a list item disagrees with the detail of the same recording (empty: it agrees)."""
    out = [
        f"{name}: list {item.get(name)!r}, detail {detail.get(name)!r}"
        for name in BASE_FIELDS
        if not _same_field(name, item.get(name), detail.get(name))
    ]
    for name, parse in (("startTime", Instant.parse), ("duration", parse_iso_duration)):
        try:
            same = parse(str(item.get(name))) == parse(str(detail.get(name)))
        except ValueError:
            same = False
        if not same:
            out.append(f"{name}: list {item.get(name)!r}, detail {detail.get(name)!r}")
    if str(item.get("ownerUsername") or "").lower() != owner.lower():
        out.append(f"ownerUsername: list {item.get('ownerUsername')!r}, owner {owner!r}")
    return out


@dataclass
class Uploaded:
    row: dict[str, Hashable]
    rec_id: str
    digest: str


def _sound(encoding: str, content_type: str) -> tuple[bytes, str]:
    if encoding == "mp3":
        return audio.mp3(0.1), audio.MP3_CONTENT_TYPE
    return audio.wav(encoding, seconds=0.1), content_type


def _listed(admin: ApiClient, number: str, rec_id: str, detail: dict[str, Any], owner: str) -> None:
    reply = api.list_recordings(admin, {"localPartyNumber": number, "pageSize": 5})
    expect.status(
        reply, 200, check=CHECK_LISTED, why="a plain equals filter on a number only this upload has"
    )
    body = expect.json_body(reply, check=CHECK_LISTED)
    items = (
        [i for i in (body.get("recordings") or []) if isinstance(i, dict)] if isinstance(body, dict) else []
    )
    found = [i for i in items if str(i.get("id", "")).lower() == rec_id.lower()]
    expect.that(
        len(found) == 1,
        reply,
        check=CHECK_LISTED,
        title="the uploaded recording is not listed under its localPartyNumber",
        expected=f"one item with id {rec_id}",
        actual=[i.get("id") for i in items],
    )
    model_failures(reply, "listRecordings", "Recording", found[0], ["recordings", items.index(found[0])])
    differences = listed_differences(found[0], detail, owner)
    expect.that(
        not differences,
        reply,
        check=CHECK_LISTED,
        title="the list item and the detail of one recording disagree",
        expected="the same values in both views",
        actual="; ".join(differences),
    )


def round_trip(
    admin: ApiClient, row: Mapping[str, Hashable], meta: dict[str, Any], sound: tuple[bytes, str]
) -> tuple[str, str]:
    """Upload one row's recording and judge every view of it; return its id and media digest (the
    detail's hash, which ``check_media`` proved is the SHA-256 of what /Media served)."""
    caller = admin.credentials.username if admin.credentials else ""
    reply = api.upload_recording(admin, meta, sound[0], sound[1])
    expect.status(
        reply, 201, check=CHECK, why=f"valid metadata and {sound[1]} audio", notes=[f"row {dict(row)}"]
    )
    body = expect.json_body(reply, check=CHECK, provenance="A-5")
    rec_id = str(body.get("id")) if isinstance(body, dict) else ""
    detail_reply = api.get_recording(admin, rec_id)
    expect.status(detail_reply, 200, check=CHECK_ECHO, why="the recording was just uploaded")
    detail = expect.json_body(detail_reply, check=CHECK_ECHO)
    model_failures(detail_reply, "getRecording", "RecordingDetail", detail, [])
    owner = meta["localParty"]["username"]
    got_owner = str((detail.get("owner") or {}).get("username") or "")
    expect.that(
        got_owner.lower() == owner.lower(),
        detail_reply,
        check=CHECK_ECHO,
        title="owner is not the localParty user",
        expected=owner,
        actual=got_owner,
    )
    check_echo(detail, meta, caller, detail_reply)
    _listed(admin, meta["localParty"]["phoneNumber"], rec_id, detail, owner)
    check_media(admin, rec_id, detail)
    return rec_id, str((detail.get("hash") or {}).get("value", "")).lower()


def media_digest(admin: ApiClient, rec_id: str) -> tuple[Reply, str]:
    reply = api.download_recording(admin, rec_id)
    expect.status(reply, 200, check=CHECK_STABLE, why="the recording was uploaded by this check")
    return reply, hashlib.sha256(reply.content).hexdigest()


@pytest.mark.recqual(
    family="transfer",
    operation=["uploadRecording", "getRecording", "listRecordings", "downloadRecording"],
    check=CHECK,
)
def test_uploads_across_pairs(
    admin: ApiClient, scene: Scene, run_context: RunContext, pairs: PairLedger
) -> None:
    caller = admin.credentials.username if admin.credentials else ""
    other = scene.users.get("l2")
    owners = {"self": caller}
    if other is not None and other.username.lower() != caller.lower():
        owners["other"] = other.username
    window = scene.upload_window
    earliest, latest = window.earliest, window.latest
    dims = dimensions_for(other_owner="other" in owners, regions=metadata.start_regions(earliest, latest))
    rows = covering_rows(dims)
    rows = rows[: run_context.examples(full=len(rows), quick=len(rows), creates=True)]
    ran: list[dict[str, Hashable]] = []
    uploaded: list[Uploaded] = []

    @settings(
        max_examples=1,
        phases=NO_SHRINK,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        ran.clear()  # Hypothesis runs this once (no draw can fail); counted afresh all the same
        uploaded.clear()
        for row in rows:
            number = scene.number()
            meta = data.draw(
                metadata.upload_case(
                    row, owners=owners, local_number=number, earliest=earliest, latest=latest
                ),
                label=f"row {row}",
            )
            ctype = data.draw(st.sampled_from(audio.WAV_CONTENT_TYPES), label="WAV content type")
            note(f"row {row}: metadata {meta}")
            rec_id, digest = round_trip(admin, row, meta, _sound(str(row["audio"]), ctype))
            ran.append(row)
            uploaded.append(Uploaded(row, rec_id, digest))

    try:
        check()
    finally:
        pairs.record("uploadRecording", ran, dims)
    for done in uploaded:
        reply, digest = media_digest(admin, done.rec_id)
        expect.that(
            digest == done.digest,
            reply,
            check=CHECK_STABLE,
            title="/Media of an earlier upload changed after later uploads",
            expected=f"the bytes it served before (sha256 {done.digest[:16]}...)",
            actual=f"sha256 {digest[:16]}... ({len(reply.content)} bytes)",
            notes=[f"row {done.row}", f"{len(uploaded)} recordings uploaded by this check"],
        )

"""The fault catalogue: every named fault, the rule it breaks, and who must catch it.

Each ``Fault`` is a realistic server bug (one a real implementation could ship) that genuinely breaks
the reference, documented or assumed (``reference`` names the section or A-n). ``expect`` lists the
contract check families allowed to claim the kill (``"*"``: any check, for transport faults that every
family can run into); ``message`` is then a pattern the catching check's message must contain, so a
kill is for the right reason. ``load`` names the Locust scenario that must fail for faults that only
show under concurrency or load.

Select one by name: ``python -m tests.faults.proxy --fault NAME ...``; list them all with
``python -m tests.faults.catalogue``. ``--fault variant:NAME`` selects a *benign* variant instead
(``variants.py``: a different-but-correct server the suite must pass).
"""

from __future__ import annotations

from . import variants
from .behaviours import Behaviour, auth, filters, live, paging, races, schema, status, transfer, transport
from .combos import COMBINATIONS
from .fault import FAMILIES as FAMILIES
from .fault import Fault, _f

# fmt: off
# The table: name, fault family, reference rule, behaviour, [families that may catch it], options.
_CATALOGUE: list[Fault] = [
    # -- response schemas and content types ---------------------------------------------------------
    _f("missing-field-referenceNumber", "schema", "§3 RecordingBase", schema.missing_reference_number),
    _f("direction-as-string", "schema", "§3 Direction", schema.direction_as_string),
    _f("duration-as-seconds", "schema", "§3 RecordingBase.duration", schema.duration_as_seconds),
    _f("ispaused-as-int", "schema", "§3 LiveRecording", schema.is_paused_as_int, ("schema", "live-state")),
    _f("json-as-text-plain", "schema", "§2 (application/json answers)", schema.json_as_text_plain),
    _f("ids-uppercase", "schema", "A-1", schema.ids_uppercase),
    # -- status and reason codes ---------------------------------------------------------------------
    _f("400-as-500", "status", "§2 (400 reason codes)", status.bad_request_as_500, ("status", "schema")),
    _f("error-body-html", "status", "§2.1 400 body {reason, message}", status.error_body_html,
       ("status", "schema", "filters", "paging")),
    _f("reason-code-wrong", "status", "§2.1 reason 0 = filter", status.filter_reason_wrong,
       ("status", "filters", "schema")),
    _f("paging-reason-wrong", "status", "§2.1 reason 1 = paging", status.paging_reason_wrong,
       ("status", "paging", "schema")),
    _f("unknown-id-as-400", "status", "§2 getRecording/downloadRecording 404", status.unknown_id_as_400,
       ("status", "schema", "transfer")),
    _f("upload-retention-201", "status", "§2.2 409 retention", status.retention_ignored,
       ("status", "transfer")),
    _f("upload-future-201", "status", "A-5 (future start: 400 reason 1)", status.future_start_accepted,
       ("status", "transfer", "schema")),
    _f("start-no-channel-500", "status", "§2.3 start 503", status.no_channel_as_500,
       ("status", "live-state", "races", "schema")),
    _f("start-auto-record-429", "status", "A-18 (start on auto device: 400 reason 4)",
       status.auto_record_as_429, ("status", "live-state", "schema")),
    _f("start-empty-json-own-line", "status", "A-16 ({} body: 400 reason 0)", status.EmptyJsonIsOwnLine,
       ("status", "live-state", "schema")),
    # -- authentication and permissions --------------------------------------------------------------
    _f("ignored-auth", "auth", "§1 Basic on every operation, §5 401", auth.IgnoredAuth),
    _f("wrong-password-accepted", "auth", "§5 wrong credentials: 401", auth.WrongPasswordAccepted),
    _f("level2-sees-all", "auth", "§5, A-15 (Base Access: own recordings only)", auth.level2_sees_all),
    _f("other-user-recording-readable", "auth", "A-15 (others' recordings: 403)",
       auth.other_user_recording_readable),
    _f("level1-can-list", "auth", "A-15 (Record Only: no list)", auth.Level1CanList),
    _f("level0-lists-mine", "auth", "A-15 (no rights: 403 everywhere)", auth.Level0ListsMine),
    _f("record-only-controls-others", "auth", "§2.3, §5 (other lines need lv. 10)",
       auth.record_only_controls_others, ("auth", "live-state")),
    _f("level2-can-upload", "auth", "A-15 (upload needs Complete Management)", auth.level2_can_upload),
    _f("forbidden-as-401", "auth", "§5 (403 vs 401)", auth.forbidden_as_401, ("auth", "status")),
    _f("mine-shows-all", "auth", "§2 listMyActiveRecordings (the caller's own)", auth.MineShowsAll,
       ("auth", "live-state")),
    _f("level2-owner-filter-widens", "auth", "A-15 (others' recordings absent from the list)",
       auth.OwnerFilterWidens, ("auth", "filters")),
    # -- filters: each operator and boundary, escaping, case -----------------------------------------
    _f("between-upper-inclusive", "filters", "§4 between: upper excluded",
       filters.datetime_fault("between", upper_inclusive=True),
       description="between:T1;T2 includes recordings exactly at T2 (x <= T2 instead of x < T2)."),
    _f("between-lower-exclusive", "filters", "§4 between: lower included",
       filters.datetime_fault("between", lower_exclusive=True),
       description="between:T1;T2 excludes recordings exactly at T1 (x > T1 instead of x >= T1)."),
    _f("after-inclusive", "filters", "§4 after: strictly later",
       filters.datetime_fault("after", after_inclusive=True),
       description="after:T includes recordings exactly at T (>= instead of >)."),
    _f("before-inclusive", "filters", "§4 before: strictly earlier",
       filters.datetime_fault("before", before_inclusive=True),
       description="before:T includes recordings exactly at T (<= instead of <)."),
    _f("datetime-equals-to-the-second", "filters", "§4 equals: the instant, A-11 (7 digits)",
       filters.datetime_fault("equals", equals_to_the_second=True),
       description="A datetime equals compares whole seconds: fractional digits are ignored."),
    _f("datetime-offset-ignored", "filters", "A-14 (offsets are honoured)", filters.offset_ignored),
    _f("endtime-as-starttime", "filters", "A-2 (endTime = startTime + duration)",
       filters.end_time_as_start_time),
    _f("contains-as-prefix", "filters", "§4 contains", filters.contains_as_prefix,
       description="remoteParty contains:S matches only values that start with S."),
    _f("escape-backslash-literal", "filters", "§4 escaping (\\\\)", filters.escape_backslash_literal,
       description="An escaped backslash (\\\\) in a string operand is not unescaped: it stays two."),
    _f("escape-semicolon-literal", "filters", "§4 escaping (\\;)", filters.escape_semicolon_literal,
       description="An escaped semicolon (\\;) in a string operand is not unescaped."),
    _f("case-sensitive-equals", "filters", "A-4 (case-insensitive)", filters.case_sensitive_equals,
       description="String equality (remoteParty equals, localPartyNumber, ownerUsername) is "
                   "case-sensitive."),
    _f("equals-prefix-literal", "filters", "A-12 (explicit equals:)", filters.equals_prefix_literal,
       description="Only contains: is recognised: equals:x is matched as the literal text 'equals:x'."),
    _f("direction-filter-ignored", "filters", "§2.1 direction", filters.direction_ignored),
    _f("empty-filter-matches-all", "filters", "A-4 (empty plain filter matches nothing)",
       filters.empty_filter_matches_all),
    _f("invalid-filter-ignored", "filters", "A-13 (invalid filter: 400 reason 0)",
       filters.InvalidFilterIgnored, ("filters", "status", "schema")),
    _f("live-username-filter-ignored", "filters", "§2.3 listActiveRecordings filters",
       filters.live_username_ignored, ("filters", "live-state")),
    _f("between-reversed-400", "filters", "A-14 (T1 >= T2: 200, empty)", filters.BetweenReversedRejected,
       ("filters", "status")),
    _f("direction-zero-ignored", "filters", "§2.1 direction (0 unknown)", filters.direction_zero_ignored),
    _f("local-party-suffix-match", "filters", "§2.1 localPartyNumber: equals only",
       filters.local_party_suffix_match),
    _f("live-numericuserid-filter-ignored", "filters", "§2.3 listActiveRecordings filters",
       filters.live_numeric_user_id_ignored, ("filters", "live-state")),
    # -- paging, order, totalCount -------------------------------------------------------------------
    _f("totalcount-page-size", "paging", "§2.1 totalCount", paging.total_count_is_page_size),
    _f("order-ascending", "paging", "§2.1 most recent first, A-3", paging.oldest_first,
       ("paging", "filters")),
    _f("page-overlap", "paging", "§2.1 page/pageSize", paging.page_overlap),
    _f("page-one-based", "paging", "§2.1 page is 0-based", paging.page_one_based),
    _f("past-end-totalcount-zero", "paging", "A-3 (past the end: same totalCount)",
       paging.past_end_total_zero),
    _f("pagesize-default-10", "paging", "§2.1 pageSize omitted: every match", paging.DefaultPageSize,
       ("paging", "filters")),
    _f("last-partial-page-empty", "paging", "§2.1 page/pageSize", paging.last_partial_page_empty,
       ("paging", "filters")),
    # -- live-state transitions ----------------------------------------------------------------------
    _f("pause-noop", "live-state", "§2.3 pause", live.PauseNoop),
    _f("stop-noop", "live-state", "§2.3 stop, A-7", live.StopNoop),
    _f("resume-409-instead-of-429", "live-state", "§2.3 Resume 429: not paused", live.resume_not_paused_409,
       ("live-state", "status")),
    _f("pause-twice-204", "live-state", "§2.3 Pause 429: already paused", live.pause_paused_204,
       ("live-state", "status", "races")),
    _f("stop-unknown-404", "live-state", "§2.3 Stop 409", live.stop_unknown_404, ("live-state", "status")),
    _f("start-duplicate-409", "live-state", "§2.3 Start 429: already being recorded",
       live.start_duplicate_409, ("live-state", "status", "races")),
    _f("live-duration-grows-while-paused", "live-state", "A-8", live.duration_grows_while_paused),
    _f("pause-by-line-first-only", "live-state", "§2.3 by DN: every recording of the line",
       live.PauseByLineFirstOnly),
    _f("stopped-not-listed", "live-state", "A-7 (listed within 2 s)",
       lambda: live.HiddenAfterStop(None, hide_by_id=False),
       description="A stopped recording never appears in listRecordings (the search index is not updated)."),
    _f("completed-late", "live-state", "A-7 (listed within 2 s)",
       lambda: live.HiddenAfterStop(5.0, hide_by_id=True),
       description="A stopped recording is invisible (list and get) for 5 s after the stop."),
    _f("completed-duration-wall-clock", "live-state", "A-8 (completed duration = recorded time)",
       live.WallClockDuration, ("live-state", "transfer")),
    _f("resume-noop", "live-state", "§2.3 resume", live.ResumeNoop),
    _f("resume-by-line-first-only", "live-state", "§2.3 by DN: every recording of the line",
       live.ResumeByLineFirstOnly),
    _f("pause-by-id-pauses-line", "live-state", "§2.3 pause by id (that recording only)",
       live.PauseByIdPausesLine),
    _f("mine-ispaused-false", "live-state", "§2.3 listMyActiveRecordings, §3 LiveRecording.isPaused",
       live.mine_is_paused_false, ("live-state", "auth")),
    _f("live-remote-names-swapped", "live-state", "§3 LiveRecording.remoteParty",
       live.live_remote_names_swapped, ("live-state", "schema")),
    _f("live-duration-since-resume", "live-state", "A-8 (duration: all recorded time)",
       live.DurationSinceResume),
    _f("start-device-dn-mismatch", "live-state", "§2.3 start: both names given, the call must match both",
       live.StartDeviceWins, ("live-state", "status")),
    # -- races ---------------------------------------------------------------------------------------
    _f("start-race-two-winners", "races", "§2.3 Start 429 (one winner)", races.start_two_winners,
       load="races"),
    _f("pause-race-two-winners", "races", "§2.3 Pause 429 (one winner)", races.pause_two_winners,
       load="races"),
    # -- upload/download integrity -------------------------------------------------------------------
    _f("hash-wrong", "transfer", "A-6, A-10", transfer.HashWrong),
    _f("hash-uppercase", "transfer", "A-10 (lowercase hex)", transfer.hash_uppercase, ("transfer", "schema")),
    _f("size-off-by-one", "transfer", "A-6 (size of /Media bytes)", transfer.size_off_by_one),
    _f("media-corrupt-byte", "transfer", "A-6 (hash of /Media bytes)", transfer.media_corrupt_byte),
    _f("media-truncated", "transfer", "A-6", transfer.media_truncated),
    _f("media-content-type-octet", "transfer", "§2 downloadRecording audio/mpeg", transfer.media_octet_stream,
       ("transfer", "schema")),
    _f("note-dropped", "transfer", "§2.2 notes", transfer.note_dropped),
    _f("note-author-owner", "transfer", "§2.2 notes authored by the caller", transfer.note_author_is_owner),
    _f("preserving-user-dropped", "transfer", "§2.2 preserved", transfer.preserving_user_dropped),
    _f("wav-not-transcoded", "transfer", "A-6 (stored as MP3)", transfer.WavNotTranscoded,
       ("transfer", "schema")),
    _f("remote-party-dropped", "transfer", "§3 UploadRecordingMetadata.remoteParty",
       transfer.RemotePartyDropped),
    _f("starttime-shifted-1h", "transfer", "§3 startTime, A-11", transfer.start_time_shifted,
       ("transfer", "filters")),
    _f("upload-direction-unchecked", "transfer", "§3 Direction, §2.2 400 reason 1",
       transfer.direction_unchecked, ("transfer", "status")),
    _f("upload-local-number-optional", "transfer", "§3 UploadRecordingMetadata.localParty, §2.2 reason 1",
       transfer.local_number_optional, ("transfer", "status")),
    _f("upload-bad-duration-zero", "transfer", "§3 UploadRecordingMetadata.duration, §2.2 reason 1",
       transfer.bad_duration_zero, ("transfer", "status")),
    _f("upload-attachment-type-sniffed", "transfer", "§2.2 the attachment must carry its Content-Type",
       transfer.AttachmentTypeSniffed, ("transfer", "status")),
    _f("media-of-latest-upload", "transfer", "§2 downloadRecording (/{id}/Media)",
       transfer.MediaOfLatestUpload),
    # -- transport: 5xx, latency, stall, reset -------------------------------------------------------
    _f("intermittent-500", "transport", "§2 (500 is never a correct answer)", transport.Intermittent500,
       ("*",), message=r"\b500\b"),
    _f("slow-responses", "transport", "load SLO (p95 500 ms)", transport.slow_reads, ("*",), load="reads",
       message=r"p95|p99|latenc|slow|timed out"),
    _f("stall", "transport", "client timeout (design rule 4)", lambda: transport.StallOn("getRecording"),
       ("*",), description="getRecording never answers: the connection stays open until the client gives up.",
       message=r"no answer|timed out|timeout|Timeout|stopped answering"),
    _f("reset", "transport", "client transport errors (design rule 4)",
       lambda: transport.ResetOn("downloadRecording"), ("*",),
       description="downloadRecording sends half its body, then the connection drops.",
       message=r"no answer|RemoteProtocolError|closed|incomplete|stopped answering|reset"),
]
# fmt: on


CATALOGUE: dict[str, Fault] = {f.name: f for f in _CATALOGUE}
assert len(CATALOGUE) == len(_CATALOGUE), "fault names must be unique"
assert not CATALOGUE.keys() & COMBINATIONS.keys(), "a combination fault must not reuse a one-rule name"

EVERY_FAULT: dict[str, Fault] = {**CATALOGUE, **COMBINATIONS}
"""Both catalogues: what a fault name given to the proxy or the runner may be."""

NONE = "none"
"""The transparent proxy: no fault at all."""


def behaviour(name: str) -> Behaviour:
    """The behaviour of a fault name, ``none`` (transparent) or ``variant:NAME`` (benign, variants.py)."""
    if name == NONE:
        return Behaviour()
    if name.startswith(variants.VARIANT_PREFIX):
        return variants.behaviour(name[len(variants.VARIANT_PREFIX) :])
    try:
        return EVERY_FAULT[name].make()
    except KeyError:
        raise KeyError(f"unknown fault {name!r}; known: {', '.join(sorted(EVERY_FAULT))}") from None


if __name__ == "__main__":
    for fault in EVERY_FAULT.values():
        load = f" [load: {fault.load}]" if fault.load else ""
        print(f"{fault.name:34} {fault.family:10} {fault.reference}{load}\n    {fault.description}")

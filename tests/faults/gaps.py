"""The suite's known defects: for each fault the contract suite (``--quick``) misses, which check is
missing or too weak, what it should assert, and the reference rule.

This is the hand-over to the owner of ``contract/`` (this folder may not edit it). Each entry has a
scenario in ``demonstrations.py`` proving the violation is observable in a few requests, which is also
a sketch of the missing check. The matrix prints the entry when the fault escapes, and flags an entry
whose fault is now caught, so the list never goes stale.
"""

from __future__ import annotations

SUITE_GAPS: dict[str, str] = {
    "start-auto-record-429": (
        "live-state, startRecording/stopRecording, A-18: no check ever places a call with "
        "autoRecord=true (Scene.connect(auto_record=...) is never used). Missing: place an autoRecord "
        "call on a user's line; assert a live recording exists at once, owned by the line's user; "
        "startRecording on that line is 400 reason 4; stopRecording of that id is 400 reason 2. "
        "(monitorable=false -> start 400 reason 1 with deviceName, also A-18, is untested too.)"
    ),
    "live-username-filter-ignored": (
        "live-state/filters, listActiveRecordings, section 2.3 (filters deviceName, directoryNumber, "
        "username, numericUserId, AND): no check sends username or numericUserId; the live machine lists "
        "unfiltered and test_duration_frozen_while_paused uses deviceName only as a look-up. Missing: "
        "with two users recording, each filter returns exactly the matching user's recordings, "
        "combinations AND, no match is []."
    ),
    "pause-by-line-first-only": (
        "live-state, pauseRecordingsByLine/resumeRecordingsByLine, section 2.3 (by DN they act on every "
        "recording of the line): every line in the live machine has one device per DN, so 'every' is "
        "never more than one. Missing: two devices sharing a DN, both recorded; pause by DN -> 204 and "
        "both isPaused; resume by DN -> both running; pause by DN when all are paused -> 429."
    ),
    "completed-duration-wall-clock": (
        "live-state, stop -> listRecordings, A-8 (the completed duration is recorded time): the handover "
        "check allows +-1 s (TICK_TOLERANCE_S) while the machine pauses only 0.4/0.9 s, so a server "
        "counting paused time stays inside it (the fault fired 14 times unflagged). Missing: record ~1 s, "
        "pause 3 s, stop; the completed recording's duration is ~1 s (well under 3 s)."
    ),
    "note-author-owner": (
        "transfer, uploadRecording/getRecording, section 2.2 (notes are authored by, and preserved set "
        "by, the calling user): both round-trip tests upload with localParty.username = the caller, so "
        "owner and caller coincide. Missing: a level-10 user X uploads for owner Y (another user) with "
        "notes and preserved=true; note.owner and preservingUser are X, owner is Y."
    ),
}

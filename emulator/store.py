"""Completed recordings and their audio in SQLite.

One connection, used only from the event loop thread: SQLite has a single writer anyway, every query
here is indexed and short, and keeping all state changes on the loop is what makes the live state
machine race-free. Every write goes through :meth:`Store.write`, which runs ``fn(conn)`` inside
``with conn:`` so transaction boundaries are visible. A file database uses WAL with
``synchronous=FULL``, and a write commits before the caller answers: an upload that got its 201 is on
disk even if the process is killed right after.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from emulator.filters import Condition
from emulator.times import format_datetime, format_duration

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS recordings (
    ref_num        INTEGER PRIMARY KEY,
    id             TEXT    NOT NULL UNIQUE,
    start_ticks    INTEGER NOT NULL,
    duration_ticks INTEGER NOT NULL,
    end_ticks      INTEGER NOT NULL,
    direction      INTEGER NOT NULL,
    local_number   TEXT    NOT NULL,
    local_lower    TEXT    NOT NULL,
    remote_number  TEXT    NOT NULL,
    remote_lower   TEXT    NOT NULL,
    owner_username TEXT    NOT NULL,
    owner_lower    TEXT    NOT NULL,
    detail         TEXT    NOT NULL,
    size           INTEGER NOT NULL,
    sha256         TEXT    NOT NULL
);
-- Every index holds every filterable column (covering): counting the matches and skipping to a page
-- never touch the table, only the page's own rows are read from it. Each index is ordered by
-- (start_ticks, ref_num) after its equality prefix, so it also yields the A-3 order without sorting.
CREATE INDEX IF NOT EXISTS recordings_by_start ON recordings
    (start_ticks, ref_num, end_ticks, direction, owner_lower, local_lower, remote_lower);
CREATE INDEX IF NOT EXISTS recordings_by_owner_lower ON recordings
    (owner_lower, start_ticks, ref_num, end_ticks, direction, local_lower, remote_lower);
CREATE INDEX IF NOT EXISTS recordings_by_local_lower ON recordings
    (local_lower, start_ticks, ref_num, end_ticks, direction, owner_lower, remote_lower);
CREATE INDEX IF NOT EXISTS recordings_by_remote_lower ON recordings
    (remote_lower, start_ticks, ref_num, end_ticks, direction, owner_lower, local_lower);
CREATE INDEX IF NOT EXISTS recordings_by_direction ON recordings
    (direction, start_ticks, ref_num, end_ticks, owner_lower, local_lower, remote_lower);
-- Audio is content-addressed: recordings with the same bytes (every stopped live call of a given
-- length gets the same generated MP3) share one copy, so a stop does not write kilobytes each time.
CREATE TABLE IF NOT EXISTS audio (
    sha256 TEXT PRIMARY KEY,
    data   BLOB NOT NULL
);
-- Recordings a site file preloaded (deployed mode): part of the start state, so a reset keeps them.
CREATE TABLE IF NOT EXISTS preloaded (
    ref_num INTEGER PRIMARY KEY
);
"""

# Trigrams of remote_lower (contentless FTS5, rowid = ref_num): a selective remoteParty=contains: finds
# its candidates here instead of running instr() over every row. Indexing a row costs more than storing
# it, so rows are indexed on demand, up to the watermark, by the first query that needs it; writes (an
# upload, every stopped live call) stay cheap. Optional: without FTS5 in the SQLite build, contains
# simply scans.
_TRIGRAM_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS remote_trigrams USING fts5(
    remote_lower, content='', tokenize='trigram case_sensitive 1'
);
CREATE TABLE IF NOT EXISTS remote_trigrams_watermark (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    ref_num INTEGER NOT NULL
);
INSERT OR IGNORE INTO remote_trigrams_watermark (id, ref_num) VALUES (1, 0);
"""

_LIST_COLUMNS = (
    "id, ref_num, start_ticks, duration_ticks, direction, local_number, remote_number, owner_username"
)
_INT64_MAX = 2**63 - 1
_MMAP_BYTES = 1 << 30  # address space, not memory: the OS pages the file in and out as it likes
_TRIGRAM_LOOKUP_MAX = 2000  # above this many candidates a covering-index scan is faster


def reference_number(ref_num: int) -> str:
    """Zero-padded so that text order equals numeric order for clients that sort the strings."""
    return f"{ref_num:010d}"


@dataclass(frozen=True, slots=True)
class NewRecording:
    """Everything needed to insert one completed recording with its audio."""

    id: str
    start_ticks: int
    duration_ticks: int
    direction: int
    local_number: str
    remote_number: str
    owner: dict[str, str]
    preserving_user: dict[str, str] | None
    note: dict[str, Any] | None
    pbx_call_id: str | None
    pbx_info: dict[str, Any] | None
    audio: bytes
    size: int
    sha256: str

    def row(self) -> tuple[Any, ...]:
        detail = {
            "owner": self.owner,
            "preservingUser": self.preserving_user,
            "note": self.note,
            "pbxCallId": self.pbx_call_id,
            "pbxInfo": self.pbx_info,
        }
        return (
            self.id,
            self.start_ticks,
            self.duration_ticks,
            self.start_ticks + self.duration_ticks,
            self.direction,
            self.local_number,
            self.local_number.lower(),
            self.remote_number,
            self.remote_number.lower(),
            self.owner["username"],
            self.owner["username"].lower(),
            json.dumps(detail, ensure_ascii=False, separators=(",", ":")),
            self.size,
            self.sha256,
        )


_INSERT_TRIGRAMS = "INSERT INTO remote_trigrams (rowid, remote_lower) VALUES (?, ?)"
_INSERT_AUDIO = "INSERT OR IGNORE INTO audio (sha256, data) VALUES (?, ?)"
_INSERT = (
    "INSERT INTO recordings (id, start_ticks, duration_ticks, end_ticks, direction, local_number,"
    " local_lower, remote_number, remote_lower, owner_username, owner_lower, detail, size, sha256)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _list_item(row: Sequence[Any]) -> dict[str, Any]:
    rid, ref_num, start, duration, direction, local, remote, owner = row
    return {
        "id": rid,
        "referenceNumber": reference_number(ref_num),
        "startTime": format_datetime(start),
        "duration": format_duration(duration),
        "direction": direction,
        "localPartyNumber": local,
        "remotePartyNumber": remote,
        "ownerUsername": owner,
    }


class Store:
    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False)
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
            # Read the file through a memory map rather than a read() call per page: a listing scans
            # thousands of index pages, and the calls cost more than the scan itself.
            self._conn.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
        self._conn.execute("PRAGMA synchronous = FULL")
        self._conn.executescript(_SCHEMA)
        try:
            self._conn.executescript(_TRIGRAM_SCHEMA)
            self._conn.execute("SELECT value FROM json_each('[1]')").fetchall()  # candidates travel as JSON
            self._trigrams = True
        except sqlite3.OperationalError:  # no FTS5, no trigram tokenizer or no JSON in this SQLite
            self._trigrams = False
        self._audio_stored: set[str] = set()  # hashes known to be in the audio table

    def close(self) -> None:
        self._conn.close()

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """The one write primitive: ``fn`` runs in a transaction committed (and synced) on return."""
        with self._conn:
            return fn(self._conn)

    # --- writes ------------------------------------------------------------------------------------

    def insert(self, rec: NewRecording) -> None:
        self.insert_many((rec,))

    def insert_many(self, recs: Sequence[NewRecording]) -> None:
        """Insert recordings and their audio in one transaction."""

        def fn(conn: sqlite3.Connection) -> None:
            for rec in recs:
                conn.execute(_INSERT, rec.row())
                if rec.sha256 not in self._audio_stored:
                    conn.execute(_INSERT_AUDIO, (rec.sha256, rec.audio))

        self.write(fn)
        # Only after the commit: a rolled-back transaction must not leave a hash marked as stored.
        self._audio_stored.update(rec.sha256 for rec in recs)

    def preload(self, recs: Sequence[NewRecording]) -> None:
        """Insert the start state's recordings in one transaction and mark them as preloaded."""

        def fn(conn: sqlite3.Connection) -> None:
            audio = {rec.sha256: rec.audio for rec in recs}
            conn.executemany(_INSERT_AUDIO, audio.items())
            refs = [(conn.execute(_INSERT, rec.row()).lastrowid,) for rec in recs]
            conn.executemany("INSERT INTO preloaded (ref_num) VALUES (?)", refs)

        self.write(fn)
        self._audio_stored.update(rec.sha256 for rec in recs)

    def preloaded(self) -> tuple[int, str | None]:
        """How many recordings are marked as preloaded, and the id of the first one."""
        (count,) = self._conn.execute("SELECT count(*) FROM preloaded").fetchone()
        row = self._conn.execute(
            "SELECT r.id FROM preloaded p JOIN recordings r ON r.ref_num = p.ref_num"
            " ORDER BY p.ref_num LIMIT 1"
        ).fetchone()
        return count, None if row is None else row[0]

    def clear(self) -> None:
        """Delete every recording that is not preloaded, and the audio no remaining recording uses."""

        def fn(conn: sqlite3.Connection) -> None:
            (kept,) = conn.execute("SELECT count(*) FROM preloaded").fetchone()
            if kept:
                conn.execute("DELETE FROM recordings WHERE ref_num NOT IN (SELECT ref_num FROM preloaded)")
                conn.execute("DELETE FROM audio WHERE sha256 NOT IN (SELECT sha256 FROM recordings)")
            else:
                conn.execute("DELETE FROM audio")
                conn.execute("DELETE FROM recordings")
            # A contentless FTS5 table cannot drop single rows: empty it and let it re-index on demand.
            if self._trigrams:
                conn.execute("INSERT INTO remote_trigrams (remote_trigrams) VALUES ('delete-all')")
                conn.execute("UPDATE remote_trigrams_watermark SET ref_num = 0")

        self.write(fn)
        self._audio_stored.clear()

    # --- reads -------------------------------------------------------------------------------------

    def list(
        self, conditions: Sequence[Condition], offset: int, limit: int | None
    ) -> tuple[int, list[dict[str, Any]]]:
        """Count all matches and return one page, most recent first (A-3).

        A page deep in the matches is found in two steps: the key ``(start_ticks, ref_num)`` of its
        first row, by skipping ``offset`` entries of the index alone (rows are not read while skipping),
        counted from whichever end of the matches is nearer (the count is known by then); then the page
        itself, by seeking to that key. Skipping over whole rows instead costs about three times as
        much, and starting from the nearer end halves the worst case.
        """
        source, conditions = self._source(conditions)
        where = " AND ".join(f"({c.sql})" for c in conditions) or "1"
        params = tuple(p for c in conditions for p in c.params)
        if conditions:
            count_sql = f"SELECT count(*) FROM {source} WHERE {where}"
        else:
            count_sql = "SELECT count(*) FROM recordings"  # SQLite's fast path: counts b-tree cells
        (total,) = self._conn.execute(count_sql, params).fetchone()
        if offset >= total or limit == 0:
            return total, []
        limit = _INT64_MAX if limit is None else min(limit, _INT64_MAX)
        seek, tail, tail_params = "", " LIMIT ? OFFSET ?", (limit, offset)
        if offset and source != "recordings":  # an index in A-3 order, not the candidates' sort
            # From the nearer end: the first row of the page is entry ``offset`` counted from the most
            # recent match, or entry ``total - 1 - offset`` counted from the oldest.
            from_oldest = total - 1 - offset
            order, skip = ("ASC", from_oldest) if from_oldest < offset else ("DESC", offset)
            first = self._conn.execute(
                f"SELECT start_ticks, ref_num FROM {source} WHERE {where}"
                f" ORDER BY start_ticks {order}, ref_num {order} LIMIT 1 OFFSET ?",
                (*params, skip),
            ).fetchone()
            seek, tail, tail_params = " AND (start_ticks, ref_num) <= (?, ?)", " LIMIT ?", (*first, limit)
        rows = self._conn.execute(
            f"SELECT {_LIST_COLUMNS} FROM {source} WHERE ({where}){seek}"
            f" ORDER BY start_ticks DESC, ref_num DESC{tail}",
            (*params, *tail_params),
        ).fetchall()
        return total, [_list_item(r) for r in rows]

    def _source(self, conditions: Sequence[Condition]) -> tuple[str, Sequence[Condition]]:
        """Where the rows come from, and the conditions (plus any narrowing one) to apply there.

        The index is chosen here rather than left to the planner: without statistics SQLite tends to
        pick a range index and then visit the table once per match, which is ten times slower than
        scanning a covering index. In order of preference: an equality on owner, local or remote
        number seeks its index; a selective ``contains`` starts from its trigram candidates; a
        direction seeks its index; anything else reads ``recordings_by_start``. Every index continues
        with ``(start_ticks, ref_num)``, so the rows come in A-3 order without a sort, and a start-time
        range (which an ``endTime`` implies too) narrows the part of the index that is read.
        """
        index = next((c.index for c in conditions if c.index and c.selective), None)
        if index is None:
            narrowed = self._trigram_candidates(conditions)
            if narrowed is not None:
                return "recordings", [*conditions, narrowed]  # the planner drives from the candidates
            index = next((c.index for c in conditions if c.index), "recordings_by_start")
        return f"recordings INDEXED BY {index}", conditions

    def _trigram_candidates(self, conditions: Sequence[Condition]) -> Condition | None:
        """A rowid condition from the trigram index, when a ``contains`` there is selective enough.

        The trigram index only narrows: the ``instr()`` condition stays in the query, so the answer is
        exactly the substring semantics whatever FTS5 does. Needles under three characters have no
        trigram, and an unselective needle is cheaper to scan for than to look up row by row.
        """
        needle = next((c.substring for c in conditions if c.substring and len(c.substring) >= 3), None)
        if (
            needle is None or not self._trigrams or "\x00" in needle
        ):  # FTS5 text ends at a NUL; instr() does not
            return None
        self.index_remote_numbers()
        phrase = '"' + needle.replace('"', '""') + '"'  # an FTS5 string literal: the needle, verbatim
        # Read once, then handed to the count and the page queries as a JSON array: evaluating MATCH
        # again in each of them costs more than the rows it finds.
        rowids = [
            r
            for (r,) in self._conn.execute(
                "SELECT rowid FROM remote_trigrams WHERE remote_trigrams MATCH ? LIMIT ?",
                (phrase, _TRIGRAM_LOOKUP_MAX + 1),
            )
        ]
        if len(rowids) > _TRIGRAM_LOOKUP_MAX:
            return None
        return Condition("ref_num IN (SELECT value FROM json_each(?))", (json.dumps(rowids),))

    def index_remote_numbers(self) -> None:
        """Bring the trigram index up to the newest recording (rows are never deleted but by a reset)."""
        if not self._trigrams:
            return
        (mark,) = self._conn.execute("SELECT ref_num FROM remote_trigrams_watermark").fetchone()
        (top,) = self._conn.execute("SELECT max(ref_num) FROM recordings").fetchone()
        if top is None or top <= mark:
            return

        def fn(conn: sqlite3.Connection) -> None:
            rows = conn.execute(
                "SELECT ref_num, remote_lower FROM recordings WHERE ref_num > ? AND ref_num <= ?", (mark, top)
            ).fetchall()
            # FTS5 stops reading text at a NUL: index a stand-in so that later text is still found.
            conn.executemany(_INSERT_TRIGRAMS, ((ref, text.replace("\x00", "\ufffe")) for ref, text in rows))
            conn.execute("UPDATE remote_trigrams_watermark SET ref_num = ?", (top,))

        self.write(fn)

    def detail(self, rid: str) -> dict[str, Any] | None:
        row = self._conn.execute(
            f"SELECT {_LIST_COLUMNS}, detail, size, sha256 FROM recordings WHERE id = ?", (rid,)
        ).fetchone()
        if row is None:
            return None
        item = _list_item(row[:8])
        extra = json.loads(row[8])
        return {
            "id": item["id"],
            "referenceNumber": item["referenceNumber"],
            "startTime": item["startTime"],
            "duration": item["duration"],
            "direction": item["direction"],
            "localPartyNumber": item["localPartyNumber"],
            "remotePartyNumber": item["remotePartyNumber"],
            "pbxCallId": extra["pbxCallId"],
            "pbxInfo": extra["pbxInfo"],
            "owner": extra["owner"],
            "preservingUser": extra["preservingUser"],
            "note": extra["note"],
            "size": row[9],
            "hash": {"algorithm": "SHA-256", "value": row[10]},
        }

    def owner_lower(self, rid: str) -> str | None:
        row = self._conn.execute("SELECT owner_lower FROM recordings WHERE id = ?", (rid,)).fetchone()
        return None if row is None else row[0]

    def media(self, rid: str) -> tuple[str, bytes] | None:
        """The owner (lowercase) and the stored MP3 bytes of a recording."""
        row = self._conn.execute(
            "SELECT r.owner_lower, a.data FROM recordings r JOIN audio a ON a.sha256 = r.sha256"
            " WHERE r.id = ?",
            (rid,),
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def count(self) -> int:
        (n,) = self._conn.execute("SELECT count(*) FROM recordings").fetchone()
        return n

"""``remoteParty=contains:`` against Python's own substring test, on awkward strings.

Invariant: ``contains:S`` selects exactly the recordings whose remote number, lowercased with
``str.lower()``, contains ``S.lower()`` (A-4), whatever path the server takes to find them (the
emulator narrows selective needles through a trigram index, so spaces, quotes, FTS5 operators and
non-ASCII text in the needle are where it could go wrong).
"""

from __future__ import annotations

import random

from emu_support import RECORDINGS, metadata, upload_files

ALPHABET = [
    "a",
    "B",
    "c",
    "1",
    "2",
    " ",
    '"',
    "'",
    "*",
    "-",
    "+",
    ":",
    "(",
    "é",
    "É",
    "ß",
    "İ",
    "😀",
    "\\",
    ";",
    "\x00",
]
FTS_WORDS = ["AND", "OR", "NOT", "NEAR", '"a"', "a*", "^b", "c:d"]


def _escape(needle: str) -> str:
    return needle.replace("\\", "\\\\").replace(";", "\\;")


def _store(admin, emu, remote: str) -> str:
    """Upload one recording whose far end is ``remote``; its id."""
    r = admin.post(
        RECORDINGS, files=upload_files(metadata(remoteParty={"phoneNumber": remote}), emu.small_mp3)
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_contains_matches_python_substrings(emu):
    rng = random.Random(20251128)
    remotes = []
    for i in range(24):
        parts = [rng.choice(ALPHABET) for _ in range(rng.randrange(3, 12))]
        if i % 4 == 0:
            parts.insert(rng.randrange(len(parts)), rng.choice(FTS_WORDS))
        remotes.append("".join(parts))
    admin = emu.client()
    ids = {_store(admin, emu, remote): remote for remote in remotes}
    needles = set()
    for remote in remotes:
        for _ in range(3):
            a = rng.randrange(len(remote))
            needles.add(remote[a : a + rng.randrange(1, 6)])
    needles |= {"AND", "a OR b", '"', "NEAR(", "zzz", "ss", "i̇"}

    def check_all() -> int:
        checked = 0
        for needle in sorted(needles):
            if not needle:
                continue
            r = admin.get(RECORDINGS, params={"remoteParty": "contains:" + _escape(needle)})
            assert r.status_code == 200, (needle, r.text)
            got = {x["id"] for x in r.json()["recordings"]}
            want = {rid for rid, remote in ids.items() if needle.lower() in remote.lower()}
            assert got == want, (needle, sorted(ids[i] for i in got ^ want))
            checked += 1
        return checked

    assert check_all() > 40
    # Recordings stored after the first searches must be found too (the emulator indexes lazily).
    for remote in remotes[:6]:
        later = remote.upper() + "-later"
        ids[_store(admin, emu, later)] = later
    needles.add("-later")
    assert check_all() > 40


def test_like_wildcards_are_literal(emu):
    """``%``, ``_`` and a backslash in a ``contains`` operand are the characters themselves, never
    wildcards or escapes of a pattern language (the RHS-Colon grammar has no wildcards)."""
    remotes = ["a_b", "a%b", "axb", "ab", "a\\b", "a\\_b", "x%"]
    admin = emu.client()
    ids = {_store(admin, emu, remote): remote for remote in remotes}
    for needle in ["_", "%", "a_b", "a%b", "a%", "%b", "\\", "\\_", "a\\b"]:
        r = admin.get(RECORDINGS, params={"remoteParty": "contains:" + _escape(needle)})
        assert r.status_code == 200, (needle, r.text)
        got = sorted(ids[x["id"]] for x in r.json()["recordings"])
        assert got == sorted(remote for remote in remotes if needle in remote), needle

"""The emulator's own G.711 and PCM-8 decoding tables against the stdlib's reference implementation.

The HTTP tests cannot see a wrong table (a badly decoded WAV still transcodes to a valid MP3), so the
tables are compared, for all 256 byte values, with ``audioop`` while this Python still ships it.
"""

from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    audioop = pytest.importorskip("audioop")

from emulator import audio

EVERY_BYTE = bytes(range(256))


@pytest.mark.parametrize(
    ("table", "reference"),
    [
        (audio._TABLES[audio.WAVE_FORMAT_ALAW], lambda b: audioop.alaw2lin(b, 2)),
        (audio._TABLES[audio.WAVE_FORMAT_MULAW], lambda b: audioop.ulaw2lin(b, 2)),
        (audio._TABLES[audio.WAVE_FORMAT_PCM], lambda b: audioop.lin2lin(audioop.bias(b, 1, -128), 1, 2)),
    ],
    ids=["a-law", "u-law", "pcm-8"],
)
def test_widening_matches_audioop(table, reference):
    widened = audio.widen_to_pcm16(EVERY_BYTE, table)
    assert widened == reference(EVERY_BYTE)
    assert len(set(widened[i : i + 2] for i in range(0, 512, 2))) > 200  # not a degenerate table

"""Audio attachments: valid files are what they claim, invalid ones are wrong as labelled.

Invariants under test (reference §2.2, A-5):
* each WAV is a RIFF/WAVE file with the format code, sample size, rate and length asked for; the PCM
  ones read back through the stdlib `wave` reader; G.711 bytes equal the stdlib `audioop` encoders;
* each MP3 starts with an MPEG layer III frame at the asked sample rate;
* `audio_files()` covers every accepted content type and encoding, and `accepted_by_reference` (an
  independent reading of §2.2) accepts each one and refuses every `invalid_audio()` example.
"""

from __future__ import annotations

import io
import struct
import warnings
import wave

import pytest
from hypothesis import given, settings

from strategies.audio import (
    MP3_CONTENT_TYPE,
    WAV_CONTENT_TYPES,
    InvalidAudio,
    alaw_encode,
    audio_files,
    describe_wav,
    invalid_audio,
    mp3,
    ulaw_encode,
    wav,
)

MPEG_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def mpeg_frame_rate(data: bytes) -> int:
    """Sample rate from the first MPEG audio frame header; ValueError if there is none or not layer III."""
    if len(data) < 4 or data[0] != 0xFF or data[1] & 0xE0 != 0xE0:
        raise ValueError("no MPEG frame sync at offset 0")
    version, layer, rate_index = (data[1] >> 3) & 3, (data[1] >> 1) & 3, (data[2] >> 2) & 3
    if layer != 1 or version == 1 or rate_index == 3:
        raise ValueError("not MPEG audio layer III")
    return MPEG_RATES[version][rate_index]


def accepted_by_reference(data: bytes, content_type: str) -> bool:
    """§2.2 read independently: WAV types need RIFF/WAVE with PCM 8/16, A-law or u-law; audio/mpeg
    needs MPEG layer III frames; nothing else is accepted."""
    if content_type in WAV_CONTENT_TYPES:
        if data[:4] != b"RIFF" or data[8:12] != b"WAVE" or b"data" not in data:
            return False
        try:
            info = describe_wav(data)
        except (ValueError, struct.error):
            return False
        return (info.format_code, info.bits) in {(1, 8), (1, 16), (6, 8), (7, 8)} and info.data_bytes > 0
    if content_type == MP3_CONTENT_TYPE:
        try:
            mpeg_frame_rate(data)
        except ValueError:
            return False
        return True
    return False


@pytest.mark.parametrize(
    ("encoding", "code", "bits"), [("pcm8", 1, 8), ("pcm16", 1, 16), ("alaw", 6, 8), ("ulaw", 7, 8)]
)
@pytest.mark.parametrize(("rate", "channels"), [(8000, 1), (16000, 2)])
def test_wav_headers_say_what_was_asked(encoding, code, bits, rate, channels):
    data = wav(encoding, seconds=0.1, rate=rate, channels=channels)
    info = describe_wav(data)
    frames = round(0.1 * rate)
    assert (info.format_code, info.channels, info.rate, info.bits) == (code, channels, rate, bits)
    assert info.data_bytes == frames * channels * bits // 8
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    if code == 1:
        with wave.open(io.BytesIO(data)) as w:
            assert (w.getnframes(), w.getframerate(), w.getsampwidth() * 8) == (frames, rate, bits)


def test_g711_encoders_match_the_stdlib_reference():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")
    samples = list(range(-32768, 32768, 7))
    pcm = struct.pack(f"<{len(samples)}h", *samples)
    assert bytes(alaw_encode(s) for s in samples) == audioop.lin2alaw(pcm, 2)
    assert bytes(ulaw_encode(s) for s in samples) == audioop.lin2ulaw(pcm, 2)


@pytest.mark.parametrize("rate", [44100, 16000])
def test_mp3_is_layer_three_at_the_asked_rate(rate):
    data = mp3(0.2, rate=rate)
    assert mpeg_frame_rate(data) == rate
    assert len(data) > 100


@settings(max_examples=60, deadline=None)
@given(audio_files())
def test_audio_files_are_accepted_by_the_reference(f):
    assert accepted_by_reference(f.data, f.content_type), f.kind


@settings(max_examples=80, deadline=None)
@given(invalid_audio())
def test_invalid_audio_is_refused_by_the_reference(bad: InvalidAudio):
    assert not accepted_by_reference(bad.data, bad.content_type), bad.why
    assert (bad.expected_status, bad.expected_reason) == (400, 2)


def test_every_accepted_type_and_encoding_is_generated():
    from hypothesis import HealthCheck, Phase
    from hypothesis import settings as hsettings

    seen = set()

    @hsettings(
        max_examples=300,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(audio_files())
    def collect(f):
        seen.add((f.kind, f.content_type))

    collect()
    wav_kinds = {f"wav-{e}" for e in ("pcm8", "pcm16", "alaw", "ulaw")}
    assert {k for k, _ in seen} == wav_kinds | {"mp3"}
    assert {t for _, t in seen} == set(WAV_CONTENT_TYPES) | {MP3_CONTENT_TYPE}

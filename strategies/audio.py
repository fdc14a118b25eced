"""Audio attachments for uploadRecording (reference §2.2): valid WAV/MP3 files and invalid ones.

Accepted (§2.2, [doc]): WAV in PCM-8, PCM-16, A-law or u-law under any of six content types, and MP3
(`audio/mpeg`). Invalid audio is 400 reason 2 ([doc]; a type mismatch rests on A-5).

Invariants (tested):

* `wav(...)` is a real RIFF/WAVE file: PCM through the stdlib `wave` writer; A-law (format code 6) and
  u-law (7) with a hand-written 18-byte `fmt ` chunk, a `fact` chunk and G.711 samples;
* `mp3(...)` is MPEG audio from `lameenc` (MPEG-1 at 44.1 kHz by default: the most widely decodable);
* every `InvalidAudio` is wrong in exactly the way `why` says, so any correct server refuses it.
"""

from __future__ import annotations

import io
import math
import struct
import wave
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

__all__ = [
    "MP3_CONTENT_TYPE",
    "WAV_CONTENT_TYPES",
    "WAV_FORMAT_CODES",
    "AudioFile",
    "InvalidAudio",
    "WavInfo",
    "alaw_encode",
    "audio_files",
    "describe_wav",
    "invalid_audio",
    "mp3",
    "ulaw_encode",
    "wav",
]

WavEncoding = Literal["pcm8", "pcm16", "alaw", "ulaw"]

WAV_CONTENT_TYPES = (
    "audio/wav",
    "audio/wave",
    "audio/vnd.wav",
    "audio/vnd.wave",
    "audio/x-pn-wav",
    "audio/x-wav",
)
"""§2.2: every WAV content type the server accepts."""
MP3_CONTENT_TYPE = "audio/mpeg"
WAV_FORMAT_CODES: dict[str, int] = {"pcm8": 1, "pcm16": 1, "alaw": 6, "ulaw": 7}
"""`wFormatTag` of each accepted WAV encoding: 1 PCM, 6 ITU G.711 A-law, 7 ITU G.711 u-law."""


# --------------------------------------------------------------------------------------------------
# Samples and G.711
# --------------------------------------------------------------------------------------------------


def _tone(frames: int, rate: int) -> list[int]:
    """A 440 Hz sine at half scale, 16-bit signed samples."""
    return [int(16_000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(frames)]


_ALAW_SEG_END = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)
_ULAW_SEG_END = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)


def _segment(value: int, ends: tuple[int, ...]) -> int:
    for i, end in enumerate(ends):
        if value <= end:
            return i
    return len(ends)


def alaw_encode(sample: int) -> int:
    """ITU-T G.711 A-law byte of a 16-bit sample (the reference `linear2alaw`)."""
    pcm = sample >> 3
    if pcm >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        pcm = -pcm - 1
    seg = _segment(pcm, _ALAW_SEG_END)
    if seg >= 8:
        return 0x7F ^ mask
    aval = seg << 4
    aval |= (pcm >> 1) & 0x0F if seg < 2 else (pcm >> seg) & 0x0F
    return aval ^ mask


def ulaw_encode(sample: int) -> int:
    """ITU-T G.711 u-law byte of a 16-bit sample (the reference `linear2ulaw`)."""
    pcm = sample >> 2
    if pcm < 0:
        pcm = -pcm
        mask = 0x7F
    else:
        mask = 0xFF
    pcm = min(pcm, 8159) + (0x84 >> 2)
    seg = _segment(pcm, _ULAW_SEG_END)
    if seg >= 8:
        return 0x7F ^ mask
    return (((seg << 4) | ((pcm >> (seg + 1)) & 0x0F)) ^ mask) & 0xFF


# --------------------------------------------------------------------------------------------------
# WAV and MP3 files
# --------------------------------------------------------------------------------------------------


def _interleave(samples: list[int], channels: int) -> list[int]:
    return [s for s in samples for _ in range(channels)]


def _riff(chunks: list[tuple[bytes, bytes]]) -> bytes:
    body = b"WAVE"
    for cid, data in chunks:
        body += cid + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _g711_wav(code: int, samples: list[int], rate: int, channels: int, frames: int) -> bytes:
    encode = alaw_encode if code == 6 else ulaw_encode
    data = bytes(encode(s) for s in samples)
    fmt = struct.pack("<HHIIHHH", code, channels, rate, rate * channels, channels, 8, 0)
    return _riff([(b"fmt ", fmt), (b"fact", struct.pack("<I", frames)), (b"data", data)])


@lru_cache(maxsize=64)
def wav(encoding: WavEncoding, *, seconds: float = 0.2, rate: int = 8000, channels: int = 1) -> bytes:
    """A RIFF/WAVE file holding a 440 Hz tone in the given encoding (§2.2)."""
    if encoding not in WAV_FORMAT_CODES:
        raise ValueError(f"encoding must be one of {tuple(WAV_FORMAT_CODES)}, got {encoding!r}")
    if channels not in (1, 2) or rate <= 0 or seconds <= 0:
        raise ValueError("need channels 1 or 2, a positive rate and a positive length")
    frames = max(1, round(seconds * rate))
    samples = _interleave(_tone(frames, rate), channels)
    if encoding in ("alaw", "ulaw"):
        return _g711_wav(WAV_FORMAT_CODES[encoding], samples, rate, channels, frames)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(channels)
        w.setframerate(rate)
        if encoding == "pcm8":
            w.setsampwidth(1)
            w.writeframes(bytes((s >> 8) + 128 for s in samples))
        else:
            w.setsampwidth(2)
            w.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return buffer.getvalue()


@lru_cache(maxsize=16)
def mp3(seconds: float = 0.2, *, rate: int = 44_100, channels: int = 1) -> bytes:
    """An MP3 (MPEG audio layer III) of a 440 Hz tone, encoded with lameenc."""
    import lameenc

    frames = max(1, round(seconds * rate))
    samples = _interleave(_tone(frames, rate), channels)
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(64)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(channels)
    encoder.set_quality(7)
    return bytes(encoder.encode(struct.pack(f"<{len(samples)}h", *samples)) + encoder.flush())


@dataclass(frozen=True)
class WavInfo:
    """What a RIFF/WAVE header says: `fmt ` fields and the length of the `data` chunk."""

    format_code: int
    channels: int
    rate: int
    bits: int
    data_bytes: int


def describe_wav(data: bytes) -> WavInfo:
    """Read the `fmt ` and `data` chunks of a RIFF/WAVE file; ValueError if it is not one."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    pos, fmt, size = 12, None, None
    while pos + 8 <= len(data):
        cid, length = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = data[pos + 8 : pos + 8 + length]
        if cid == b"fmt ":
            if len(body) < 16:
                raise ValueError("truncated fmt chunk")
            fmt = struct.unpack("<HHIIHH", body[:16])
        elif cid == b"data":
            size = len(body)
        pos += 8 + length + (length % 2)
    if fmt is None or size is None:
        raise ValueError("missing fmt or data chunk")
    code, channels, rate, _, _, bits = fmt
    return WavInfo(code, channels, rate, bits, size)


# --------------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AudioFile:
    """An attachment the server must accept: bytes, the part's Content-Type, and a label."""

    data: bytes
    content_type: str
    kind: str


@dataclass(frozen=True)
class InvalidAudio:
    """An attachment the server must refuse with 400 reason 2, and why."""

    data: bytes
    content_type: str
    why: str
    expected_status: int = 400
    expected_reason: int = 2
    assumptions: tuple[str, ...] = ()


_ENCODINGS: tuple[WavEncoding, ...] = ("pcm16", "pcm8", "alaw", "ulaw")


def _wav_files() -> SearchStrategy[AudioFile]:
    return st.builds(
        lambda enc, ctype, rate, channels, seconds: AudioFile(
            wav(enc, seconds=seconds, rate=rate, channels=channels), ctype, f"wav-{enc}"
        ),
        st.sampled_from(_ENCODINGS),
        st.sampled_from(WAV_CONTENT_TYPES),
        st.sampled_from((8000, 16000)),
        st.sampled_from((1, 2)),
        st.sampled_from((0.2, 0.05, 1.0)),
    )


def _mp3_files() -> SearchStrategy[AudioFile]:
    return st.builds(
        lambda rate, channels: AudioFile(mp3(0.2, rate=rate, channels=channels), MP3_CONTENT_TYPE, "mp3"),
        st.sampled_from((44_100, 16_000)),
        st.sampled_from((1, 2)),
    )


def audio_files() -> SearchStrategy[AudioFile]:
    """Every accepted type (§2.2): each WAV encoding under each WAV content type, and MP3."""
    return st.one_of(_wav_files(), _mp3_files())


def _wav_with_format(code: int, bits: int) -> bytes:
    frames = 400
    block = bits // 8
    if code == 3:
        data = struct.pack(f"<{frames}f", *(s / 32768 for s in _tone(frames, 8000)))
    else:
        data = bytes((i * 37) % 256 for i in range(frames * block))
    fmt = struct.pack("<HHIIHHH", code, 1, 8000, 8000 * block, block, bits, 0)
    return _riff([(b"fmt ", fmt), (b"fact", struct.pack("<I", frames)), (b"data", data)])


_REFUSED_CODES = (
    (3, 32, "IEEE float"),
    (0x55, 16, "MPEG layer 3 inside WAV"),
    (2, 4, "Microsoft ADPCM"),
    (0x11, 4, "IMA ADPCM"),
    (0x31, 8, "GSM 6.10"),
)
_UNSUPPORTED_TYPES = ("audio/ogg", "audio/flac", "text/plain", "video/mp4")


@st.composite
def _noise(draw: st.DrawFn) -> bytes:
    """Bytes that cannot be taken for MPEG audio: no 0xFF (no frame sync) and no `ID3` tag."""
    data = draw(st.binary(min_size=16, max_size=512)).replace(b"\xff", b"\x00")
    return b"\x00" + data


@st.composite
def invalid_audio(draw: st.DrawFn) -> InvalidAudio:
    """Attachments to refuse (400 reason 2): truncated WAV headers, refused WAV format codes, noise,
    WAV and MP3 under each other's type, an empty file, types outside §2.2."""
    how = draw(
        st.sampled_from(
            (
                "truncated",
                "format-code",
                "noise-as-mp3",
                "wav-as-mp3",
                "mp3-as-wav",
                "empty",
                "unsupported-type",
            )
        )
    )
    wav_type = draw(st.sampled_from(WAV_CONTENT_TYPES))
    if how == "truncated":
        enc = draw(st.sampled_from(_ENCODINGS))
        full = wav(enc)
        fmt_end = 12 + 8 + (18 if enc in ("alaw", "ulaw") else 16)
        cut = draw(st.integers(1, fmt_end - 1))
        return InvalidAudio(full[:cut], wav_type, f"WAV ({enc}) cut after {cut} bytes, inside its header")
    if how == "format-code":
        code, bits, name = draw(st.sampled_from(_REFUSED_CODES))
        return InvalidAudio(_wav_with_format(code, bits), wav_type, f"WAV format code {code:#x} ({name})")
    if how == "noise-as-mp3":
        return InvalidAudio(draw(_noise()), MP3_CONTENT_TYPE, "bytes with no MPEG frame declared audio/mpeg")
    if how == "wav-as-mp3":
        enc = draw(st.sampled_from(_ENCODINGS))
        why = f"a WAV ({enc}) declared audio/mpeg"
        return InvalidAudio(wav(enc), MP3_CONTENT_TYPE, why, assumptions=("A-5",))
    if how == "mp3-as-wav":
        return InvalidAudio(mp3(), wav_type, f"an MP3 declared {wav_type}", assumptions=("A-5",))
    if how == "empty":
        ctype = draw(st.sampled_from((*WAV_CONTENT_TYPES, MP3_CONTENT_TYPE)))
        return InvalidAudio(b"", ctype, f"an empty file declared {ctype}")
    ctype = draw(st.sampled_from(_UNSUPPORTED_TYPES))
    data = draw(st.sampled_from((wav("pcm16"), mp3())))
    return InvalidAudio(data, ctype, f"content type {ctype} is not an accepted audio type")

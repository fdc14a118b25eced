"""Audio validation and WAV -> MP3 transcoding for uploads, and generated audio for live recordings.

The vendor stores MP3 (A-6), so a WAV upload is transcoded and ``size``/``hash`` describe the MP3
bytes that ``/Media`` serves. Validation reads real headers rather than trusting the declared
Content-Type, because a declared type that does not match the bytes is 400 reason 2 (A-5).

G.711 (A-law, u-law) and unsigned 8-bit PCM are widened to signed 16-bit PCM here with 256-entry
tables applied through ``bytes.translate``: the stdlib ``audioop`` module that used to do this is
deprecated (removed in Python 3.13), and translate keeps the work in C even for large files.
"""

from __future__ import annotations

import hashlib
import math
import struct
from dataclasses import dataclass

import lameenc

WAV_TYPES = frozenset(
    {"audio/wave", "audio/vnd.wav", "audio/vnd.wave", "audio/wav", "audio/x-pn-wav", "audio/x-wav"}
)
MP3_TYPES = frozenset({"audio/mpeg"})

WAVE_FORMAT_PCM = 1
WAVE_FORMAT_ALAW = 6
WAVE_FORMAT_MULAW = 7

# Input rates LAME can take (it resamples to a legal MP3 rate on its own).
_LAME_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})
_MP3_KBPS = 64  # legal for MPEG-1, -2 and -2.5, so LAME never has to refuse it
_CHUNK_FRAMES = 65_536  # encode in slices so the GIL is released between them


class AudioError(ValueError):
    """The attachment is not acceptable audio of its declared type: 400 reason 2."""


@dataclass(frozen=True, slots=True)
class StoredAudio:
    """The MP3 bytes to store and serve, with the size and hash that the detail reports."""

    data: bytes
    size: int
    sha256: str


def stored(data: bytes) -> StoredAudio:
    return StoredAudio(data=data, size=len(data), sha256=hashlib.sha256(data).hexdigest())


# ---------------------------------------------------------------------------------------------------
# G.711 and PCM-8 -> PCM-16 tables (ITU-T G.711 decoding, as in Sun's public-domain g711.c).


def _alaw_to_linear(a: int) -> int:
    a ^= 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if a & 0x80 else -t


def _ulaw_to_linear(u: int) -> int:
    u = ~u & 0xFF
    t = ((u & 0x0F) << 3) + 0x84
    t <<= (u & 0x70) >> 4
    return (0x84 - t) if u & 0x80 else (t - 0x84)


def _split_table(decode: list[int]) -> tuple[bytes, bytes]:
    """Low and high byte of each little-endian sample, as two ``bytes.translate`` tables."""
    lo = bytes((v & 0xFFFF) & 0xFF for v in decode)
    hi = bytes(((v & 0xFFFF) >> 8) & 0xFF for v in decode)
    return lo, hi


ALAW_TABLE = [_alaw_to_linear(i) for i in range(256)]
ULAW_TABLE = [_ulaw_to_linear(i) for i in range(256)]
PCM8_TABLE = [(i - 128) << 8 for i in range(256)]
_TABLES = {
    WAVE_FORMAT_ALAW: _split_table(ALAW_TABLE),
    WAVE_FORMAT_MULAW: _split_table(ULAW_TABLE),
    WAVE_FORMAT_PCM: _split_table(PCM8_TABLE),  # used for 8-bit PCM only
}


def widen_to_pcm16(samples: bytes, table: tuple[bytes, bytes]) -> bytes:
    """Map one byte per sample to a little-endian 16-bit sample, entirely in C."""
    lo, hi = table
    out = bytearray(2 * len(samples))
    out[0::2] = samples.translate(lo)
    out[1::2] = samples.translate(hi)
    return bytes(out)


# ---------------------------------------------------------------------------------------------------
# WAV


@dataclass(frozen=True, slots=True)
class WavInfo:
    format_code: int
    channels: int
    sample_rate: int
    bits: int
    data_offset: int
    data_length: int


def parse_wav(data: bytes) -> WavInfo:
    """Read a RIFF/WAVE header; accept PCM (8/16 bit), A-law and u-law, as the vendor documents."""
    if len(data) < 12 or data[0:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError("not a RIFF/WAVE file")
    pos = 12
    fmt: tuple[int, int, int, int, int] | None = None
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body = pos + 8
        if chunk_id == b"fmt ":
            if size < 16 or body + 16 > len(data):
                raise AudioError("truncated fmt chunk")
            code, channels, rate, _byte_rate, align, bits = struct.unpack_from("<HHIIHH", data, body)
            fmt = (code, channels, rate, align, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioError("data chunk before fmt chunk")
            code, channels, rate, align, bits = fmt
            if code == WAVE_FORMAT_PCM:
                if bits not in (8, 16):
                    raise AudioError(f"PCM with {bits} bits per sample is not supported (8 or 16)")
            elif code in (WAVE_FORMAT_ALAW, WAVE_FORMAT_MULAW):
                if bits != 8:
                    raise AudioError("G.711 audio must have 8 bits per sample")
            else:
                raise AudioError(f"WAV format code {code} is not supported (1 PCM, 6 A-law, 7 u-law)")
            if channels not in (1, 2):
                raise AudioError(f"{channels} channels are not supported (1 or 2)")
            if rate not in _LAME_RATES:
                raise AudioError(f"sample rate {rate} Hz is not supported")
            if align != channels * bits // 8:
                raise AudioError("block alignment does not match channels and sample size")
            length = min(size, len(data) - body)
            length -= length % align
            if length <= 0:
                raise AudioError("the WAV file holds no samples")
            return WavInfo(code, channels, rate, bits, body, length)
        pos = body + size + (size & 1)
    raise AudioError("no fmt/data chunk in the WAV file")


def wav_to_mp3(data: bytes, info: WavInfo) -> bytes:
    """Transcode validated WAV samples to MP3 with LAME (lameenc)."""
    samples = data[info.data_offset : info.data_offset + info.data_length]
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(_MP3_KBPS)
    encoder.set_in_sample_rate(info.sample_rate)
    encoder.set_channels(info.channels)
    encoder.set_quality(7)
    widen = info.bits == 8
    table = _TABLES[info.format_code] if widen else None
    step = _CHUNK_FRAMES * info.channels * (info.bits // 8)
    out = bytearray()
    for start in range(0, len(samples), step):
        piece = samples[start : start + step]
        if table is not None:
            piece = widen_to_pcm16(piece, table)
        out += encoder.encode(piece)
    out += encoder.flush()
    return bytes(out)


# ---------------------------------------------------------------------------------------------------
# MP3

# MPEG audio (audio/mpeg, RFC 3003): MPEG-1, MPEG-2 and MPEG-2.5, Layers I, II and III.
# Header fields as coded: version 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5 (1 is reserved);
# layer 3 = Layer I, 2 = Layer II, 1 = Layer III (0 is reserved).
_MPEG1, _MPEG25 = 3, 0
_LAYER_I, _LAYER_III = 3, 1
# Bitrates in kbps by (is MPEG-1, layer); index 0 is "free format", 15 is forbidden.
_BITRATES: dict[tuple[bool, int], tuple[int, ...]] = {
    (True, 3): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, -1),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, -1),
    (True, 1): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, -1),
    (False, 3): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256, -1),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, -1),
    (False, 1): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, -1),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
# What may follow the last frame of a file: ID3v1, APEv2 and Lyrics3 tags.
_TRAILING_TAGS = (b"TAG", b"APETAGEX", b"LYRICSBEGIN")


@dataclass(frozen=True, slots=True)
class Mp3Frame:
    version: int
    layer: int
    sample_rate: int
    length: int


def parse_frame_header(data: bytes, pos: int) -> Mp3Frame | None:
    """Decode an MPEG audio frame header at ``pos``, or ``None`` when there is no valid one.

    Every layer counts: audio/mpeg names MPEG audio, not only Layer III, so a Layer I or II file is
    accepted rather than refused as "not audio". MPEG-2.5 exists for Layer III only.
    """
    if pos + 4 > len(data):
        return None
    b1, b2 = data[pos + 1], data[pos + 2]
    if data[pos] != 0xFF or (b1 & 0xE0) != 0xE0:
        return None
    version = (b1 >> 3) & 0x03
    layer = (b1 >> 1) & 0x03
    if version == 1 or layer == 0 or (version == _MPEG25 and layer != _LAYER_III):
        return None
    bitrate_index = (b2 >> 4) & 0x0F
    rate_index = (b2 >> 2) & 0x03
    if bitrate_index in (0, 15) or rate_index == 3:
        return None  # free format cannot be validated by length; 15 and 3 are forbidden values
    bps = _BITRATES[(version == _MPEG1, layer)][bitrate_index] * 1000
    rate = _RATES[version][rate_index]
    padding = (b2 >> 1) & 0x01
    if layer == _LAYER_I:
        length = (12 * bps // rate + padding) * 4
    else:
        coefficient = 72 if layer == _LAYER_III and version != _MPEG1 else 144
        length = coefficient * bps // rate + padding
    return Mp3Frame(version, layer, rate, length)


def _skip_id3v2(data: bytes) -> int:
    if len(data) >= 10 and data[:3] == b"ID3":
        size_bytes = data[6:10]
        if any(b & 0x80 for b in size_bytes):
            raise AudioError("malformed ID3v2 tag size")
        size = (size_bytes[0] << 21) | (size_bytes[1] << 14) | (size_bytes[2] << 7) | size_bytes[3]
        footer = 10 if data[5] & 0x10 else 0
        return 10 + size + footer
    return 0


def validate_mp3(data: bytes) -> None:
    """Require a whole valid first frame (after an optional ID3v2 tag), then the end of the file, a
    trailing tag, or a second frame of the same stream where the first frame's length points.

    One frame is a complete MPEG stream (a 144-byte file is 1/28 s of audio), so the end of the data
    right after it is as good as a second frame. What the second-frame rule is for still holds: a
    lone frame sync followed by anything else is noise, not audio, and is refused (reason 2).
    """
    pos = _skip_id3v2(data)
    first = parse_frame_header(data, pos)
    if first is None:
        raise AudioError("no MPEG audio frame header where the audio should start")
    end = pos + first.length
    if end > len(data):
        raise AudioError("the first MPEG frame is cut short")
    if end == len(data) or data.startswith(_TRAILING_TAGS, end):
        return
    second = parse_frame_header(data, end)
    if second is None:
        raise AudioError("no second MPEG frame where the first frame's length points")
    if (second.version, second.layer, second.sample_rate) != (first.version, first.layer, first.sample_rate):
        raise AudioError("consecutive MPEG frames disagree on version, layer or sample rate")


# ---------------------------------------------------------------------------------------------------


def media_type(content_type: str | None) -> str | None:
    """The bare, lowercase media type of a Content-Type header value."""
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def prepare_upload(data: bytes, content_type: str | None) -> StoredAudio:
    """Validate an attachment against its declared type and return the MP3 to store.

    CPU-bound (transcoding): callers run it in a worker thread so the event loop stays responsive.
    """
    declared = media_type(content_type)
    if declared is None:
        raise AudioError("the attachment part carries no Content-Type")
    if declared in MP3_TYPES:
        validate_mp3(data)
        return stored(data)
    if declared in WAV_TYPES:
        info = parse_wav(data)
        try:
            return stored(wav_to_mp3(data, info))
        except RuntimeError as exc:  # LAME refusing a parameter set
            raise AudioError(f"the WAV audio cannot be encoded: {exc}") from None
    raise AudioError(f"unsupported attachment type {declared!r}")


_GENERATED: dict[int, StoredAudio] = {}
GENERATED_MAX_SECONDS = 5
_GEN_RATE = 8000


def generated_mp3(seconds: float) -> StoredAudio:
    """A short 440 Hz tone standing in for a live call's audio; capped, so completed live calls stay small.

    Cached by whole seconds: a start/stop cycle must not pay for LAME on every stop.
    """
    n = min(max(round(seconds), 1), GENERATED_MAX_SECONDS)
    cached = _GENERATED.get(n)
    if cached is None:
        count = _GEN_RATE * n
        pcm = struct.pack(
            f"<{count}h", *(int(3000 * math.sin(2 * math.pi * 440 * i / _GEN_RATE)) for i in range(count))
        )
        encoder = lameenc.Encoder()
        encoder.set_bit_rate(32)
        encoder.set_in_sample_rate(_GEN_RATE)
        encoder.set_channels(1)
        encoder.set_quality(7)
        cached = stored(bytes(encoder.encode(pcm) + encoder.flush()))
        _GENERATED[n] = cached
    return cached

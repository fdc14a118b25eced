"""Small generated audio for uploads: WAV (PCM-8, PCM-16, A-law, u-law) and MP3 (reference 2.2).

Generated once per process and reused, so the load generator spends its CPU on requests, not on encoding.
Plain Python (no locust import); MP3 needs ``lameenc`` (a project dependency).
"""

from __future__ import annotations

import contextlib
import math
import struct
from dataclasses import dataclass

RATE = 8000  # telephony sample rate

WAV_ENCODINGS = ("pcm16", "pcm8", "alaw", "ulaw")


@dataclass(frozen=True)
class Audio:
    content_type: str
    data: bytes
    seconds: int
    label: str  # e.g. "wav-ulaw", "mp3": an upload's stats are not split by it, but failures name it


def _tone(seconds: int, freq: float = 440.0) -> list[int]:
    n = RATE * seconds
    return [int(8000 * math.sin(2 * math.pi * freq * i / RATE)) for i in range(n)]


def _ulaw(sample: int) -> int:
    """ITU-T G.711 u-law of one 16-bit sample."""
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(sample), clip) + bias
    exponent = max(0, sample.bit_length() - 8)
    exponent = min(exponent, 7)
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _alaw(sample: int) -> int:
    """ITU-T G.711 A-law of one 16-bit sample."""
    sign = 0x80 if sample >= 0 else 0
    sample = min(abs(sample), 32767) >> 3
    if sample < 32:
        value = sample >> 1
    else:
        exponent = sample.bit_length() - 5
        value = (exponent << 4) | ((sample >> exponent) & 0x0F)
    return (value | sign) ^ 0x55


def wav(encoding: str = "pcm16", seconds: int = 1) -> Audio:
    """A mono 8 kHz WAV file holding a tone; ``encoding`` is one of ``WAV_ENCODINGS``."""
    samples = _tone(seconds)
    if encoding == "pcm16":
        fmt_tag, bits, data = 1, 16, struct.pack(f"<{len(samples)}h", *samples)
    elif encoding == "pcm8":
        fmt_tag, bits, data = 1, 8, bytes((s >> 8) + 128 for s in samples)
    elif encoding == "alaw":
        fmt_tag, bits, data = 6, 8, bytes(_alaw(s) for s in samples)
    elif encoding == "ulaw":
        fmt_tag, bits, data = 7, 8, bytes(_ulaw(s) for s in samples)
    else:
        raise ValueError(f"unknown WAV encoding {encoding!r}; choose from {WAV_ENCODINGS}")
    block = bits // 8
    if fmt_tag == 1:
        fmt = struct.pack("<HHIIHH", fmt_tag, 1, RATE, RATE * block, block, bits)
        extra = b""
    else:  # non-PCM: 18-byte fmt with cbSize = 0 and a fact chunk (RIFF rules for compressed formats)
        fmt = struct.pack("<HHIIHHH", fmt_tag, 1, RATE, RATE * block, block, bits, 0)
        extra = b"fact" + struct.pack("<II", 4, len(samples))
    if len(data) % 2:
        data += b"\0"
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + extra
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )
    return Audio("audio/wav", b"RIFF" + struct.pack("<I", len(body)) + body, seconds, f"wav-{encoding}")


def mp3(seconds: int = 1) -> Audio:
    """A mono MP3 of a tone (LAME through ``lameenc``)."""
    import lameenc  # imported here: only uploads need it

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(32)
    encoder.set_in_sample_rate(RATE)
    encoder.set_channels(1)
    encoder.set_quality(7)
    samples = _tone(seconds)
    data = bytes(encoder.encode(struct.pack(f"<{len(samples)}h", *samples))) + bytes(encoder.flush())
    return Audio("audio/mpeg", data, seconds, "mp3")


def catalogue(seconds: int = 1) -> list[Audio]:
    """One of each accepted kind, for uploads to cycle through."""
    items = [wav(enc, seconds) for enc in WAV_ENCODINGS]
    with contextlib.suppress(ImportError):  # lameenc is a declared dependency; WAV alone still works
        items.append(mp3(seconds))
    return items


def multipart(metadata_json: bytes, audio: Audio, boundary: str) -> tuple[bytes, str]:
    """The uploadRecording body: part ``jsondata`` (application/json) and part ``attachment`` (the audio,
    with its Content-Type). Returns (body, Content-Type header)."""
    ext = "mp3" if audio.content_type == "audio/mpeg" else "wav"
    crlf = b"\r\n"
    head = f"--{boundary}".encode()
    body = b"".join(
        [
            head + crlf,
            b'Content-Disposition: form-data; name="jsondata"' + crlf,
            b"Content-Type: application/json" + crlf + crlf,
            metadata_json + crlf,
            head + crlf,
            f'Content-Disposition: form-data; name="attachment"; filename="load.{ext}"'.encode() + crlf,
            f"Content-Type: {audio.content_type}".encode() + crlf + crlf,
            audio.data + crlf,
            head + b"--" + crlf,
        ]
    )
    return body, f"multipart/form-data; boundary={boundary}"

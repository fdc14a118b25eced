"""The emulator's bytes on the wire: pipelined answers complete and in order, closes after the answer.

Invariant under test: gathering a response's writes into one system call (``CoalescingTransport``)
changes nothing a client can see: every pipelined request gets its own complete answer in request
order, a ``Connection: close`` answer arrives whole before the close, and a download larger than the
gathering bound arrives whole. The transport's own rules are tested on a real event loop below.
"""

from __future__ import annotations

import asyncio
import base64

from emu_support import LIVE, RECORDINGS, exchange

from emulator.coalescing_transport import FLUSH_BYTES, CoalescingTransport

AUTH = "Basic " + base64.b64encode(b"admin:admin").decode()


def _request(path: str, *, close: bool = False) -> bytes:
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH}\r\n"
    if close:
        head += "Connection: close\r\n"
    return (head + "\r\n").encode()


def _split_responses(data: bytes) -> list[tuple[int, bytes, bytes]]:
    """Cut everything a connection received into its Content-Length framed answers: (status, head,
    body) each; a byte left over, or a body cut short, fails the test."""
    out = []
    while data:
        head, sep, data = data.partition(b"\r\n\r\n")
        assert sep, f"an unfinished head after {len(out)} answers: {head[:200]!r}"
        lines = head.split(b"\r\n")
        length = next(
            int(v) for k, _, v in (h.partition(b":") for h in lines[1:]) if k.lower() == b"content-length"
        )
        assert len(data) >= length, f"answer {len(out) + 1} has {len(data)} of its {length} body bytes"
        out.append((int(lines[0].split()[1]), head, data[:length]))
        data = data[length:]
    return out


def test_pipelined_requests_get_complete_answers_in_order(server, emu):
    emu.call("SEP4101", "4101", username="admin")
    started = emu.start(body={"directoryNumber": "4101"})
    assert started.status_code == 201
    rid = started.json()["id"].encode()
    paths = [LIVE, RECORDINGS + "?pageSize=1", "/no/such/path", LIVE + "/Mine"] * 10
    pipelined = [_request(p) for p in paths[:-1]] + [_request(paths[-1], close=True)]
    data, _ = exchange(server.port, b"".join(pipelined))
    answers = _split_responses(data)
    assert len(answers) == len(paths)
    for path, (status, _, body) in zip(paths, answers, strict=True):
        if path.startswith(LIVE):  # the list and /Mine (the call is the admin's): the one recording
            assert status == 200 and body.count(rid) == 1 and body.startswith(b"["), body
        elif path.startswith(RECORDINGS):
            assert status == 200 and b"totalCount" in body, body
        else:
            assert status == 404, body


def test_an_answer_before_connection_close_arrives_whole(server, emu):
    data, _ = exchange(server.port, _request(RECORDINGS + "?pageSize=1", close=True))
    [(status, head, body)] = _split_responses(data)
    assert status == 200 and b"connection: close" in head.lower()
    assert b"totalCount" in body and body.rstrip().endswith(b"}")


def test_a_download_larger_than_the_gathering_bound_arrives_whole(emu):
    audio = emu.small_mp3 * (FLUSH_BYTES // len(emu.small_mp3) + 3)
    assert len(audio) > FLUSH_BYTES
    rid = emu.upload(audio=audio).json()["id"]
    r = emu.client().get(f"{RECORDINGS}/{rid}/Media")
    assert r.status_code == 200 and r.content == audio


class _Recorder:
    """A transport that records what reaches it."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.events: list[str] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        self.events.append("write")

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.events.append("close")
        self.closing = True

    def write_eof(self) -> None:
        self.events.append("eof")

    def abort(self) -> None:
        self.events.append("abort")
        self.closing = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def _on_a_loop(body) -> None:
    async def run() -> None:
        await body(asyncio.get_running_loop())

    asyncio.run(run())


def test_writes_of_one_loop_turn_leave_in_one_call():
    async def body(loop):
        real = _Recorder()
        t = CoalescingTransport(real, loop)
        t.write(b"HTTP/1.1 200 OK\r\n\r\n")
        t.write(b"")
        t.write(b"{}")
        assert real.writes == [] and t.get_write_buffer_size() == len(b"HTTP/1.1 200 OK\r\n\r\n{}")
        await asyncio.sleep(0)
        assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
        t.write(b"next")
        await asyncio.sleep(0)
        assert real.writes[-1] == b"next" and len(real.writes) == 2
        assert t.get_extra_info("peername") == "info:peername"  # everything else is the real transport's

    _on_a_loop(body)


def test_close_and_eof_send_what_was_gathered_first_and_abort_drops_it():
    async def body(loop):
        real = _Recorder()
        t = CoalescingTransport(real, loop)
        t.write(b"a")
        t.write_eof()
        t.write(b"b")
        t.close()
        assert real.events == ["write", "eof", "write", "close"] and real.writes == [b"a", b"b"]
        await asyncio.sleep(0)
        assert real.writes == [b"a", b"b"]  # the scheduled flush found nothing left
        other = _Recorder()
        t2 = CoalescingTransport(other, loop)
        t2.write(b"dropped")
        t2.abort()
        await asyncio.sleep(0)
        assert other.writes == [] and other.events == ["abort"]

    _on_a_loop(body)


def test_a_large_write_goes_at_once_and_a_closed_peer_gets_nothing():
    async def body(loop):
        real = _Recorder()
        t = CoalescingTransport(real, loop)
        t.write(b"h")
        t.write(b"x" * FLUSH_BYTES)
        assert real.writes == [b"h" + b"x" * FLUSH_BYTES]  # over the bound: flushed without waiting
        t.write(b"late")
        real.closing = True
        await asyncio.sleep(0)
        assert len(real.writes) == 1

    _on_a_loop(body)

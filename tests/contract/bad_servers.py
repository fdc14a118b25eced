"""TCP servers that never answer properly, for the never-hang self-tests.

``python tests/contract/bad_servers.py --mode stall|reset|trickle --port P``

- ``stall``: accepts connections, reads the request, never answers;
- ``reset``: accepts and closes at once (the client sees a reset / disconnect);
- ``trickle``: sends a valid status line and headers, then one body byte every 2 seconds, forever.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib


async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        await reader.read(65536)
        await asyncio.sleep(3600)


async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(Exception):
        import socket
        import struct

        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()


async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        await reader.read(65536)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
        await writer.drain()
        while True:
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(2)


async def serve(mode: str, port: int) -> None:
    handler = {"stall": stall, "reset": reset, "trickle": trickle}[mode]
    server = await asyncio.start_server(handler, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("stall", "reset", "trickle"), required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.mode, args.port))


if __name__ == "__main__":
    main()

"""The proxy's side of the conversation: forwarding to the emulator, and asking it questions.

``Px`` is what a fault gets: ``forward`` sends a request on unchanged (the correct answer), ``as_admin``
and ``as_user`` re-send it under another identity (privilege bugs), ``admin_json`` lets a fault look
things up (the live list before a stop, the media of a recording) to build a wrong-but-plausible answer.
"""

from __future__ import annotations

from typing import Any

import httpx

from .directory import ADMIN, Account, Directory
from .ops import LIVE
from .wire import Req, Resp

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "accept-encoding",
    }
)
_DROP_FROM_ANSWER = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"}
)


class Px:
    def __init__(
        self, base_url: str, directory: Directory, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.directory = directory
        self.client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(120.0),
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def forward(self, req: Req) -> Resp:
        """Send ``req`` to the emulator as it is and return the emulator's (correct) answer."""
        url = self.base_url + req.raw_path + (f"?{req.query}" if req.query else "")
        headers = [(k, v) for k, v in req.headers if k.lower() not in _HOP_BY_HOP]
        response = await self.client.request(req.method, url, headers=headers, content=req.body)
        kept = tuple((k, v) for k, v in response.headers.multi_items() if k.lower() not in _DROP_FROM_ANSWER)
        return Resp(response.status_code, kept, response.content)

    async def as_account(self, req: Req, account: Account) -> Resp:
        return await self.forward(req.with_header("Authorization", account.authorization))

    async def as_admin(self, req: Req) -> Resp:
        return await self.as_account(req, ADMIN)

    async def admin_json(self, method: str, path: str, params: list[tuple[str, str]] | None = None) -> Any:
        """A look-up as the seeded admin; ``None`` unless the answer is a 2xx JSON body."""
        response = await self.client.request(
            method, self.base_url + path, params=params, headers={"Authorization": ADMIN.authorization}
        )
        if response.status_code // 100 != 2:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    async def admin_bytes(self, path: str) -> bytes | None:
        response = await self.client.get(self.base_url + path, headers={"Authorization": ADMIN.authorization})
        return response.content if response.status_code == 200 else None

    async def live_ids(self) -> set[str]:
        """Ids of every live recording right now (admin view)."""
        items = await self.admin_json("GET", LIVE)
        return {str(i.get("id", "")).lower() for i in items} if isinstance(items, list) else set()

"""Authentication and permission faults (reference sections 1 and 5, A-15).

They need to know who is calling: ``px.directory`` has learned every user from the control plane (on a
lab, from its site file: ``directory.Directory.from_site``).
"""

from __future__ import annotations

from ..ops import LIVE, LIVE_WRITES, RECORDING_READS
from ..upstream import Px
from ..wire import Req, Resp
from . import Behaviour, rewrite


class IgnoredAuth(Behaviour):
    """Missing or wrong credentials are not rejected: the request runs as the service account."""

    async def handle(self, req: Req, px: Px) -> Resp:
        correct = await px.forward(req)
        if correct.status != 401:
            return correct
        return self.report(correct, await px.as_admin(req))


class WrongPasswordAccepted(Behaviour):
    """Only the username is checked: a known user with a wrong password gets in."""

    async def handle(self, req: Req, px: Px) -> Resp:
        correct = await px.forward(req)
        account = px.directory.claimed(req)
        if correct.status != 401 or account is None:
            return correct
        return self.report(correct, await px.as_account(req, account))


class Escalate(Behaviour):
    """Requests of ``ops`` by a user of ``level`` run with Complete Management rights."""

    def __init__(self, level: int, ops: frozenset[str], *, only_if_refused: bool = False) -> None:
        super().__init__()
        self.level = level
        self.ops = ops
        self.only_if_refused = only_if_refused

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op not in self.ops or px.directory.level(req) != self.level:
            return await px.forward(req)
        correct = await px.forward(req)
        if self.only_if_refused and correct.status != 403:
            return correct
        return self.report(correct, await px.as_admin(req))


def level2_sees_all() -> Behaviour:
    """Base Access users list, get and download every user's recordings (no owner filter)."""
    return Escalate(2, RECORDING_READS)


def other_user_recording_readable() -> Behaviour:
    """The list is filtered by owner but get/download by id are not: a Base Access user reads others'."""
    return Escalate(2, frozenset({"getRecording", "downloadRecording"}), only_if_refused=True)


def record_only_controls_others() -> Behaviour:
    """Record Only users may start/stop/pause/resume any line, not just their own."""
    return Escalate(1, LIVE_WRITES, only_if_refused=True)


def level2_can_upload() -> Behaviour:
    """Upload checks Base Access instead of Complete Management."""
    return Escalate(2, frozenset({"uploadRecording"}), only_if_refused=True)


class Level1CanList(Behaviour):
    """Record Only users can list (their own) completed recordings: the level check is off by one."""

    async def handle(self, req: Req, px: Px) -> Resp:
        account = px.directory.caller(req)
        if req.op != "listRecordings" or account is None or account.level != 1:
            return await px.forward(req)
        correct = await px.forward(req)
        asked = req.param("ownerUsername")
        params = [(k, v) for k, v in req.params() if k != "ownerUsername"]
        faulty = await px.as_admin(req.with_params([*params, ("ownerUsername", account.username)]))
        if asked is not None and asked.lower() != account.username.lower() and faulty.status == 200:
            faulty = faulty.with_json({"totalCount": 0, "recordings": []})
        return self.report(correct, faulty)


class Level0ListsMine(Behaviour):
    """listMyActiveRecordings has no permission check: a user without rights gets their list."""

    async def handle(self, req: Req, px: Px) -> Resp:
        correct = await px.forward(req)
        account = px.directory.caller(req)
        if req.op != "listMyActiveRecordings" or correct.status != 403 or account is None:
            return correct
        items = await px.admin_json("GET", LIVE, [("username", account.username)])
        return self.report(correct, Resp.of_json(200, items if isinstance(items, list) else []))


class MineShowsAll(Behaviour):
    """``/Mine`` forgets its filter and lists every active recording of every user."""

    async def handle(self, req: Req, px: Px) -> Resp:
        correct = await px.forward(req)
        if req.op != "listMyActiveRecordings" or correct.status != 200:
            return correct
        items = await px.admin_json("GET", LIVE)
        return self.report(correct, Resp.of_json(200, items if isinstance(items, list) else []))


@rewrite(None)
def forbidden_as_401(req: Req, resp: Resp) -> Resp | None:
    """A permission refusal is reported as an authentication failure (401 instead of 403)."""
    if resp.status != 403:
        return None
    return Resp.of_json(401, {"message": "Authorization has been denied for this request."}).with_header(
        "WWW-Authenticate", 'Basic realm="UCX"'
    )


class OwnerFilterWidens(Behaviour):
    """For a Base Access user, an ``ownerUsername`` filter replaces the implicit "own recordings only"
    restriction instead of being ANDed with it: naming another user lists that user's recordings
    (A-15: others' recordings are absent from the list)."""

    async def handle(self, req: Req, px: Px) -> Resp:
        account = px.directory.caller(req)
        asked = req.param("ownerUsername")
        if (
            req.op != "listRecordings"
            or account is None
            or account.level != 2
            or not asked
            or asked.lower() == account.username.lower()
        ):
            return await px.forward(req)
        correct = await px.forward(req)
        if correct.status != 200:
            return correct
        return self.report(correct, await px.as_admin(req))

"""Combination faults: auth (see the package docstring).

Written from the auth dimensions (reference sections 1 and 5, A-1, A-4, A-15): access level x page x
pageSize x filter x whose data, and the credential as an input (its prefix, its first characters, an
empty password, the username's case) x the API or operation that checks it. Each bug answers the
simplest request of every single rule correctly (page 0 of an unfiltered level-2 listing, a plain
wrong password, a lowercase id), and shows only where its dimensions meet.
"""

from __future__ import annotations

from typing import Any

import specs

from ..behaviours import Behaviour
from ..directory import ADMIN, Account
from ..fault import Fault, combination
from ..ops import LIVE, RECORDING_READS
from ..upstream import Px
from ..wire import Req, Resp


def _level2(req: Req, px: Px) -> Account | None:
    """The caller when it is a Base Access user with the right password."""
    account = px.directory.caller(req)
    return account if account is not None and account.level == 2 else None


def _page(req: Req) -> tuple[int, int | None]:
    size, page = req.param("pageSize"), req.param("page")
    if size is None or not size.isdigit():
        return 0, None
    return (int(page) if page and page.isdigit() else 0), int(size)


def _listing(resp: Resp) -> dict[str, Any] | None:
    body = resp.json()
    if resp.status != 200 or not isinstance(body, dict) or not isinstance(body.get("recordings"), list):
        return None
    return body


class _Level2Listing(Behaviour):
    """Base for level-2 listRecordings bugs: forward, then rebuild the 200 from the admin's answer."""

    def applies(self, req: Req) -> bool:
        raise NotImplementedError

    def rebuild(self, correct: dict[str, Any], admin: dict[str, Any], req: Req, me: Account, px: Px) -> Any:
        raise NotImplementedError

    async def handle(self, req: Req, px: Px) -> Resp:
        me = _level2(req, px) if req.op == "listRecordings" else None
        if me is None or not self.applies(req):
            return await px.forward(req)
        correct = await px.forward(req)
        body = _listing(correct)
        if body is None:
            return correct
        admin = _listing(await px.as_admin(req))
        if admin is None:
            return correct
        return self.report(correct, correct.with_json(self.rebuild(body, admin, req, me, px)))


class LeakAfterFirstPage(_Level2Listing):
    """Base Access, page 1 and later: the page query loses the owner restriction (the count query keeps
    it), so a level-2 user sees other users' recordings on every page but the first."""

    def applies(self, req: Req) -> bool:
        page, size = _page(req)
        return size is not None and page >= 1

    def rebuild(self, correct: dict[str, Any], admin: dict[str, Any], req: Req, me: Account, px: Px) -> Any:
        return {"totalCount": correct["totalCount"], "recordings": admin["recordings"]}


class CountsEveryone(_Level2Listing):
    """Base Access, paged: ``totalCount`` comes from a count query without the owner restriction (the
    unpaged answer counts its own list, so it is right)."""

    def applies(self, req: Req) -> bool:
        return _page(req)[1] is not None

    def rebuild(self, correct: dict[str, Any], admin: dict[str, Any], req: Req, me: Account, px: Px) -> Any:
        return {"totalCount": admin["totalCount"], "recordings": correct["recordings"]}


class PagesBeforeRestricting(_Level2Listing):
    """Base Access, paged: the server pages everyone's matches first and drops others' recordings from
    the page afterwards, so pages come out short and own recordings fall between pages."""

    def applies(self, req: Req) -> bool:
        return _page(req)[1] is not None

    def rebuild(self, correct: dict[str, Any], admin: dict[str, Any], req: Req, me: Account, px: Px) -> Any:
        mine = me.username.lower()
        kept = [r for r in admin["recordings"] if str(r.get("ownerUsername", "")).lower() == mine]
        return {"totalCount": correct["totalCount"], "recordings": kept}


class DateFilterUnrestricted(_Level2Listing):
    """Base Access with a ``startTime`` or ``endTime`` filter: the date-range query path forgets the
    owner restriction, so the listing shows every user's recordings in that range."""

    def applies(self, req: Req) -> bool:
        return req.param("startTime") is not None or req.param("endTime") is not None

    def rebuild(self, correct: dict[str, Any], admin: dict[str, Any], req: Req, me: Account, px: Px) -> Any:
        return admin


class OwnerFilterOtherCase(_Level2Listing):
    """Base Access with ``ownerUsername`` naming another user in another case than the stored one:
    the "may name only yourself" guard compares exactly, the database case-insensitively (A-4), so
    ``QUAL-AGENT`` lists that user's recordings while ``qual-agent`` is refused."""

    def applies(self, req: Req) -> bool:
        return bool(req.param("ownerUsername"))

    def rebuild(self, correct: dict[str, Any], admin: dict[str, Any], req: Req, me: Account, px: Px) -> Any:
        asked = req.param("ownerUsername") or ""
        known = px.directory.get(asked)
        if known is None or known.username.lower() == me.username.lower() or known.username == asked:
            return correct
        return admin


class UppercaseIdSkipsOwnership(Behaviour):
    """get/download by a Base Access user: the ownership check looks the id up exactly as written in a
    lowercase-keyed cache, so an id with capitals (A-1: any case is accepted) finds no owner and
    another user's recording is served."""

    async def handle(self, req: Req, px: Px) -> Resp:
        if req.op not in ("getRecording", "downloadRecording") or _level2(req, px) is None:
            return await px.forward(req)
        correct = await px.forward(req)
        rec = req.path.rstrip("/").split("/")[-2 if req.op == "downloadRecording" else -1]
        if correct.status != 403 or rec == rec.lower():
            return correct
        return self.report(correct, await px.as_admin(req))


class _PasswordRule(Behaviour):
    """A credential check that lets a near miss of a known user's password in, on some operations."""

    ops: frozenset[str] | None = None

    def lets_in(self, given: str, stored: str) -> bool:
        raise NotImplementedError

    async def handle(self, req: Req, px: Px) -> Resp:
        correct = await px.forward(req)
        if correct.status != 401 or (self.ops is not None and req.op not in self.ops):
            return correct
        creds = req.credentials()
        account = px.directory.claimed(req)
        if creds is None or account is None or creds[1] == account.password:
            return correct
        if not self.lets_in(creds[1], account.password):
            return correct
        return self.report(correct, await px.as_account(req, account))


LIVE_OPS = frozenset(specs.operation_ids(specs.LIVE_RECORDINGS))


class LivePasswordIgnoresCase(_PasswordRule):
    """The LiveRecordings service (a separate legacy component) compares passwords case-insensitively
    (it keeps them upper-cased, LM-hash style): the password in another case gets in there; the
    Recordings API is right."""

    ops = LIVE_OPS

    def lets_in(self, given: str, stored: str) -> bool:
        return given.upper() == stored.upper()


class MediaPasswordPrefix(_PasswordRule):
    """The media endpoint (downloads are streamed by another handler) checks the password with
    ``stored.startswith(given)``: any non-empty strict prefix of the password downloads."""

    ops = frozenset({"downloadRecording"})

    def lets_in(self, given: str, stored: str) -> bool:
        return bool(given) and stored.startswith(given)


class EmptyPasswordBind(_PasswordRule):
    """LDAP unauthenticated bind: a known username with an empty password binds, and the server takes
    the bind's success for authentication (any operation)."""

    def lets_in(self, given: str, stored: str) -> bool:
        return given == ""


class RecasedLoginLosesOwn(Behaviour):
    """A Base Access user who logs in with the username in another case (the directory folds case)
    is restricted with ``owner == login`` compared exactly: their own recordings vanish from the list
    and get/download of them is 403 (A-15: Base Access lists and reads its own)."""

    async def handle(self, req: Req, px: Px) -> Resp:
        me = _level2(req, px)
        creds = req.credentials()
        if me is None or creds is None or creds[0] == me.username or req.op not in RECORDING_READS:
            return await px.forward(req)
        correct = await px.forward(req)
        if correct.status != 200:
            return correct
        if req.op == "listRecordings":
            return self.report(correct, correct.with_json({"totalCount": 0, "recordings": []}))
        return self.report(correct, Resp.of_json(403, {"message": "Access denied"}))


class RecordOnlyListsItself(Behaviour):
    """A Record Only user listing with ``ownerUsername`` = itself takes the "self-service" path, which
    checks the filter instead of the level: 200 with its own recordings (A-15: 403)."""

    async def handle(self, req: Req, px: Px) -> Resp:
        me = px.directory.caller(req)
        asked = req.param("ownerUsername")
        if req.op != "listRecordings" or me is None or me.level != 1 or not asked:
            return await px.forward(req)
        correct = await px.forward(req)
        if correct.status != 403 or asked.lower() != me.username.lower():
            return correct
        return self.report(correct, await px.as_admin(req))


class AdminMineStopsAnyLine(Behaviour):
    """``DELETE /Mine`` by a Complete Management user whose own line records nothing resolves "my
    recording" as the first one the caller may see, and stops another user's (documented: 409, the
    caller has no active recording)."""

    async def handle(self, req: Req, px: Px) -> Resp:
        correct = await px.forward(req)
        caller = px.directory.caller(req)
        if req.op != "stopMyRecording" or correct.status != 409 or caller is None or caller.level != 10:
            return correct
        items = await px.admin_json("GET", LIVE)
        first = (
            next((i for i in items if isinstance(i, dict) and i.get("id")), None)
            if isinstance(items, list)
            else None
        )
        if first is None:
            return correct
        stopped = await px.client.delete(
            f"{px.base_url}{LIVE}/{first['id']}", headers={"Authorization": ADMIN.authorization}
        )
        return self.report(correct, Resp.empty(204) if stopped.status_code == 204 else correct)


COMBOS: list[Fault] = [
    combination(
        "level2-leak-after-first-page",
        "auth",
        "5 (A-15): others' recordings are absent from a Base Access listing",
        LeakAfterFirstPage,
        dimensions=("level 2", "page > 0"),
    ),
    combination(
        "level2-paged-count-everyone",
        "auth",
        "2.1, 5 (A-15): totalCount counts the matches the caller may see",
        CountsEveryone,
        dimensions=("level 2", "pageSize given"),
    ),
    combination(
        "level2-pages-before-restricting",
        "auth",
        "2.1, 5 (A-15): a page is the window of the caller's own matches",
        PagesBeforeRestricting,
        dimensions=("level 2", "pageSize given", "other users' data interleaved"),
    ),
    combination(
        "level2-date-filter-unrestricted",
        "auth",
        "5 (A-15): filters narrow a Base Access listing, never widen it",
        DateFilterUnrestricted,
        dimensions=("level 2", "startTime or endTime filter"),
    ),
    combination(
        "level2-owner-filter-other-case",
        "auth",
        "2.1 (A-4), 5 (A-15): ownerUsername naming another user, in any case, shows nothing of theirs",
        OwnerFilterOtherCase,
        dimensions=("level 2", "ownerUsername = another user", "name in another case"),
    ),
    combination(
        "level2-uppercase-id-skips-ownership",
        "auth",
        "1 (A-1), 5 (A-15): another user's recording is 403 to Base Access however its id is written",
        UppercaseIdSkipsOwnership,
        dimensions=("level 2", "another user's recording", "id with capitals"),
    ),
    combination(
        "live-password-ignores-case",
        "auth",
        "1, 5: wrong credentials are 401 on every operation",
        LivePasswordIgnoresCase,
        dimensions=("password in another case", "LiveRecordings operation"),
    ),
    combination(
        "media-password-prefix",
        "auth",
        "1, 5: wrong credentials are 401 on every operation",
        MediaPasswordPrefix,
        dimensions=("password: a strict prefix", "downloadRecording"),
    ),
    combination(
        "empty-password-binds",
        "auth",
        "1, 5: wrong credentials are 401 on every operation",
        EmptyPasswordBind,
        dimensions=("a known username", "an empty password"),
    ),
    combination(
        "recased-login-loses-own",
        "auth",
        "5 (A-15): Base Access lists and reads its own recordings",
        RecasedLoginLosesOwn,
        dimensions=("username in another case", "level 2", "own recordings"),
    ),
    combination(
        "admin-mine-stops-any-line",
        "auth",
        "2 (stop 409: the caller has no active recording), 5",
        AdminMineStopsAnyLine,
        dimensions=("level 10", "/Mine", "own line idle while another line records"),
    ),
    combination(
        "record-only-lists-itself",
        "auth",
        "5 (A-15): Record Only cannot list completed recordings",
        RecordOnlyListsItself,
        dimensions=("level 1", "ownerUsername = the caller"),
    ),
]

"""Credentials as inputs: near-miss usernames and passwords, and how many a real account may take.

A server that checks a password on a prefix, on its first eight characters, after trimming it, up to
a NUL, with SQL ``LIKE``, case-insensitively or after folding accents lets a near miss in, and a
plain wrong password ("-wrong" appended) never shows it. Each variant here derives a near miss from
a real ``(username, password)``; Hypothesis draws the free part (which prefix, which suffix, which
character). Every wrong variant must be 401 (reference 1 and 5: Basic on every operation, wrong
credentials are 401); an oversize one may also be refused by the HTTP layer (400, 431); a username
in another case or padded may be the same user (the reference does not say whether usernames are
case-sensitive: 401, or exactly that user's rights).

Account lockout: a wrong password for a real account is a failed login, and directory servers lock
an account after a few (Active Directory: a site-chosen threshold). So on any server but recqual's
emulator, ``AttemptBudget`` allows at most ``MAX_WRONG_PER_ACCOUNT`` failed logins per declared user
per run, spent on the variants most likely to reveal a bug (``PRIORITY``); the other variants go to
a username that does not exist (derived from the real one), which locks nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import strategies as st

MAX_WRONG_PER_ACCOUNT = 3
"""Failed logins per real account per run outside the emulator (below any sane lockout threshold)."""
LONG = 4096
"""A very long value: 4 KiB, far below any server's header limit (8-16 KiB) yet past fixed buffers."""

Pair = tuple[str, str]
Derive = Callable[[st.DrawFn, str, str], Pair]


@dataclass(frozen=True)
class Variant:
    """A near miss of a real ``(username, password)``.

    ``judged``: ``wrong`` (401), ``oversize`` (401, or 400/431 from the HTTP layer), ``same-user``
    (401, or exactly the real user's answers). ``spends``: it is a failed login on the real account.
    """

    name: str
    about: str
    judged: str
    spends: bool
    derive: Derive


def _prefix(draw: st.DrawFn, u: str, p: str) -> Pair:
    """Longest first: the simplest draw is the near miss a first-N-characters check lets in."""
    return u, (p[: draw(st.sampled_from(range(len(p) - 1, 0, -1)))] if len(p) > 1 else "")


def _suffix(draw: st.DrawFn, u: str, p: str) -> Pair:
    return u, p + draw(st.text(st.sampled_from("x0!Z-"), min_size=1, max_size=4))


def _case(draw: st.DrawFn, u: str, p: str) -> Pair:
    forms = [f for f in (p.swapcase(), p.upper(), p.lower()) if f != p]
    return u, draw(st.sampled_from(forms)) if forms else p + "A"


def _blank(draw: st.DrawFn, u: str, p: str) -> Pair:
    pad = draw(st.sampled_from((" ", "\t", "  ")))
    return u, draw(st.sampled_from((p + pad, pad + p, pad + p + pad)))


def _nul(draw: st.DrawFn, u: str, p: str) -> Pair:
    return u, p + "\x00" + draw(st.text(st.sampled_from("xyz"), min_size=1, max_size=3))


def _accent(draw: st.DrawFn, u: str, p: str) -> Pair:
    """An accented letter where the password has its plain one, or appended: a server that folds or
    drops non-ASCII characters lets it in."""
    accents = {"a": "ä", "e": "é", "o": "ö", "u": "ü", "i": "í", "n": "ñ", "c": "ç"}
    spots = [i for i, c in enumerate(p) if c.lower() in accents]
    replace: bool = draw(st.booleans())
    if spots and replace:
        i = draw(st.sampled_from(spots))
        return u, p[:i] + accents[p[i].lower()] + p[i + 1 :]
    return u, p + draw(st.sampled_from(("é", "ß", "☎")))


def _like(draw: st.DrawFn, u: str, p: str) -> Pair:
    """Characters that mean "anything" to SQL LIKE or a regular expression."""
    k = draw(st.integers(0, max(0, len(p) - 1)))
    return u, draw(st.sampled_from((p[:k] + "%", p[:-1] + "_", "%", p[:k] + ".*", "_" * len(p))))


def _colon(draw: st.DrawFn, u: str, p: str) -> Pair:
    return u, p + ":" + draw(st.sampled_from(("", "x", p)))


def _long_password(draw: st.DrawFn, u: str, p: str) -> Pair:
    return u, p + "x" * LONG


def _empty_password(draw: st.DrawFn, u: str, p: str) -> Pair:
    return u, ""


def _empty_username(draw: st.DrawFn, u: str, p: str) -> Pair:
    return "", p


def _username_suffix(draw: st.DrawFn, u: str, p: str) -> Pair:
    return u + draw(st.sampled_from(("x", "0", "-rq", "@corp"))), p


def _username_prefix(draw: st.DrawFn, u: str, p: str) -> Pair:
    return u[: draw(st.integers(1, max(1, len(u) - 1)))], p


def _username_nul(draw: st.DrawFn, u: str, p: str) -> Pair:
    return u + "\x00" + draw(st.sampled_from(("x", "admin", "rq"))), p


def _username_like(draw: st.DrawFn, u: str, p: str) -> Pair:
    k = draw(st.integers(1, max(1, len(u) - 1)))
    return draw(st.sampled_from((u[:k] + "%", u[:-1] + "_", u[:k] + ".*", "%"))), p


def _username_long(draw: st.DrawFn, u: str, p: str) -> Pair:
    return u + "x" * LONG, p


def _username_case(draw: st.DrawFn, u: str, p: str) -> Pair:
    forms = [f for f in (u.upper(), u.swapcase(), u.title(), u.lower()) if f != u]
    return (draw(st.sampled_from(forms)) if forms else u), p


def _username_padded(draw: st.DrawFn, u: str, p: str) -> Pair:
    return draw(st.sampled_from((u + " ", " " + u))), p


WRONG = (
    Variant("password-prefix", "a strict prefix of the password", "wrong", True, _prefix),
    Variant("password-suffix", "the password with characters appended", "wrong", True, _suffix),
    Variant("password-case", "the password in another case", "wrong", True, _case),
    Variant("password-empty", "an empty password", "wrong", True, _empty_password),
    Variant("password-blank", "the password with spaces or tabs around it", "wrong", True, _blank),
    Variant("password-nul", "the password, a NUL, then more", "wrong", True, _nul),
    Variant("password-accent", "the password with an accented letter", "wrong", True, _accent),
    Variant("password-wildcard", "a SQL LIKE / regex wildcard for the password", "wrong", True, _like),
    Variant("password-colon", "the password, a colon, then more", "wrong", True, _colon),
    Variant("password-long", "the password plus 4 KiB", "oversize", True, _long_password),
    Variant("username-empty", "an empty username with the right password", "wrong", False, _empty_username),
    Variant("username-suffix", "the username with characters appended", "wrong", False, _username_suffix),
    Variant("username-prefix", "a strict prefix of the username", "wrong", False, _username_prefix),
    Variant("username-nul", "the username, a NUL, then more", "wrong", False, _username_nul),
    Variant(
        "username-wildcard", "a SQL LIKE / regex wildcard for the username", "wrong", False, _username_like
    ),
    Variant("username-long", "the username plus 4 KiB", "oversize", False, _username_long),
)
"""Near misses that must be refused, the right password kept wherever the username is varied."""

SAME_USER = (
    Variant("username-case", "the username in another case", "same-user", False, _username_case),
    Variant("username-padded", "the username with a space around it", "same-user", False, _username_padded),
)
"""A username a directory may treat as the same user: 401, or exactly that user's rights."""

PRIORITY = ("password-prefix", "password-suffix", "password-case")
"""The failed logins worth a real account's budget: the bugs a plain wrong password cannot show."""


@st.composite
def near_misses(draw: st.DrawFn, variant: Variant, username: str, password: str) -> Pair:
    """One drawn ``(username, password)`` of ``variant``; never the real pair itself."""
    user, secret = variant.derive(draw, username, password)
    if (user, secret) != (username, password):
        return user, secret
    return (username, password + "x") if variant.spends else (username + "x", password)


def unknown_username(username: str, tag: str) -> str:
    """A username no directory holds, derived from a real one (a failed login on it locks nothing)."""
    return f"{username}-rq-nobody-{tag}"


class AttemptBudget:
    """Failed logins per real account this run; ``None`` limit: the emulator, where nothing locks."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self._spent: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, username: str) -> bool:
        """Spend one failed login on ``username`` if the budget allows it."""
        with self._lock:
            spent = self._spent.get(username.lower(), 0)
            if self.limit is not None and spent >= self.limit:
                return False
            self._spent[username.lower()] = spent + 1
            return True

    def spent(self, username: str) -> int:
        return self._spent.get(username.lower(), 0)


_BUDGET = pytest.StashKey[AttemptBudget]()


def budget_of(config: pytest.Config, *, is_emulator: bool) -> AttemptBudget:
    """The run's one budget (kept in the pytest config, so every check of the run shares it)."""
    if _BUDGET not in config.stash:
        config.stash[_BUDGET] = AttemptBudget(None if is_emulator else MAX_WRONG_PER_ACCOUNT)
    return config.stash[_BUDGET]


def refusals(judged: str) -> frozenset[int]:
    """The statuses a variant judged ``judged`` may get when it is not the same user."""
    return frozenset({401, 400, 431}) if judged == "oversize" else frozenset({401})

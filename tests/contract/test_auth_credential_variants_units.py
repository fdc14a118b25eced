"""contract/credential_variants.py and the pure parts of contract/test_credentials.py.

Invariants under test:
* no near miss is ever the real ``(username, password)``: a correct server must refuse every one;
* a password near miss keeps the username (it tests the password check of that very account), a
  username near miss keeps the password (it names no real account, so it spends no lockout budget);
* the lockout budget allows ``MAX_WRONG_PER_ACCOUNT`` failed logins per account outside the emulator,
  usernames compared case-insensitively, and none is limited on the emulator;
* the canonical answer tells two users apart and two asks of one user not.
"""

from __future__ import annotations

import warnings

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract.client import Redactor, Reply
from contract.credential_variants import (
    MAX_WRONG_PER_ACCOUNT,
    PRIORITY,
    SAME_USER,
    WRONG,
    AttemptBudget,
    near_misses,
    refusals,
    unknown_username,
)

with warnings.catch_warnings():  # its recqual markers are registered by the contract plugin only
    warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
    from contract.test_credentials import SPECIAL_PASSWORDS, budget_order, canonical, special_near_misses

names = st.text(st.characters(codec="utf-8", exclude_characters=":\x00"), min_size=1, max_size=20)
secrets_ = st.text(st.characters(codec="utf-8"), min_size=0, max_size=24)


@settings(max_examples=40)
@given(st.sampled_from((*WRONG, *SAME_USER)), names, secrets_, st.data())
def test_a_near_miss_is_never_the_real_pair(
    variant: object, user: str, password: str, data: st.DataObject
) -> None:
    got = data.draw(near_misses(variant, user, password))  # type: ignore[arg-type]
    assert got != (user, password)


@settings(max_examples=25)
@given(names, secrets_, st.data())
def test_password_variants_keep_the_account_and_username_variants_the_password(
    user: str, password: str, data: st.DataObject
) -> None:
    for variant in WRONG:
        got_user, got_password = data.draw(near_misses(variant, user, password))
        if variant.name.startswith("password-"):
            assert variant.spends and got_user == user
        else:
            assert not variant.spends and got_password == password and got_user != user


def test_the_most_revealing_variants_lead() -> None:
    assert PRIORITY == ("password-prefix", "password-suffix", "password-case")
    assert {v.name for v in WRONG} >= set(PRIORITY)


def test_prefix_is_strict_and_longest_first() -> None:
    prefix = next(v for v in WRONG if v.name == "password-prefix")

    @given(st.data())
    def check(data: st.DataObject) -> None:
        _, got = data.draw(near_misses(prefix, "u", "secret-pw"))
        assert "secret-pw".startswith(got) and 0 < len(got) < len("secret-pw")

    check()


def test_budget_outside_the_emulator() -> None:
    budget = AttemptBudget(MAX_WRONG_PER_ACCOUNT)
    assert [budget.take("Qual-Base") for _ in range(MAX_WRONG_PER_ACCOUNT)] == [True] * MAX_WRONG_PER_ACCOUNT
    assert not budget.take("qual-base")
    assert budget.take("qual-agent")
    assert budget.spent("QUAL-BASE") == MAX_WRONG_PER_ACCOUNT
    unlimited = AttemptBudget(None)
    assert all(unlimited.take("admin") for _ in range(50))


def test_unknown_usernames_and_refusals() -> None:
    assert unknown_username("qual-base", "ab12") != "qual-base"
    assert unknown_username("qual-base", "ab12").startswith("qual-base")
    assert refusals("wrong") == {401}
    assert refusals("oversize") == {400, 401, 431}


def test_special_near_misses_differ_only_at_their_characters() -> None:
    for kind, make in SPECIAL_PASSWORDS.items():
        password = make("0123abcd")
        wrong = special_near_misses(kind, password)
        assert wrong and password not in wrong, kind


def _reply(status: int, body: object) -> Reply:
    response = httpx.Response(status, json=body)
    return Reply("listRecordings", "l2", response, "", Redactor())


def test_canonical_tells_users_apart() -> None:
    a = {"totalCount": 1, "recordings": [{"id": "AB"}]}
    b = {"totalCount": 1, "recordings": [{"id": "cd"}]}
    assert canonical("listRecordings", _reply(200, a)) == canonical("listRecordings", _reply(200, a))
    assert canonical("listRecordings", _reply(200, a)) != canonical("listRecordings", _reply(200, b))
    assert canonical("listRecordings", _reply(403, {})) != canonical("listRecordings", _reply(200, a))
    assert canonical("listMyActiveRecordings", _reply(200, [{"id": "X"}])) == (200, ("x",))


def test_budget_order_takes_turns_and_spreads_over_the_api() -> None:
    """Outside the emulator the first rows get the real accounts' few failed logins: they must be
    the revealing variants in turn, each on a different part of the API first."""
    rows = [
        {"variant": v, "operation": op, "role": "l2"}
        for v in ("password-empty", "password-case", "password-suffix", "password-prefix")
        for op in ("getRecording", "downloadRecording", "listActiveRecordings", "listRecordings")
    ]
    ordered = budget_order(rows)
    assert sorted(map(str, ordered)) == sorted(map(str, rows))
    assert [r["variant"] for r in ordered[:6]] == [*PRIORITY, *PRIORITY]
    assert [r["operation"] for r in ordered[:3]] == ["downloadRecording"] * 3
    assert [r["operation"] for r in ordered[3:6]] == ["listActiveRecordings"] * 3
    assert {r["variant"] for r in ordered[-4:]} == {"password-empty"}

"""Telephony values: phone numbers, Cisco device names, directory numbers, usernames, call set-ups.

Invariant: every value is one a PBX or the emulator accepts as is (ASCII, no surrounding spaces), and
`call_setups()` yields bodies valid against `CallSetup` in `specs/emulator-control.yaml` (reference §7).
"""

from __future__ import annotations

import string

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

__all__ = [
    "call_setups",
    "device_names",
    "directory_numbers",
    "person_names",
    "phone_numbers",
    "usernames",
]

_DIGITS = string.digits
_HEX_UPPER = "0123456789ABCDEF"


def phone_numbers() -> SearchStrategy[str]:
    """Extensions (3-6 digits), national numbers (leading 0) and E.164 numbers (`+` and 8-15 digits)."""
    return st.one_of(
        st.text(_DIGITS, min_size=3, max_size=6),
        st.text(_DIGITS, min_size=6, max_size=11).map(lambda d: "0" + d),
        st.tuples(st.sampled_from("123456789"), st.text(_DIGITS, min_size=7, max_size=14)).map(
            lambda t: "+" + t[0] + t[1]
        ),
    )


def device_names() -> SearchStrategy[str]:
    """Cisco phone device names: `SEP` and the 12 uppercase hex digits of the MAC address."""
    return st.text(_HEX_UPPER, min_size=12, max_size=12).map(lambda mac: "SEP" + mac)


def directory_numbers() -> SearchStrategy[str]:
    """Directory numbers (the line's extension): 3 to 8 digits."""
    return st.text(_DIGITS, min_size=3, max_size=8)


def usernames() -> SearchStrategy[str]:
    """IAS usernames: a lowercase letter, then up to 15 of lowercase letters, digits, `.`, `_`, `-`."""
    return st.tuples(
        st.sampled_from(string.ascii_lowercase),
        st.text(string.ascii_lowercase + _DIGITS + "._-", max_size=15),
    ).map("".join)


def person_names() -> SearchStrategy[str]:
    """First or last names, some with non-ASCII letters."""
    return st.one_of(
        st.sampled_from(("Mario", "Rossi", "Anna", "Bianchi", "José", "Müller", "Ølsen", "Żaneta", "Иван")),
        st.text(string.ascii_letters, min_size=1, max_size=12),
    )


def _pinned_or(value: object, default: SearchStrategy) -> SearchStrategy:
    return default if value is None else st.just(value)


def _remote_parties() -> SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries(
        {"phoneNumber": phone_numbers()},
        optional={"firstName": person_names(), "lastName": person_names()},
    )


def call_setups(
    *,
    device_name: str | None = None,
    directory_number: str | None = None,
    username: str | None = None,
    usernames_from: SearchStrategy[str] | None = None,
    monitorable: bool | None = None,
    auto_record: bool | None = None,
) -> SearchStrategy[dict]:
    """Bodies for POST `/_emulator/calls` (§7): `deviceName`, `directoryNumber` and optional fields.

    Pin any field by passing it; a pinned `username`, `monitorable` or `auto_record` is always sent.
    Unpinned optional fields are present or absent at random (absent means the emulator's default:
    the line's user, direction 0, monitorable, not auto-recorded). `usernames_from` supplies usernames
    for the optional `username` (default: none is sent unless pinned, because an unknown user is a
    different scenario).
    """
    required = {
        "deviceName": _pinned_or(device_name, device_names()),
        "directoryNumber": _pinned_or(directory_number, directory_numbers()),
    }
    optional: dict[str, SearchStrategy] = {
        "direction": st.sampled_from((0, 1, 2)),
        "remoteParty": _remote_parties(),
    }
    if username is not None:
        required["username"] = st.just(username)
    elif usernames_from is not None:
        optional["username"] = usernames_from
    if monitorable is not None:
        required["monitorable"] = st.just(monitorable)
    else:
        optional["monitorable"] = st.booleans()
    if auto_record is not None:
        required["autoRecord"] = st.just(auto_record)
    else:
        optional["autoRecord"] = st.booleans()
    return st.fixed_dictionaries(required, optional=optional)

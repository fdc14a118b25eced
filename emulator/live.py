"""A simulated PBX and the live-recording state machine (reference 2.3, A-7, A-8, A-16..A-18).

All live state lives in memory and is only touched from the event loop thread, and no method here
awaits: each request's check-and-set runs to completion before another request is looked at. That is
what makes twenty concurrent starts on one line give exactly one 201 and nineteen 429, with no lock.

Identity of a call is its line, ``(deviceName, directoryNumber)``. A recording belongs to one call;
stopping it, or hanging the call up, turns it into a completed recording in the store at once (A-7).
Stopping a recording never hangs its call up. A *standing* call (a site file's ``[[calls]]``) is part
of the start state: nobody can hang it up, and a reset keeps it connected (its live recording goes).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from emulator import errors, jsonbody
from emulator.audio import generated_mp3
from emulator.auth import LEVEL_COMPLETE, User, Users, unknown_user_json
from emulator.ids import new_id, parse_guid
from emulator.settings import Settings
from emulator.store import NewRecording, Store
from emulator.times import format_datetime, format_duration, now_ticks

MODE_MEDIA_FORKING = 0
MODE_DIAL_IN = 1


@dataclass(slots=True, eq=False)
class Call:
    call_id: str
    device: str
    dn: str
    username: str | None
    direction: int
    remote: dict[str, str]
    monitorable: bool
    auto_record: bool
    seq: int
    standing: bool = False
    recording: LiveRecording | None = None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(slots=True, eq=False)
class LiveRecording:
    id: str
    call: Call
    owner: str
    started_ticks: int
    mode: int
    auto: bool
    paused: bool = False
    recorded_ns: int = 0
    running_since_ns: int = field(default_factory=time.monotonic_ns)
    # The JSON around "duration" never changes: rendered once, on first listing, so that listing
    # stays cheap under load and a start pays nothing for it.
    _json_head: str = ""
    _json_tail: str = ""

    def _render_fixed_parts(self) -> None:
        remote = self.call.remote
        self._json_head = '{"id":' + _dumps(self.id) + ',"duration":"'
        self._json_tail = (
            '","startedAt":'
            + _dumps(format_datetime(self.started_ticks))
            + ',"localParty":'
            + _dumps({"username": self.owner})
            + ',"remoteParty":'
            + _dumps(
                {
                    "firstName": remote["firstName"],
                    "lastName": remote["lastName"],
                    "phoneNumber": remote["phoneNumber"],
                }
            )
            + ',"isPaused":'
        )

    def recorded(self, now_ns: int | None = None) -> int:
        """Recorded time in ns: it does not grow while paused (A-8)."""
        if self.paused:
            return self.recorded_ns
        now_ns = time.monotonic_ns() if now_ns is None else now_ns
        return self.recorded_ns + (now_ns - self.running_since_ns)

    def pause(self) -> None:
        self.recorded_ns = self.recorded()
        self.paused = True

    def resume(self) -> None:
        self.running_since_ns = time.monotonic_ns()
        self.paused = False

    def json_text(self) -> str:
        """The LiveRecording object (reference section 3) as JSON text."""
        if not self._json_head:
            self._render_fixed_parts()
        duration = format_duration(self.recorded() // 100)
        return self._json_head + duration + self._json_tail + ("true}" if self.paused else "false}")


def json_array(items: list[str]) -> bytes:
    return ("[" + ",".join(items) + "]").encode("utf-8")


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    """A line field: absent, null or empty all mean "not given"; any other non-string is invalid."""
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise errors.bad_request(0, f"{name} must be a string")
    return value


def _control_error(message: str) -> errors.Refusal:
    return errors.Refusal(400, message)


class Pbx:
    def __init__(self, users: Users, store: Store, settings: Settings) -> None:
        self.users = users
        self.store = store
        self.settings = settings
        self._seq = 0
        self.calls: dict[str, Call] = {}
        # Connected calls by DN and by device, each list in connection order (oldest first).
        self._calls_by_dn: dict[str, list[Call]] = {}
        self._calls_by_device: dict[str, list[Call]] = {}
        self.recordings: dict[str, LiveRecording] = {}
        # Lines that carried a call since the last reset "exist".
        self._devices: set[str] = set()
        self._dns: set[str] = set()
        self._pairs: set[tuple[str, str]] = set()

    def reset(self) -> None:
        """Back to the start state: only the standing calls stay connected, none of them recorded."""
        standing = [c for c in self.calls.values() if c.standing]
        self.calls.clear()
        self._calls_by_dn.clear()
        self._calls_by_device.clear()
        self.recordings.clear()
        self._devices.clear()
        self._dns.clear()
        self._pairs.clear()
        for call in standing:
            call.recording = None
            self._connect(call)
            self._auto_start(call)

    # --- the line model ----------------------------------------------------------------------------

    def line_known(self, device: str | None, dn: str | None) -> bool:
        if device is not None and dn is not None:
            return (device, dn) in self._pairs or self.users.knows_pair(device, dn)
        if device is not None:
            return device in self._devices or self.users.knows_device(device)
        if dn is not None:
            return dn in self._dns or self.users.knows_extension(dn)
        return False

    def calls_on(self, device: str | None, dn: str | None) -> list[Call]:
        """Connected calls matching every given line field, oldest first."""
        if dn is not None:
            return [c for c in self._calls_by_dn.get(dn, ()) if device is None or c.device == device]
        if device is not None:
            return list(self._calls_by_device.get(device, ()))
        return []

    def call_user(self, call: Call) -> str | None:
        """The IAS user of a call: set-up's username, else whose extension or device the line is."""
        if call.username:
            known = self.users.get(call.username)
            return known.username if known else call.username
        user = self.users.by_extension(call.dn) or self.users.by_device(call.device)
        return user.username if user else None

    def is_mine(self, rec: LiveRecording, user: User) -> bool:
        return rec.owner.lower() == user.lower or user.owns_line(rec.call.device, rec.call.dn)

    # --- control plane -----------------------------------------------------------------------------

    def place_call(self, body: Any, *, standing: bool = False) -> Call:
        if not isinstance(body, dict):
            raise _control_error("the call set-up must be a JSON object")
        device, dn = body.get("deviceName"), body.get("directoryNumber")
        if not isinstance(device, str) or not device or not isinstance(dn, str) or not dn:
            raise _control_error("deviceName and directoryNumber must be non-empty strings")
        username = body.get("username")
        if username is not None and not isinstance(username, str):
            raise _control_error("username must be a string")
        direction = body.get("direction", 0)
        if type(direction) is not int or direction not in (0, 1, 2):
            raise _control_error("direction must be 0, 1 or 2")
        remote = {"phoneNumber": "", "firstName": "", "lastName": ""}
        remote_body = body.get("remoteParty")
        if remote_body is not None:
            if not isinstance(remote_body, dict) or not isinstance(remote_body.get("phoneNumber"), str):
                raise _control_error("remoteParty must be an object with a string phoneNumber")
            for name in remote:
                value = remote_body.get(name)
                if value is not None and not isinstance(value, str):
                    raise _control_error(f"remoteParty.{name} must be a string")
                remote[name] = value or ""
        flags = {}
        for name, default in (("monitorable", True), ("autoRecord", False)):
            value = body.get(name, default)
            if not isinstance(value, bool):
                raise _control_error(f"{name} must be a boolean")
            flags[name] = value
        if self.calls_on(device, dn):
            raise errors.conflict("that device and line already have a connected call")
        self._seq += 1
        call = Call(
            call_id=new_id(),
            device=device,
            dn=dn,
            username=username or None,
            direction=direction,
            remote=remote,
            monitorable=flags["monitorable"],
            auto_record=flags["autoRecord"],
            seq=self._seq,
            standing=standing,
        )
        self._connect(call)
        self._auto_start(call)
        return call

    def _auto_start(self, call: Call) -> None:
        """A-18: an automatic-recording device records from the moment the call connects."""
        if call.auto_record and call.monitorable:
            owner = self.call_user(call)
            if owner is not None:  # the recorder cannot file a recording for nobody
                self._begin(call, owner, MODE_MEDIA_FORKING, auto=True)

    def _connect(self, call: Call) -> None:
        self.calls[call.call_id] = call
        self._calls_by_dn.setdefault(call.dn, []).append(call)
        self._calls_by_device.setdefault(call.device, []).append(call)
        self._devices.add(call.device)
        self._dns.add(call.dn)
        self._pairs.add((call.device, call.dn))

    def hang_up(self, call_id: str) -> None:
        call = self.calls.get(call_id)
        if call is None:
            raise errors.not_found("no such connected call")
        if call.standing:
            raise errors.conflict("a standing call (site file) cannot be hung up")
        if call.recording is not None:
            self._complete(call.recording)
        del self.calls[call_id]
        for index, key in ((self._calls_by_dn, call.dn), (self._calls_by_device, call.device)):
            index[key].remove(call)
            if not index[key]:
                del index[key]

    def call_json(self, call: Call) -> dict[str, Any]:
        out: dict[str, Any] = {
            "callId": call.call_id,
            "deviceName": call.device,
            "directoryNumber": call.dn,
        }
        user = self.call_user(call)
        if user is not None:
            out["username"] = user
        out.update(
            direction=call.direction,
            remoteParty=dict(call.remote),
            monitorable=call.monitorable,
            autoRecord=call.auto_record,
        )
        return out

    # --- state transitions -------------------------------------------------------------------------

    def _begin(self, call: Call, owner: str, mode: int, *, auto: bool) -> LiveRecording:
        rec = LiveRecording(
            id=new_id(), call=call, owner=owner, started_ticks=now_ticks(), mode=mode, auto=auto
        )
        call.recording = rec
        self.recordings[rec.id] = rec
        return rec

    def _complete(self, rec: LiveRecording) -> None:
        """Stop: leave the live list and become a completed recording, committed before we answer."""
        recorded_ns = rec.recorded()
        call = rec.call
        known = self.users.get(rec.owner)
        audio = generated_mp3(recorded_ns / 1e9)
        if rec.mode == MODE_DIAL_IN:
            pbx_info: dict[str, str] = {"type": "generic", "localCallId": call.call_id, "remoteCallId": ""}
        else:
            pbx_info = {
                "type": "media-forking",
                "localCallId": call.call_id,
                "remoteCallId": "",
                "sessionId": rec.id,
            }
        self.store.insert(
            NewRecording(
                id=rec.id,
                start_ticks=rec.started_ticks,
                duration_ticks=recorded_ns // 100,
                direction=call.direction,
                local_number=call.dn,
                remote_number=call.remote["phoneNumber"],
                owner=known.as_json() if known else unknown_user_json(rec.owner),
                preserving_user=None,
                note=None,
                pbx_call_id=call.call_id,
                pbx_info=pbx_info,
                audio=audio.data,
                size=audio.size,
                sha256=audio.sha256,
            )
        )
        del self.recordings[rec.id]
        call.recording = None

    # --- vendor operations (every check below runs without awaiting) -------------------------------

    def start(self, user: User, body: bytes) -> str:
        if not body.strip():
            if not user.extension:
                raise errors.bad_request(3, "the caller has no extension number")
            device: str | None = None
            dn: str | None = user.extension
            mode = MODE_MEDIA_FORKING
        else:
            try:
                parsed = jsonbody.loads(body)
            except ValueError:
                raise errors.bad_request(0, "the body is not valid JSON") from None
            if not isinstance(parsed, dict):
                raise errors.bad_request(0, "the body must be a JSON object")
            device = _optional_text(parsed, "deviceName")
            dn = _optional_text(parsed, "directoryNumber")
            if device is None and dn is None:
                raise errors.bad_request(0, "neither deviceName nor directoryNumber was given")
            mode = parsed.get("mode", MODE_MEDIA_FORKING)
            if type(mode) is not int or mode not in (MODE_MEDIA_FORKING, MODE_DIAL_IN):
                raise errors.bad_request(2, "mode must be 0 (Cisco Media Forking) or 1 (Dial-In)")
        if not self.line_known(device, dn):
            raise errors.bad_request(1, "the line does not exist", deviceName=device or "")
        if user.level < LEVEL_COMPLETE and not user.owns_line(device, dn):
            raise errors.forbidden("recording a line that is not one's own needs Complete Management")
        calls = self.calls_on(device, dn)
        if not calls:
            raise errors.conflict("no connected call on the line")
        call = calls[0]
        if not call.monitorable:
            raise errors.bad_request(1, "the line is not monitorable", deviceName=call.device)
        if call.auto_record:
            raise errors.bad_request(4, "the device is configured for automatic recording")
        owner = self.call_user(call)
        if owner is None:
            raise errors.conflict("no IAS user is associated with the call")
        if call.recording is not None:
            raise errors.too_many("the call is already being recorded")
        if not self.settings.licenseValid:
            raise errors.licence_invalid()
        if len(self.recordings) >= self.settings.channels:
            raise errors.no_channel()
        return self._begin(call, owner, mode, auto=False).id

    def stop_by_line(self, user: User, device: str | None, dn: str | None) -> None:
        device, dn = device or None, dn or None
        if device is None and dn is None:
            raise errors.bad_request(0, "deviceName or directoryNumber is required")
        if not self.line_known(device, dn):
            raise errors.bad_request(1, "the line does not exist", deviceName=device or "")
        if user.level < LEVEL_COMPLETE and not user.owns_line(device, dn):
            raise errors.forbidden("stopping a line that is not one's own needs Complete Management")
        calls = self.calls_on(device, dn)
        if any(c.auto_record for c in calls):
            raise errors.bad_request(4, "the device is configured for automatic recording")
        recs = [c.recording for c in calls if c.recording is not None]
        if not recs:
            raise errors.conflict("no live recording on that line")
        for rec in recs:
            self._complete(rec)

    def stop_mine(self, user: User) -> None:
        mine = [r for r in self.recordings.values() if self.is_mine(r, user)]
        if not mine:
            raise errors.conflict("the caller has no active recording")
        manual = [r for r in mine if not r.auto]
        if not manual:
            raise errors.bad_request(4, "the device is configured for automatic recording")
        for rec in manual:
            self._complete(rec)

    def _by_id(self, user: User, raw_id: str) -> LiveRecording:
        rid = parse_guid(raw_id)
        if rid is None:
            raise errors.bad_request(0, "the id is not a GUID")
        rec = self.recordings.get(rid)
        if rec is None:
            raise errors.conflict("the id is not a live recording")
        if user.level < LEVEL_COMPLETE and not self.is_mine(rec, user):
            raise errors.forbidden("acting on another user's recording needs Complete Management")
        return rec

    def stop_by_id(self, user: User, raw_id: str) -> None:
        rec = self._by_id(user, raw_id)
        if rec.auto:
            raise errors.bad_request(2, "the device is configured for automatic recording")
        self._complete(rec)

    def pause_by_id(self, user: User, raw_id: str) -> None:
        rec = self._by_id(user, raw_id)
        if rec.paused:
            raise errors.too_many("the recording is already paused")
        rec.pause()

    def resume_by_id(self, user: User, raw_id: str) -> None:
        rec = self._by_id(user, raw_id)
        if not rec.paused:
            raise errors.too_many("the recording is not paused")
        rec.resume()

    def _line_recordings(self, user: User, dn: str | None) -> list[LiveRecording]:
        if not dn:
            raise errors.bad_request(0, "directoryNumber is required")
        if not self.line_known(None, dn):
            raise errors.bad_request(1, "the line does not exist", deviceName="")
        if user.level < LEVEL_COMPLETE and not user.owns_line(None, dn):
            raise errors.forbidden("acting on a line that is not one's own needs Complete Management")
        recs = [c.recording for c in self.calls_on(None, dn) if c.recording is not None]
        if not recs:
            raise errors.conflict("no live recording on that line")
        return recs

    def pause_by_line(self, user: User, dn: str | None) -> None:
        todo = [r for r in self._line_recordings(user, dn) if not r.paused]
        if not todo:
            raise errors.too_many("the line's recordings are already paused")
        for rec in todo:
            rec.pause()

    def resume_by_line(self, user: User, dn: str | None) -> None:
        todo = [r for r in self._line_recordings(user, dn) if r.paused]
        if not todo:
            raise errors.too_many("the line's recordings are not paused")
        for rec in todo:
            rec.resume()

    # --- reads -------------------------------------------------------------------------------------

    def list_active(self, filters: dict[str, str]) -> list[str]:
        device = filters.get("deviceName")
        dn = filters.get("directoryNumber")
        username = filters.get("username")
        numeric = filters.get("numericUserId")
        out = []
        for rec in self.recordings.values():
            if device is not None and rec.call.device != device:
                continue
            if dn is not None and rec.call.dn != dn:
                continue
            if username is not None and rec.owner.lower() != username.lower():
                continue
            if numeric is not None:
                owner = self.users.get(rec.owner)
                if owner is None or not owner.numeric_user_id or owner.numeric_user_id != numeric:
                    continue
            out.append(rec.json_text())
        return out

    def list_mine(self, user: User) -> list[str]:
        return [r.json_text() for r in self.recordings.values() if self.is_mine(r, user)]

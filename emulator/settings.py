"""Server-wide settings that the control plane changes (section 7): licence, channels, retention, latency."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MAX_LATENCY_MS = 60_000  # a bigger delay would only hang the clients that asked for it


class SettingsError(ValueError):
    """The settings body is invalid: 400."""


@dataclass(slots=True)
class Settings:
    licenseValid: bool = True  # wire names: asdict() is the response body
    channels: int = 30
    retentionDays: int = 3650
    latencyMs: int = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, body: Any) -> None:
        """Apply any subset of the four settings, all or nothing; unknown keys are ignored."""
        if not isinstance(body, dict):
            raise SettingsError("the settings body must be a JSON object")
        changes: dict[str, Any] = {}
        if "licenseValid" in body:
            if not isinstance(body["licenseValid"], bool):
                raise SettingsError("licenseValid must be a boolean")
            changes["licenseValid"] = body["licenseValid"]
        for name, upper in (("channels", None), ("retentionDays", None), ("latencyMs", MAX_LATENCY_MS)):
            if name not in body:
                continue
            value = body[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise SettingsError(f"{name} must be an integer >= 0")
            if upper is not None and value > upper:
                raise SettingsError(f"{name} must be at most {upper}")
            changes[name] = value
        for name, value in changes.items():
            setattr(self, name, value)

"""GUIDs as the vendor uses them: accepted in any case, always returned lowercase (A-1)."""

from __future__ import annotations

import re
import uuid

_GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


def parse_guid(text: str) -> str | None:
    """The canonical lowercase form of a hyphenated GUID, or ``None`` when ``text`` is not one."""
    return text.lower() if _GUID.fullmatch(text) else None


def new_id() -> str:
    return str(uuid.uuid4())

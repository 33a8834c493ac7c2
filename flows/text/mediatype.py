"""Content-Type values (an HTTP header, a <link type=...>) -> (media type, charset)."""

from __future__ import annotations

import re

_CHARSET = re.compile(r"""(?:^|;)\s*charset\s*=\s*["']?([^\s"';,]+)""", re.I)


def parse(value: str | None) -> tuple[str, str | None]:
    """(media type lower-cased, charset label lower-cased or None); ("", None) for no value."""
    media_type, _, params = (value or "").partition(";")
    match = _CHARSET.search(params)
    return media_type.strip().lower(), match.group(1).lower() if match else None

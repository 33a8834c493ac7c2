"""Whether a page is the article at all, and whether its reader may read all of it.

A bot challenge or a consent wall answers 200 with a page of its own: it is not the
article, and the page is asked for again later. An article's access is what its own markup
states (JSON-LD isAccessibleForFree, hasPart sections marked not free, the
article:content_tier meta tag), else what its body's last lines say (a subscription
prompt where the text stops), else unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

FREE, PAYWALLED, METERED, UNKNOWN = "free", "paywalled", "metered", "unknown"
TEASER_MIN_CHARS = 80  # a paywalled teaser shorter than the usual minimum is still kept

_CHALLENGE_SCAN_BYTES = 32_768
# (what the page is, markers any one of which marks it), matched in the page's first bytes, lower-cased
_CHALLENGES: tuple[tuple[str, tuple[bytes, ...]], ...] = (
    (
        "bot challenge",
        (
            b"<title>just a moment...</title>",
            b"<title>just a moment\xe2\x80\xa6</title>",
            b"checking your browser before accessing",
            b"cf-browser-verification",
            b"/cdn-cgi/challenge-platform/",
            b"<title>attention required! | cloudflare</title>",
            b"captcha-delivery.com",
            b"<title>access to this page has been denied</title>",
            b"please enable js and disable any ad blocker",
            b"verifying you are human",
        ),
    ),
    (
        "consent wall",
        (
            b"<title>before you continue",
            b"consent.google.com",
            b"consent.yahoo.com/v2/collectconsent",
            b'<form method="post" class="consent-form"',
            b"<title>privacy consent",
        ),
    ),
)

_TIERS = {"free": FREE, "metered": METERED, "locked": PAYWALLED, "premium": PAYWALLED, "paid": PAYWALLED}
_PROMPTS = re.compile(
    r"subscribe (now )?to (continue|keep) reading|to continue reading,? (please )?(subscribe|log in|sign in)"
    r"|this (article|story|content) is (only )?(available )?(exclusively )?for (paying )?subscribers"
    r"|subscribers only|already a subscriber\?|unlock this article|become a (member|subscriber) to read"
    r"|jetzt (weiter)?lesen mit|artikel ist exklusiv für abonnenten|réservé aux abonnés"
    r"|continúa leyendo con tu suscripción",
    re.IGNORECASE,
)
_PROMPT_TAIL_CHARS = 400


def challenge(page: bytes) -> str | None:
    """'bot challenge' or 'consent wall' when the page is one, else None."""
    head = page[:_CHALLENGE_SCAN_BYTES].lower()
    for kind, markers in _CHALLENGES:
        if any(marker in head for marker in markers):
            return kind
    return None


def stated(ld_objects: Iterable[Mapping[str, Any]], meta: Mapping[str, str]) -> str | None:
    """The access the page's markup states: JSON-LD first, then article:content_tier."""
    for item in ld_objects:
        free = _flag(item.get("isAccessibleForFree"))
        locked_part = any(_flag(part.get("isAccessibleForFree")) is False for part in _parts(item.get("hasPart")))
        if free is False or locked_part:
            return PAYWALLED
        if free is True:
            return FREE
    return _TIERS.get(meta.get("article:content_tier", "").strip().lower())


def from_body(body: str) -> str | None:
    """PAYWALLED when the body ends in a subscription prompt."""
    return PAYWALLED if _PROMPTS.search(body[-_PROMPT_TAIL_CHARS:]) else None


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _parts(value: Any) -> list[Mapping[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]

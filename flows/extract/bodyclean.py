"""Body text cleanup after trafilatura: the page furniture it lets through, line by line.

Pure text in, text out. Each rule was kept because it raised body F1 on real pages
(bench/extraction.py); none is keyed to one site.
"""

from __future__ import annotations

import re

from flows.text.normalise import normalise_body

# A promo line is short and starts with one of these labels, directly followed by a separator.
_PROMO_LINE = re.compile(
    r"^\s*(also read|read more|read also|see also|more on this( story)?|more|related( stories| articles?)?|"
    r"recommended( for you)?|don'?t miss|must read|lesen sie auch|mehr zum thema|lire aussi|"
    r"(à )?lire aussi|lee también|leer también|leggi anche|see more|also on [\w.]+)\s*([:|–—-]\s*\S.{0,200}|[:.…]*)$",
    re.IGNORECASE,
)
# A byline or dateline-stamp line at the edge of the body: "By Ann Lee | Published: Tue 24 Nov".
_BYLINE = re.compile(
    r"^\s*((by|von|par|por)\s+\w[\w.'’-]*(\s+(and|und|et|y|\w[\w.'’-]*)){0,5}\s*([|·•]\s*.*)?"
    r"|(published|updated|last updated|veröffentlicht|aktualisiert)\s*:?.{0,60})$",
    re.IGNORECASE,
)
# Furniture after the last paragraph: credits, contact and follow prompts, newsletters, copyright.
_TRAILER = re.compile(
    r"contributed (to )?(this )?report|^\(?(additional |with )?(reporting|writing|editing) by\b|^contributing:"
    r"|^sources?:|^(follow|email|write to|reach|contact)\b.*(twitter|facebook|instagram|@|https?://)"
    r"|\b(subscribe|sign up) (to|for|now|today)\b|^subscribe\b|\b(in|to) your inbox\b|^(©|copyright\b)"
    r"|^\d*\s*comments?$|^filed under\b|\bshare (it|this)( story| article)? with (a |your )?friends?\b"
    r"|^share this\b|\ball rights reserved\b|\bpersonal,? non-commercial use\b"
    r"|^you (may|might) also like",
    re.IGNORECASE,
)
# A date-and-time stamp standing alone: "Monday, 22 January 2018 at 0:13", "5:45 AM PST 11/19/2019".
_STAMP = re.compile(r"^(?=.*\b\d{1,2}:\d{2}\b)(?=.*\b(19|20)\d{2}\b).{0,80}$")

_SENTENCE_END = (".", "!", "?", "…", '"', "”", "»", ")", "。", "！", "？")


def clean(text: str, title: str | None, description: str | None = None) -> str:
    """Drop promo lines, a leading repeat of the headline or dek, and bylines at either end."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not _PROMO_LINE.match(line)]
    while lines and _is_heading(lines[0], title, description):
        lines = lines[1:]
    while lines and (len(lines[0]) < 160 and _BYLINE.match(lines[0]) or _is_stamp(lines[0])):
        lines = lines[1:]
    while lines and (
        len(lines[-1]) < 160 and _BYLINE.match(lines[-1]) or len(lines[-1]) < 300 and _TRAILER.search(lines[-1])
    ):
        lines = lines[:-1]
    return "\n".join(lines)


def _is_heading(line: str, title: str | None, description: str | None) -> bool:
    """The headline, or a dek: the page's description standing alone as an unfinished sentence."""
    key = normalise_body(line)
    if title and key == normalise_body(title):
        return True
    if not description:
        return False
    return key == normalise_body(description) and not line.endswith(_SENTENCE_END)


def _is_stamp(line: str) -> bool:
    return bool(_STAMP.match(line)) and not line.endswith(_SENTENCE_END)

"""Decode HTML bytes to text without mojibake.

Evidence, strongest first: a byte-order mark; bytes that are valid UTF-8 (pages
often declare a legacy charset while serving UTF-8, and random legacy bytes are
almost never valid UTF-8); the HTTP charset; a <meta> charset anywhere in the
head; windows-1252 as the web's de-facto default.

The small helpers after ``decode_html`` are shared with the feed readers, which apply
their own rules (see flows.feeds) but sniff and look up encodings the same way.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

from flows.text import mediatype

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEAD_LIMIT = 64 * 1024


# Each codec decodes the whole body, mark included, and reads the byte order from it.
# UTF-32 comes first because its little-endian mark starts with UTF-16's.
_BOM_CODECS = (
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (codecs.BOM_UTF16_LE, "utf-16"),
)


def decode_html(body: bytes, headers: Mapping[str, str] | None = None) -> str:
    codec = bom_codec(body)
    if codec:
        return body.decode(codec, errors="replace")
    if is_utf8(body):
        return body.decode("utf-8")
    _, header_charset = mediatype.parse((headers or {}).get("content-type"))
    for label in (header_charset, _meta_charset(body)):
        if text := _decoded(body, known_codec(label)):
            return text
    return body.decode("windows-1252", errors="replace")


def bom_codec(body: bytes) -> str | None:
    """The codec a byte-order mark at the start of ``body`` announces, or None."""
    return next((codec for bom, codec in _BOM_CODECS if body.startswith(bom)), None)


def is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def known_codec(label: str | None) -> str | None:
    """``label`` trimmed of spaces and quotes and lower-cased, if Python knows it; else None."""
    label = (label or "").strip().strip("\"'").lower()
    return label if label and _known(label) else None


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_HEAD_LIMIT])
    return match.group(1).decode("ascii") if match else None


def _decoded(body: bytes, codec: str | None) -> str | None:
    """``body`` decoded with ``codec``, bad bytes replaced; None if that codec cannot (idna, punycode)."""
    if not codec:
        return None
    try:
        return body.decode(codec, errors="replace")
    except UnicodeError:
        return None


def _known(encoding: str) -> bool:
    """True for a text codec Python knows (not base64, rot13 or the always-failing "undefined")."""
    try:
        "".encode(encoding)
    except (LookupError, UnicodeError):
        return False
    return True

"""Decode HTML bytes to text without mojibake.

Evidence, strongest first: a byte-order mark; bytes that are valid UTF-8 (pages
often declare a legacy charset while serving UTF-8, and random legacy bytes are
almost never valid UTF-8); the HTTP charset; a <meta> charset anywhere in the
head; windows-1252 as the web's de-facto default.
"""
from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
_HEAD_LIMIT = 64 * 1024


def decode_html(body: bytes, headers: Mapping[str, str] | None = None) -> str:
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(encoding, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for candidate in (_header_charset(headers or {}), _meta_charset(body), "windows-1252"):
        if candidate and _known(candidate):
            return body.decode(candidate, errors="replace")
    raise AssertionError("windows-1252 is always known")


def _header_charset(headers: Mapping[str, str]) -> str | None:
    match = _HEADER_CHARSET.search(headers.get("content-type", ""))
    return match.group(1) if match else None


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_HEAD_LIMIT])
    return match.group(1).decode("ascii") if match else None


def _known(encoding: str) -> bool:
    try:
        codecs.lookup(encoding)
    except LookupError:
        return False
    return True

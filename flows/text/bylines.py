"""Bylines: author strings as feeds and pages write them -> person names."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

_BY = re.compile(r"^\s*(?:by|von|par|por|di|door)[\s:]+", re.IGNORECASE)
_EMAIL = r"(?:mailto:)?[^\s@()<>]+@[^\s@()<>]+"
_EMAIL_THEN_NAME = re.compile(rf"{_EMAIL}\s*\((.*?)\)?", re.S)
_NAME_THEN_EMAIL = re.compile(rf"(.*?)\s*[(<\[]\s*{_EMAIL}\s*[)>\]]?", re.S)
_BARE_EMAIL = re.compile(_EMAIL)
_SEPARATORS = re.compile(r"\s*(?:;|,|&|\band\b|\bund\b|\bet\b|\by\b|\|)\s*", re.IGNORECASE)
_NOT_PEOPLE = re.compile(
    r"^(staff|staff writers?|staff reporters?|reporters?|editors?|editorial( board| staff)?|newsroom|"
    r"news desk|digital desk|web desk|agencies|agency|wire services?|redaktion|admin|guest)$",
    re.IGNORECASE,
)
_AGENCIES = frozenset(
    {
        "reuters",
        "ap",
        "associated press",
        "the associated press",
        "afp",
        "agence france-presse",
        "dpa",
        "pti",
        "ians",
        "ani",
        "bloomberg",
        "upi",
        "efe",
        "ansa",
        "xinhua",
        "kyodo",
    }
)


def name(text: str | None) -> str | None:
    """One author string, kept whole ("A and B" stays one), as a display name; or None.

    ``x@site.example (Name)`` and ``Name <x@site.example>`` -> ``Name``; a bare e-mail
    address -> None (its local part, e.g. ``newsroom``, is not a name); a leading "By " is dropped.
    """
    value = " ".join(html.unescape(text or "").split())
    match = _EMAIL_THEN_NAME.fullmatch(value) or _NAME_THEN_EMAIL.fullmatch(value)
    if match:
        value = match.group(1) or ""
    elif _BARE_EMAIL.fullmatch(value):
        return None
    value = _BY.sub("", value.strip(" ()<>,;")).strip()
    return value or None


def people(bylines: Iterable[str], site_names: Iterable[str | None] = ()) -> tuple[str, ...]:
    """Person names in order, bylines split at "and", "&", ";" ...: no 'Staff', no e-mail or
    URL, no duplicates; the site's or an agency's name only when no person is named."""
    sites = {site.casefold() for site in site_names if site}
    persons: list[str] = []
    organisations: list[str] = []
    seen: set[str] = set()
    for byline in bylines:
        for person in filter(None, map(name, _split(byline))):
            key = person.casefold()
            if key in seen or _NOT_PEOPLE.match(person) or "@" in person or "://" in person:
                continue
            seen.add(key)
            (organisations if key in sites or key in _AGENCIES else persons).append(person)
    return tuple(persons or organisations)


def _split(byline: str) -> list[str]:
    text = " ".join(_BY.sub("", byline or "").split())
    return [part.strip(" .-–—") for part in _SEPARATORS.split(text) if part and part.strip(" .-–—")]

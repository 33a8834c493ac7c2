"""Bylines: author strings as feeds and pages write them -> person names."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from flows.text.normalise import normalise_body

_BY = re.compile(r"^\s*(?:by|von|par|por|di|door|source|quelle|fuente|fonte)[\s:]+", re.IGNORECASE)
# A section label before the by-word, "Opinion By Ann Lee" (a "von" in lower case is part of a name).
_LABEL_BY = re.compile(r"^\w+\s+(?:[Bb]y|BY|Von|VON)\s+(?=[A-ZÀ-Þ]\w*\s+[A-ZÀ-Þ])")
_EMAIL = r"(?:mailto:)?[^\s@()<>]+@[^\s@()<>]+"
_EMAIL_THEN_NAME = re.compile(rf"{_EMAIL}\s*\((.*?)\)?", re.S)
_NAME_THEN_EMAIL = re.compile(rf"(.*?)\s*[(<\[]\s*{_EMAIL}\s*[)>\]]?", re.S)
_BARE_EMAIL = re.compile(_EMAIL)
_SEPARATORS = re.compile(r"\s*(?:;|,|&|\b(?:and|und|et|y|og|och)\b|\|)\s*", re.IGNORECASE)
_PARENTHESIS = re.compile(r"\s*\([^()@]{1,40}\)?$")  # "Elena Marti (ema)", "Gazette (www.gazette.example)"
_DOMAIN = re.compile(r"[\w-]{2,}\.[a-z]{2,}\b")  # "mdr.de", "Gazette (www.gazette.com)": the site, not a person
_ACRONYM = re.compile(r"[A-Z]{2,5}")  # "BR", "WDR": an organisation's initials (a person's are a desk sign)
_SURNAME_FIRST = re.compile(r"^([^,\s]+(?: [^,\s]+)?), ([^,\s]+(?: [^,\s]+)?)$")
_NOT_PEOPLE = re.compile(
    r"^(staff|staff writers?|staff reporters?|reporters?|editors?|editorial( board| staff)?|newsroom|"
    r"news desk|digital desk|web desk|agencies|agency|wire services?|redaktion|admin|guest|"
    r"follow|folgen|suivre|seguir|segui|volgen|følg|följ|subscribe|abonnieren)$",  # buttons beside a byline
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
        "apa",
        "sid",
        "kna",
        "epd",
        "ntb",
        "tt",
        "anp",
        "belga",
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
    value = _BY.sub("", _PARENTHESIS.sub("", value).strip(" ()<>,;")).strip()
    return value or None


def structured(text: str) -> str:
    """One person's name as structured data (JSON-LD) states it: "Surname, Given" -> "Given Surname"."""
    value = " ".join(html.unescape(text).split())
    match = _SURNAME_FIRST.match(value)
    if match is None or any(_SEPARATORS.fullmatch(f" {word} ") for word in value.replace(",", " ").split()):
        return value
    return f"{match.group(2)} {match.group(1)}"


def people(bylines: Iterable[str], site_names: Iterable[str | None] = ()) -> tuple[str, ...]:
    """Person names in order, bylines split at "and", "&", ";" ...: no 'Staff', no e-mail or
    URL, no duplicates; then the agencies credited beside them (Reuters, dpa); the site's own
    name only when no one else is named."""
    persons, agencies, organisations = _credits(bylines, site_names)
    return (*persons, *agencies) if persons else tuple(agencies or organisations)


def names_a_person(bylines: Iterable[str], site_names: Iterable[str | None] = ()) -> bool:
    return bool(_credits(bylines, site_names)[0])


def _credits(bylines: Iterable[str], site_names: Iterable[str | None]) -> tuple[list[str], list[str], list[str]]:
    sites = {normalise_body(site) for site in site_names if site}
    persons: list[str] = []
    agencies: list[str] = []
    organisations: list[str] = []
    seen: set[str] = set()
    for byline in bylines:
        for part in _split(byline):
            person = name(part)
            key = normalise_body(person or "")  # "Ann Lee" and the slug "Ann-Lee" are one person
            if not person or key in seen or not _credits_someone(person, key):
                continue
            seen.add(key)
            if person.casefold() in _AGENCIES:
                agencies.append(person)
            elif _the_site_or_its_desk(key, sites) or _DOMAIN.search(part) or _ACRONYM.fullmatch(person):
                organisations.append(person)
            else:
                persons.append(person)
    return persons, agencies, organisations


def _credits_someone(person: str, key: str) -> bool:
    """Not 'Staff', a button's label, an e-mail address, a URL or a number (an author's id)."""
    return any(ch.isalpha() for ch in key) and not _NOT_PEOPLE.match(person) and not ("@" in person or "://" in person)


def _the_site_or_its_desk(key: str, sites: set[str]) -> bool:
    """The site's own name, or a desk of it: "Gazette North" where the site is "Gazette"."""
    return any(key == site or key.startswith(site + " ") for site in sites)


def _split(byline: str) -> list[str]:
    text = " ".join(_BY.sub("", _LABEL_BY.sub("", byline or "")).split())
    return [part.strip(" .-–—") for part in _SEPARATORS.split(text) if part and part.strip(" .-–—")]

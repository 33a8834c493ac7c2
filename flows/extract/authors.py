"""Author bylines -> a list of person names."""
from __future__ import annotations

import re
from collections.abc import Iterable

_BY = re.compile(r"^\s*(by|von|par|por|di|door)\s+", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*(?:;|,|&|\band\b|\bund\b|\bet\b|\by\b|\|)\s*", re.IGNORECASE)
_NOT_PEOPLE = re.compile(
    r"^(staff|staff writers?|staff reporters?|reporters?|editors?|editorial( board| staff)?|newsroom|"
    r"news desk|digital desk|web desk|agencies|agency|wire services?|redaktion|admin|guest)$", re.IGNORECASE)
_AGENCIES = frozenset({"reuters", "ap", "associated press", "the associated press", "afp", "agence france-presse",
                       "dpa", "pti", "ians", "ani", "bloomberg", "upi", "efe", "ansa", "xinhua", "kyodo"})


def clean(names: Iterable[str], site_names: Iterable[str | None] = ()) -> tuple[str, ...]:
    """Person names in order: no 'By', no 'Staff', no e-mail or URL, no duplicates; the site's
    or an agency's name only when no person is named."""
    sites = {name.casefold() for name in site_names if name}
    people: list[str] = []
    organisations: list[str] = []
    seen: set[str] = set()
    for raw in names:
        for name in _split(raw):
            key = name.casefold()
            if key in seen or _NOT_PEOPLE.match(name) or "@" in name or "://" in name:
                continue
            seen.add(key)
            (organisations if key in sites or key in _AGENCIES else people).append(name)
    return tuple(people or organisations)


def _split(raw: str) -> list[str]:
    text = " ".join(_BY.sub("", raw or "").split())
    return [part.strip(" .-–—") for part in _SEPARATORS.split(text) if part and part.strip(" .-–—")]

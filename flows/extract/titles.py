"""The article's own headline, from the candidates a page offers."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from flows.text.normalise import normalise_body

# The last " | Site" part: it holds no spaced separator of its own.
_SUFFIX = re.compile(r"\s+[|–—:-]\s+((?:(?!\s[|–—:-]\s)[^|–—]){2,60})$")
# A genre label in capitals before the headline: "ANALYSIS: …", "LIVE – …".
_LABEL = re.compile(r"^(\w[\w ]{2,25}?)\s*[:|–—-]\s+(?=\S)")


def choose(candidates: Iterable[str | None], site_names: Iterable[str | None] = ()) -> str | None:
    """Candidates in order of trust (JSON-LD headline, H1, og:title, <title>). The headline is
    the one most candidates state, where "Headline | Site", "Headline - Site - Date" and
    "ANALYSIS: Headline" also count for a bare "Headline" another candidate states (but a
    kicker in lower case, "Kenya: Headline", is part of the headline); a tie goes to the most
    trusted."""
    sites = [normalise_body(name) for name in site_names if name]
    titles = [_without_site(" ".join(c.split()), sites) for c in candidates if c and c.strip()]
    if not titles:
        return None
    forms = [normalise_body(title) for title in titles]
    votes = Counter(forms)
    for title, form in zip(titles, forms):
        shorter = {other for other in votes if form.startswith(other + " ") and len(other) >= 0.4 * len(form)}
        votes.update({reduced for reduced in _reductions(title) | shorter if reduced in votes and reduced != form})
    best = max(range(len(titles)), key=lambda i: (votes[forms[i]], -i))
    wording = Counter(title for title, form in zip(titles, forms) if form == forms[best])
    return max(wording, key=lambda title: (wording[title], -titles.index(title)))


def _reductions(title: str) -> set[str]:
    """What the title says without a trailing "| Site" or a leading capitals label."""
    reduced = set()
    if suffix := _SUFFIX.search(title):
        reduced.add(normalise_body(title[: suffix.start()]))
    if (label := _LABEL.match(title)) and label.group(1).isupper():
        reduced.add(normalise_body(title[label.end() :]))
    return reduced


def _without_site(title: str, sites: list[str]) -> str:
    match = _SUFFIX.search(title)
    if match and any(
        site and (site in normalise_body(match.group(1)) or normalise_body(match.group(1)) in site) for site in sites
    ):
        return title[: match.start()].strip()
    return title

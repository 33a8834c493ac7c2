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
    """Candidates in order of trust (shown heading, og:title, JSON-LD headline, <title>). The
    headline is the one most candidates state, where "Headline | Site", "Headline - Site - Date",
    "ANALYSIS: Headline" and a heading shown under its kicker, "Opinion Headline", also count
    for a bare "Headline" another candidate states (but a kicker in lower case joined by
    punctuation, "Kenya: Headline", is part of the headline); a tie goes to the most trusted.
    Its wording is the one most candidates use, reduced ones included."""
    sites = [normalise_body(name) for name in site_names if name]
    titles = [_without_site(" ".join(c.split()), sites) for c in candidates if c and c.strip()]
    if not titles:
        return None
    forms = [normalise_body(title) for title in titles]
    votes = Counter(forms)
    for title, form in zip(titles, forms):
        shorter = {other for other in votes if form.startswith(other + " ") and len(other) >= 0.4 * len(form)}
        shorter |= {other_form for other, other_form in zip(titles, forms) if _after_a_kicker(other, title)}
        reductions = {normalise_body(reduced) for reduced in _reductions(title)}
        votes.update({reduced for reduced in reductions | shorter if reduced in votes and reduced != form})
    best = max(range(len(titles)), key=lambda i: (votes[forms[i]], -i))
    wordings = [w for title in titles for w in (title, *_reductions(title)) if normalise_body(w) == forms[best]]
    wording = Counter(wordings)
    return max(wording, key=lambda w: (wording[w], -wordings.index(w)))


def _after_a_kicker(headline: str, heading: str) -> bool:
    """Whether `heading` is `headline` with a kicker set before it in its own line or span: no
    punctuation joins them, as it would in "Kenya: Headline"."""
    kicker, found, rest = heading.casefold().rpartition(" " + headline.casefold())
    return bool(found) and not rest and kicker[-1:].isalnum() and len(headline) >= 0.4 * len(heading)


def _reductions(title: str) -> list[str]:
    """What the title says without a trailing "| Site" or a leading capitals label."""
    reduced = []
    if suffix := _SUFFIX.search(title):
        reduced.append(title[: suffix.start()])
    if (label := _LABEL.match(title)) and label.group(1).isupper():
        reduced.append(title[label.end() :])
    return reduced


def _without_site(title: str, sites: list[str]) -> str:
    match = _SUFFIX.search(title)
    if match and any(
        site and (site in normalise_body(match.group(1)) or normalise_body(match.group(1)) in site) for site in sites
    ):
        return title[: match.start()].strip()
    return title

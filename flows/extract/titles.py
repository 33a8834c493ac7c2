"""The article's own headline, from the candidates a page offers."""

from __future__ import annotations

import re
from collections.abc import Iterable

from flows.text.normalise import normalise_body

_SUFFIX = re.compile(r"\s+[|–—:-]\s+([^|–—]{2,60})$")


def choose(candidates: Iterable[str | None], site_names: Iterable[str | None] = ()) -> str | None:
    """Candidates in order of trust (JSON-LD headline, H1, og:title, <title>). The headline
    is the one the others contain (so a ' | Site' suffix or a kicker falls away); with no
    agreement, the most trusted candidate, without a site-name suffix."""
    sites = [normalise_body(name) for name in site_names if name]
    titles = [_without_site(" ".join(c.split()), sites) for c in candidates if c and c.strip()]
    if not titles:
        return None
    forms = [normalise_body(title) for title in titles]
    # A short section label ("World") inside every title is not the headline.
    support = [
        sum(1 for j, other in enumerate(forms) if j != i and form and form in other and len(form) >= 0.4 * len(other))
        for i, form in enumerate(forms)
    ]
    best = max(range(len(titles)), key=lambda i: (support[i], -i))
    return titles[best]


def _without_site(title: str, sites: list[str]) -> str:
    match = _SUFFIX.search(title)
    if match and any(
        site and (site in normalise_body(match.group(1)) or normalise_body(match.group(1)) in site) for site in sites
    ):
        return title[: match.start()].strip()
    return title

"""Identity of entries and articles.

Three rules, applied by the flow with the warehouse's memory:
- an entry is known by its key (the feed's GUID, else its canonical link), so an
  unchanged feed costs no page fetch;
- an article is known by its canonical URL, so tracking variants and the same
  story in two feeds are one article;
- an article is known by the hash of its normalised body, so an exact copy under
  another URL becomes an alias of the first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flows.identity import urls
from flows.records import Article, FeedEntry, PageResult
from flows.text.normalise import normalise_body


def entry_keys(source: str, entries: Sequence[FeedEntry]) -> list[str]:
    """One key per entry: source + GUID, else the canonical link.

    Some feeds reuse a GUID for different items; a repeated GUID with a new
    link is disambiguated by that link so neither item is lost.
    """
    keys: list[str] = []
    links_by_guid: dict[str, str] = {}
    for entry in entries:
        link = urls.canonical(entry.link)
        guid = entry.guid
        if guid and links_by_guid.setdefault(guid, link) == link:
            keys.append(f"{source}|guid|{guid}")
        else:
            keys.append(f"{source}|link|{link}")
    return keys


def content_hash(text: str) -> str:
    return hash_normalised(normalise_body(text))


def hash_normalised(normalised: str) -> str:
    """content_hash of a body already normalised (extraction normalises once, for its sketch too)."""
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def article_id(canonical_url: str) -> str:
    """A stable id: the first 16 hex digits of the canonical URL's SHA-256."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Alias:
    url: str
    article_id: str
    source: str
    kind: str


@dataclass(frozen=True)
class Resolution:
    """How a batch of extracted articles maps onto the warehouse's articles."""

    new: tuple[tuple[str, Article, PageResult], ...]
    entry_links: tuple[tuple[str, str], ...]
    aliases: tuple[Alias, ...]


def resolve(
    results: Iterable[PageResult], known_urls: Mapping[str, str], known_hashes: Mapping[str, str]
) -> Resolution:
    """Assign every extracted article an article id: an existing one when any of its
    URLs or its body hash is already known (in the warehouse or earlier in the batch),
    else a new one."""
    by_url, by_hash = dict(known_urls), dict(known_hashes)
    new: list[tuple[str, Article, PageResult]] = []
    links: list[tuple[str, str]] = []
    aliases: list[Alias] = []
    for result in results:
        article = result.article
        if article is None:
            continue
        seen_as = urls_of(result)
        found = next((by_url[u] for u in seen_as if u in by_url), None) or by_hash.get(article.content_hash)
        if found is None:
            found = article_id(article.canonical_url)
            new.append((found, article, result))
        else:
            seen_as = dict.fromkeys(seen_as, "duplicate")
        by_hash.setdefault(article.content_hash, found)
        for url, kind in seen_as.items():
            if by_url.setdefault(url, found) == found:
                aliases.append(Alias(url, found, result.job.source, kind))
        links.extend((ref.entry_key, found) for ref in result.job.entries)
    return Resolution(tuple(new), tuple(links), tuple(aliases))


def urls_of(result: PageResult) -> dict[str, str]:
    """Every canonical URL this page was reached under, with how it was reached."""
    article = result.article
    assert article is not None
    link = urls.canonical(result.job.url)
    final = urls.canonical(result.page.final_url or result.job.url)
    found = {article.canonical_url: "canonical"}
    found.setdefault(final, "link" if final == link else "redirect")
    found.setdefault(link, "link")
    return found

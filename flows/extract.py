"""Page bytes -> Article: trafilatura for the body, our own reading of the metadata.

Pure: no network, no warehouse. A page that yields no real body raises
ExtractionFailed, so the caller records it instead of loading a menu as news.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone

import py3langid
import trafilatura
from lxml import etree
from lxml import html as lxml_html

from flows import dedup, pagemeta, urls
from flows.charset import decode_html
from flows.records import Article, FeedEntry

EXTRACTOR_VERSION = f"newsdesk-1+trafilatura-{trafilatura.__version__}"
DEFAULT_MIN_BODY_CHARS = 250

# A promo line is short and starts with one of these labels, directly followed by a separator.
_PROMO_LINE = re.compile(
    r"^\s*(also read|read more|read also|see also|more on this( story)?|more|related( stories| articles?)?|"
    r"recommended( for you)?|don'?t miss|must read|lesen sie auch|mehr zum thema|lire aussi|"
    r"(à )?lire aussi|lee también|leer también)\s*[:|–—-]\s*\S.{0,200}$",
    re.IGNORECASE)
# A byline or dateline-stamp line at the edge of the body: "By Ann Lee | Published: Tue 24 Nov".
_BYLINE = re.compile(
    r"^\s*((by|von|par|por)\s+\w[\w.'’-]*(\s+(and|und|et|y|\w[\w.'’-]*)){0,5}\s*([|·•]\s*.*)?"
    r"|(published|updated|last updated|veröffentlicht|aktualisiert)\s*:?.{0,60})$",
    re.IGNORECASE)
_HTML_TYPES = ("html", "xml", "text/plain")
_BINARY_MAGIC = {b"%PDF-", b"\x89PNG\r", b"PK\x03\x04\x14", b"GIF89", b"GIF87"}
_BY_PREFIX = re.compile(r"^\s*(by|von|par|por|di)\s+", re.IGNORECASE)
_TITLE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,60}$")


class ExtractionFailed(ValueError):
    """The page has no article body we are willing to load."""


def article(body: bytes, url: str, headers: Mapping[str, str] | None = None,
            entry: FeedEntry | None = None, min_body_chars: int = DEFAULT_MIN_BODY_CHARS) -> Article:
    """Extract one article from page bytes fetched from `url` (the final URL)."""
    _refuse_non_html(body, headers or {})
    text = decode_html(body, headers)
    try:
        tree = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionFailed(f"not an HTML page: {exc}") from exc
    meta = pagemeta.read(tree)
    doc = trafilatura.bare_extraction(tree, url=url, with_metadata=True, include_comments=False,
                                      include_tables=False)
    if doc is None or not doc.text:
        raise ExtractionFailed("no article body found")
    title = _clean_title(meta.headline or doc.title or (entry.title if entry else None), doc.sitename)
    content = clean_body(doc.text, title)
    if len(content) < min_body_chars:
        raise ExtractionFailed(f"body too short ({len(content)} chars, minimum {min_body_chars})")
    published, published_source = _published(meta, doc.date, entry)
    return Article(
        url=url,
        canonical_url=_canonical_url(url, meta.canonical),
        title=title,
        authors=_authors(meta.authors or _split_authors(doc.author) or (entry.authors if entry else ())),
        published_at=published,
        published_source=published_source,
        updated_at=meta.modified or (entry.updated if entry else None),
        language=meta.language or _detect_language(content),
        sitename=doc.sitename or None,
        description=doc.description or (entry.summary if entry else None),
        tags=_unique([*(doc.tags or []), *(doc.categories or []), *(entry.tags if entry else ())]),
        image_url=doc.image or None,
        body=content,
        word_count=len(content.split()),
        content_hash=dedup.content_hash(content),
        extractor_version=EXTRACTOR_VERSION,
    )


def _refuse_non_html(body: bytes, headers: Mapping[str, str]) -> None:
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and not any(kind in content_type for kind in _HTML_TYPES):
        raise ExtractionFailed(f"not an HTML page ({content_type})")
    if body.lstrip()[:5] in _BINARY_MAGIC or b"\x00" in body[:1024]:
        raise ExtractionFailed("not an HTML page (binary content)")


def clean_body(text: str, title: str | None) -> str:
    """Drop inline promo lines, a leading repeat of the headline, and bylines at either end."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not _PROMO_LINE.match(line)]
    if lines and title and dedup.normalise_body(lines[0]) == dedup.normalise_body(title):
        lines = lines[1:]
    while lines and len(lines[0]) < 160 and _BYLINE.match(lines[0]):
        lines = lines[1:]
    while lines and len(lines[-1]) < 160 and _BYLINE.match(lines[-1]):
        lines = lines[:-1]
    return "\n".join(lines)


def _canonical_url(final_url: str, declared: str | None) -> str:
    """The page's own canonical URL when it is plausible, else the URL we landed on."""
    if declared:
        candidate = urls.absolute(final_url, declared)
        if urls.same_site(candidate, final_url) and urls.canonical(candidate).count("/") > 3:
            return urls.canonical(candidate)
    return urls.canonical(final_url)


def _published(meta: pagemeta.PageMeta, page_day: str | None,
               entry: FeedEntry | None) -> tuple[datetime | None, str | None]:
    """Prefer a page date with time of day; borrow the feed's time when the page has a day only."""
    if meta.published:
        return meta.published, meta.published_source
    feed_date = entry.published or entry.updated if entry else None
    if page_day:
        day = datetime.fromisoformat(page_day[:10]).replace(tzinfo=timezone.utc)
        # A page day and a feed timestamp within a day of each other (time zones) agree.
        if feed_date and abs(feed_date - day) <= timedelta(hours=36):
            return feed_date, "page+feed"
        return day, "page"
    return (feed_date, "feed") if feed_date else (None, None)


def _clean_title(title: str | None, sitename: str | None) -> str | None:
    if not title:
        return None
    title = " ".join(title.split())
    if sitename and title.lower().endswith(sitename.lower()):
        stripped = _TITLE_SUFFIX.sub("", title)
        return stripped or title
    return title


def _split_authors(value: str | None) -> list[str]:
    return [part for part in (value or "").split(";") if part.strip()]


def _authors(names: Iterable[str]) -> tuple[str, ...]:
    return _unique(_BY_PREFIX.sub("", name).strip() for name in names if name and name.strip())


def _detect_language(text: str) -> str | None:
    code, _ = py3langid.classify(text[:2000])
    return code or None


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    kept: list[str] = []
    seen: set[str] = set()
    for value in values:
        value = value.strip()
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            kept.append(value)
    return tuple(kept)

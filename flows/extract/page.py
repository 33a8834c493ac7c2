"""Page bytes -> Article: trafilatura for the body, our own reading of the metadata.

Pure: no network, no warehouse. A page that yields no real body raises
ExtractionFailed, so the caller records it instead of loading a menu as news.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from functools import cache

import htmldate
import trafilatura
import trafilatura.metadata
from lxml import etree
from lxml import html as lxml_html
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
from trafilatura.settings import Document

from flows.extract import access, bodyclean, consent, pagemeta, titles
from flows.identity import dedup, neardup, urls
from flows.records import Article, FeedEntry
from flows.text import bylines, dates, mediatype
from flows.text.charset import decode_html
from flows.text.normalise import normalise_body

EXTRACTOR_VERSION = f"newsdesk-3+trafilatura-{trafilatura.__version__}"
DEFAULT_MIN_BODY_CHARS = 250
_SHORT_BODY_CHARS = 500  # a precision-mode body this short may have lost the article

_HTML_TYPES = ("html", "xml", "text/plain")
_BINARY_MAGIC = {b"%PDF-", b"\x89PNG\r", b"PK\x03\x04\x14", b"GIF89", b"GIF87"}


_language_lock = threading.Lock()


def _language_identifier() -> LanguageIdentifier:
    """Loaded on first use (about a second), so a process that imports this module
    without extracting (the flow's own) never pays for it; under a lock, so threads that
    extract at once (as on a Dask worker) load it once."""
    with _language_lock:
        return _loaded_language_identifier()


@cache
def _loaded_language_identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def load_models() -> None:
    """Load what extraction loads on first use, now (in a worker that is waiting anyway)."""
    _language_identifier()


class ExtractionFailed(ValueError):
    """The page has no article body we are willing to load."""


def article(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    entry: FeedEntry | None = None,
    min_body_chars: int = DEFAULT_MIN_BODY_CHARS,
) -> Article:
    """Extract one article from page bytes fetched from `url` (the final URL)."""
    _refuse_non_html(body, headers or {})
    if kind := access.challenge(body):
        raise ExtractionFailed(f"not the article: a {kind} page")
    text = decode_html(body, headers)
    try:
        tree = _parse(text)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionFailed(f"not an HTML page: {exc}") from exc
    meta = pagemeta.read(tree)
    found = _trafilatura(tree, url)
    if not found:
        raise ExtractionFailed("no article body found")
    sites = meta.site_names
    title = titles.choose((*meta.headlines, entry.title if entry else None), sites)
    description = meta.description or (entry.summary if entry else None)
    content = bodyclean.clean(found, title, description)
    reach = meta.access or access.from_body(found) or access.UNKNOWN
    shortest = access.TEASER_MIN_CHARS if reach == access.PAYWALLED else min_body_chars
    if len(content) < shortest:
        raise ExtractionFailed(f"body too short ({len(content)} chars, minimum {shortest})")
    published, published_source = _published(meta, tree, url, entry)
    normalised = normalise_body(content)
    tdm = consent.declared(headers or {}, meta.tdm or {})
    return Article(
        url=url,
        canonical_url=_canonical_url(url, meta.canonical),
        title=title,
        authors=_authors(meta, tree, entry, sites),
        published_at=published,
        published_source=published_source,
        updated_at=meta.modified or (entry.updated if entry else None),
        language=_language(meta.language or (entry.language if entry else None), content),
        sitename=next((name for name in sites if name), None),
        description=description,
        tags=_unique([*meta.tags, *(entry.tags if entry else ())]),
        image_url=meta.image or (entry.image_url if entry else None),
        body=content,
        word_count=len(content.split()),
        content_hash=dedup.hash_normalised(normalised),
        band_keys=tuple(neardup.RULES.band_keys_of_normalised(normalised)),
        extractor_version=EXTRACTOR_VERSION,
        access=reach,
        tdm_reserved=tdm.reserved if tdm else None,
        tdm_policy=tdm.policy if tdm else None,
        tdm_source=tdm.origin if tdm else None,
    )


def _parse(text: str) -> lxml_html.HtmlElement:
    """Trafilatura's parser (it drops comments, which cut paragraphs short); lxml for fragments it refuses."""
    tree = trafilatura.load_html(text)
    return tree if tree is not None else lxml_html.document_fromstring(text)


def _trafilatura(tree: lxml_html.HtmlElement, url: str) -> str:
    """Trafilatura's body text in precision mode without its readability/justext comparison
    (fast): right on most pages at half the cost. Only where that leaves a stub does the full
    default cascade, comparison included, get a look. Metadata is ours (pagemeta)."""
    precise = _body(tree, url, precision=True, fast=True)
    if len(precise) < _SHORT_BODY_CHARS:
        fuller = _body(tree, url)
        return fuller if len(fuller) > 3 * len(precise) else precise
    return precise


def _body(tree: lxml_html.HtmlElement, url: str, precision: bool = False, fast: bool = False) -> str:
    doc = trafilatura.bare_extraction(tree, url=url, include_comments=False, favor_precision=precision, fast=fast)
    return (doc.text or "") if isinstance(doc, Document) else ""


def _authors(
    meta: pagemeta.PageMeta, tree: lxml_html.HtmlElement, entry: FeedEntry | None, sites: Sequence[str | None]
) -> tuple[str, ...]:
    """The first of JSON-LD, the meta tags, the bylines trafilatura finds in the page and the
    feed that names a person; else the first that names anyone (the publisher, an agency).
    The page's bylines are searched only when its metadata names no person (it may credit the
    publisher itself): that search copies the page."""
    stated = [meta.authors, meta.bylines]
    if not bylines.names_a_person((*meta.authors, *meta.bylines), sites):
        shown = trafilatura.metadata.extract_author(tree)
        stated.append(tuple(shown.split(";")) if shown else ())
    stated.append(entry.authors if entry else ())
    chosen = next((c for c in stated if bylines.names_a_person(c, sites)), next((c for c in stated if c), ()))
    return bylines.people(chosen, sites)


def _refuse_non_html(body: bytes, headers: Mapping[str, str]) -> None:
    content_type, _ = mediatype.parse(headers.get("content-type"))
    if content_type and not any(kind in content_type for kind in _HTML_TYPES):
        raise ExtractionFailed(f"not an HTML page ({content_type})")
    if body.lstrip()[:5] in _BINARY_MAGIC or b"\x00" in body[:1024]:
        raise ExtractionFailed("not an HTML page (binary content)")


def _canonical_url(final_url: str, declared: str | None) -> str:
    """The page's own canonical URL when it is plausible, else the URL we landed on."""
    if declared:
        candidate = urls.absolute(final_url, declared)
        if urls.same_site(candidate, final_url) and urls.canonical(candidate).count("/") > 3:
            return urls.canonical(candidate)
    return urls.canonical(final_url)


def _published(
    meta: pagemeta.PageMeta, tree: lxml_html.HtmlElement, url: str, entry: FeedEntry | None
) -> tuple[datetime | None, str | None]:
    feed_date = (entry.published or entry.updated) if entry else None
    url_day = dates.from_url(url)
    title_day = next((day for day in map(dates.from_title, meta.headlines) if day), None)
    stated = any(when for when, _ in meta.published)
    dated = stated or url_day or title_day or feed_date
    return dates.choose(
        meta.published,
        feed_date,
        [(url_day, "url"), (title_day, "page"), (None if dated else _page_day(tree), "page")],
        datetime.now(timezone.utc),
        entry.origin if entry else "feed",
    )


def _page_day(tree: lxml_html.HtmlElement) -> datetime | None:
    """A day htmldate finds in the page: only asked when nothing else dates it (it costs a copy of the page)."""
    found = htmldate.find_date(tree, original_date=True, extensive_search=True)
    return dates.parse(found) if isinstance(found, str) else None


def _language(declared: str | None, text: str) -> str | None:
    """The page's declared language, unless the body is confidently in another one."""
    detected, confidence = _language_identifier().classify(text[:2000])
    if declared and (declared == detected or confidence < 0.9):
        return declared
    return detected or declared


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    kept: list[str] = []
    seen: set[str] = set()
    for value in values:
        value = value.strip()
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            kept.append(value)
    return tuple(kept)

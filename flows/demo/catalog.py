"""The newsroom's content as typed records, loaded from the YAML files in ``content/``.

``publishers.yaml`` describes the publishers and their feeds, ``wire.yaml`` the agency
stories that several publishers run word for word, and ``<publisher>.yaml`` each
publisher's articles plus the link-less notices in its feeds. Everything here is pure:
URLs are paths until a base URL is given, and dates are fixed in the content.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

import yaml

FEED_FORMATS = ("rss2", "atom", "rdf", "jsonfeed")
NEWS_SITEMAP = "news_sitemap"


@dataclass(frozen=True)
class Feed:
    """One section feed of a publisher; ``name`` is the source name in sources.yaml.

    ``guid`` is a pattern over ``{url}`` and ``{slug}``; ``"{url}"`` means a permalink guid.
    ``link_query`` is appended to every link (feed-wide tracking parameters).
    A ``news_sitemap`` "feed" is a sitemap source; its ``max_age_days`` counts back from
    the newest article it lists (the content's dates are fixed).
    """

    name: str
    publisher: str
    path: str
    format: str
    title: str
    category: str
    sections: tuple[str, ...]
    conditional: bool
    link_query: str
    guid: str
    max_age_days: int | None = None

    @property
    def kind(self) -> str:
        """The source kind in sources.yaml: ``feed`` or ``news_sitemap``."""
        return NEWS_SITEMAP if self.format == NEWS_SITEMAP else "feed"


@dataclass(frozen=True)
class Publisher:
    """A fictional publisher, served under ``/<slug>/``."""

    slug: str
    name: str
    language: str
    tagline: str
    article_path: str
    dateline: str
    dateline_place: str
    date_format: str
    promo_labels: tuple[str, ...]
    sections: dict[str, str]
    feeds: tuple[Feed, ...]
    tdm_policy: str = ""  # set: its pages reserve text-and-data-mining rights, with this policy

    @property
    def home_path(self) -> str:
        """Path of the publisher's home page."""
        return f"/{self.slug}/"


@dataclass(frozen=True)
class Listing:
    """An article's appearance in one feed, possibly with tracking parameters on the link."""

    feed: str
    query: str = ""


@dataclass(frozen=True)
class Edit:
    """How the second edition of the newsroom changes an article after publication.

    ``headline`` rewrites it, ``append`` adds a last paragraph, ``replace`` swaps one phrase
    for another in the body, ``ads`` are the advert shown beside it in each edition (a
    change that is not an edit), ``updated`` is the new modification time feeds announce.
    """

    headline: str = ""
    append: str = ""
    replace: tuple[str, str] | None = None
    ads: tuple[str, ...] = ()
    updated: datetime | None = None

    @property
    def is_real(self) -> bool:
        """True when the text changes (an advert rotating beside it is no edit)."""
        return bool(self.headline or self.append or self.replace)


@dataclass(frozen=True)
class Article:
    """One article page. ``wire`` names the agency story of a syndicated copy;
    ``kept_paragraphs`` > 0 makes it a cut copy (only the wire's first paragraphs)."""

    publisher: str
    slug: str
    section: str
    path: str
    headline: str
    summary: str
    authors: tuple[str, ...]
    published: datetime
    updated: datetime
    tags: tuple[str, ...]
    place: str
    paragraphs: tuple[str, ...]
    listings: tuple[Listing, ...]
    wire: str = ""
    kept_paragraphs: int = 0
    moved_from: str = ""
    removed: bool = False
    edit: Edit | None = None
    ad: str = ""  # the advert beside the article in this edition
    paywalled: bool = False  # the page shows subscribers' text only as a teaser

    @property
    def story(self) -> str:
        """Identity of the article: word-for-word syndicated copies share their wire story's id
        (a cut copy is an article of its own, a near-duplicate of the wire story)."""
        return self.wire if self.exact_copy else f"{self.publisher}/{self.slug}"

    @property
    def exact_copy(self) -> bool:
        return bool(self.wire) and not self.kept_paragraphs


@dataclass(frozen=True)
class Notice:
    """A feed entry without any link (a service notice); it has no page."""

    feed: str
    guid: str
    title: str
    summary: str
    published: datetime


@dataclass(frozen=True)
class Catalog:
    """All publishers, articles and notices of the newsroom."""

    publishers: tuple[Publisher, ...]
    articles: tuple[Article, ...]
    notices: tuple[Notice, ...]

    @property
    def feeds(self) -> tuple[Feed, ...]:
        """Every feed of every publisher, in publisher order."""
        return tuple(feed for publisher in self.publishers for feed in publisher.feeds)

    def publisher(self, slug: str) -> Publisher:
        """The publisher with this slug."""
        return next(p for p in self.publishers if p.slug == slug)

    def articles_of(self, publisher: str) -> tuple[Article, ...]:
        """A publisher's articles whose pages exist, newest first."""
        own = (a for a in self.articles if a.publisher == publisher and not a.removed)
        return tuple(sorted(own, key=lambda a: a.published, reverse=True))


def too_old(catalog: Catalog, article: Article) -> bool:
    """True when every listing of the article is in a news sitemap whose age limit it is past."""
    feeds = {feed.name: feed for feed in catalog.feeds}
    return all(_past_age_limit(catalog, article, feeds[item.feed]) for item in article.listings)


def newest_listed(catalog: Catalog, feed: Feed) -> datetime:
    """Publication time of the newest article the feed lists."""
    return max(a.published for a in catalog.articles if any(item.feed == feed.name for item in a.listings))


def _past_age_limit(catalog: Catalog, article: Article, feed: Feed) -> bool:
    if feed.max_age_days is None:
        return False
    return article.published < newest_listed(catalog, feed) - timedelta(days=feed.max_age_days)


def listing_url(article: Article, listing: Listing, feed: Feed, base_url: str) -> str:
    """The absolute link a feed gives for an article: old path if moved, plus tracking params."""
    return base_url + with_query(article.moved_from or article.path, feed.link_query, listing.query)


def with_query(path: str, *queries: str) -> str:
    """Append the non-empty query strings to a path that may already have a query."""
    parts = [q for q in queries if q]
    if not parts:
        return path
    return path + ("&" if "?" in path else "?") + "&".join(parts)


def edition(catalog: Catalog, number: int) -> Catalog:
    """The newsroom as it stands in its `number`th edition: from the second on, the articles
    with an ``edit`` are changed after publication."""
    return replace(catalog, articles=tuple(_as_of_edition(a, number) for a in catalog.articles))


def _as_of_edition(article: Article, number: int) -> Article:
    change = article.edit
    if change is None:
        return article
    ad = change.ads[min(number, len(change.ads)) - 1] if change.ads else ""
    if number < 2:
        return replace(article, ad=ad)
    paragraphs = list(article.paragraphs)
    if change.replace:
        paragraphs = [p.replace(*change.replace) for p in paragraphs]
    return replace(
        article,
        headline=change.headline or article.headline,
        paragraphs=(*paragraphs, *([change.append] if change.append else [])),
        updated=change.updated or article.updated,
        ad=ad,
    )


@cache
def load() -> Catalog:
    """Read and validate the bundled content (cached: it never changes at runtime)."""
    publishers = tuple(_publisher(raw) for raw in _read_yaml("publishers.yaml"))
    wire = {raw["id"]: raw for raw in _read_yaml("wire.yaml")}
    articles: list[Article] = []
    notices: list[Notice] = []
    for publisher in publishers:
        content = _read_yaml(f"{publisher.slug}.yaml")
        articles += [_article(publisher, raw, wire) for raw in content["articles"]]
        notices += [_notice(raw) for raw in content.get("notices", ())]
    catalog = Catalog(publishers, tuple(articles), tuple(notices))
    _check(catalog)
    return catalog


def _read_yaml(name: str) -> Any:
    text = resources.files(__package__).joinpath("content", name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _publisher(raw: dict[str, Any]) -> Publisher:
    slug = raw["slug"]
    feeds = tuple(
        Feed(
            name=f["name"],
            publisher=slug,
            path=f"/{slug}/{f['path']}",
            format=f["format"],
            title=f["title"],
            category=f["category"],
            sections=tuple(f.get("sections", raw["sections"])),
            conditional=f.get("conditional", True),
            link_query=f.get("link_query", ""),
            guid=f.get("guid", "{url}"),
            max_age_days=f.get("max_age_days"),
        )
        for f in raw["feeds"]
    )
    return Publisher(
        slug=slug,
        name=raw["name"],
        language=raw["language"],
        tagline=raw["tagline"],
        article_path=raw["article_path"],
        dateline=raw.get("dateline", ""),
        dateline_place=raw.get("dateline_place", ""),
        date_format=raw["date_format"],
        promo_labels=tuple(raw.get("promo_labels", ())),
        sections=dict(raw["sections"]),
        feeds=feeds,
        tdm_policy=raw.get("tdm_policy", ""),
    )


def _article(publisher: Publisher, raw: dict[str, Any], wire: dict[str, dict[str, Any]]) -> Article:
    fields = {**wire[raw["wire"]], **raw} if "wire" in raw else raw
    published: datetime = fields["published"]
    section = fields["section"]
    default_listings = [{"feed": f.name} for f in publisher.feeds if section in f.sections]
    return Article(
        publisher=publisher.slug,
        slug=str(fields["slug"]),
        section=section,
        path=f"/{publisher.slug}/"
        + publisher.article_path.format(section=section, slug=fields["slug"], date=published),
        headline=fields["headline"],
        summary=fields["summary"],
        authors=tuple(fields["authors"]),
        published=published,
        updated=max(published, fields.get("updated", published)),  # a late copy of a wire story
        tags=tuple(fields.get("tags", ())),
        place=fields.get("place", publisher.dateline_place),
        paragraphs=_paragraphs(fields.get("body", ""), raw.get("kept_paragraphs", 0)),
        listings=tuple(Listing(**item) for item in fields.get("listed", default_listings)),
        wire=raw.get("wire", ""),
        kept_paragraphs=raw.get("kept_paragraphs", 0),
        moved_from=f"/{publisher.slug}/{raw['moved_from']}" if "moved_from" in raw else "",
        removed=fields.get("removed", False),
        edit=_edit(raw["edit"]) if "edit" in raw else None,
        paywalled=raw.get("paywalled", False),
    )


def _edit(raw: dict[str, Any]) -> Edit:
    return Edit(
        headline=raw.get("headline", ""),
        append=raw.get("append", ""),
        replace=(raw["replace"][0], raw["replace"][1]) if "replace" in raw else None,
        ads=tuple(raw.get("ads", ())),
        updated=raw.get("updated"),
    )


def _paragraphs(body: str, kept: int) -> tuple[str, ...]:
    paragraphs = tuple(p.strip() for p in body.split("\n\n") if p.strip())
    return paragraphs[:kept] if kept else paragraphs


def _notice(raw: dict[str, Any]) -> Notice:
    return Notice(raw["feed"], raw["guid"], raw["title"], raw["summary"], raw["published"])


def _check(catalog: Catalog) -> None:
    """Fail loudly on content mistakes that would silently skew the expectations."""
    feed_names = {f.name for f in catalog.feeds}
    paths = [a.path for a in catalog.articles]
    if len(paths) != len(set(paths)):
        raise ValueError("two articles share a URL path")
    for feed in catalog.feeds:
        if feed.format not in (*FEED_FORMATS, NEWS_SITEMAP):
            raise ValueError(f"feed {feed.name}: unknown format {feed.format!r}")
    for article in catalog.articles:
        unknown = {listing.feed for listing in article.listings} - feed_names
        if unknown or not article.listings:
            raise ValueError(f"article {article.path}: bad feed listings {sorted(unknown)}")
        if not article.removed and not article.paragraphs:
            raise ValueError(f"article {article.path}: no body")
        if article.published.tzinfo is None:
            raise ValueError(f"article {article.path}: published has no timezone")
    for notice in catalog.notices:
        if notice.feed not in feed_names:
            raise ValueError(f"notice {notice.guid}: unknown feed {notice.feed}")

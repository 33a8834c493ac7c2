"""Render the newsroom's HTML pages from the catalog and each publisher's templates.

Every publisher has ``content/<slug>.layout.html`` (page chrome: header, navigation,
cookie banner, "most read" sidebar, footer) and ``content/<slug>.article.html`` (the
article block: headline, byline, date, body, tags, related links). Both are
``string.Template`` files; the ``<head>`` metadata (canonical, OpenGraph, JSON-LD,
feed autodiscovery) is the same markup for every publisher and is built here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from functools import cache
from html import escape
from importlib import resources
from string import Template

from flows.demo.catalog import Article, Catalog, Publisher
from flows.demo.feedgen import media_type

MOST_READ = 5
RELATED = 3


def article_page(catalog: Catalog, article: Article, base_url: str) -> str:
    """The full HTML page of one article."""
    publisher = catalog.publisher(article.publisher)
    related = _related(catalog, article)
    block = _template(publisher.slug, "article").substitute(
        section_name=escape(publisher.sections[article.section]),
        section_url=f"{base_url}/{publisher.slug}/{article.section}/",
        headline=escape(article.headline),
        summary=escape(article.summary),
        byline=escape(", ".join(article.authors)),
        published_iso=article.published.isoformat(),
        published_display=article.published.strftime(publisher.date_format),
        updated_iso=article.updated.isoformat(),
        updated_display=article.updated.strftime(publisher.date_format),
        body=_body(publisher, article, related, base_url),
        tags=_items(f"<li>{escape(tag)}</li>" for tag in article.tags),
        related=_links(related, base_url),
    )
    head = _article_head(publisher, article, base_url)
    if article.ad:
        block += f'\n<aside class="advert"><p>Advertisement</p><p>{escape(article.ad)}</p></aside>'
    return _layout(catalog, publisher, head, block, base_url, exclude=article)


def index_page(catalog: Catalog, publisher: Publisher, section: str | None, base_url: str) -> str:
    """The home page (``section`` None) or a section front of a publisher."""
    articles = [a for a in catalog.articles_of(publisher.slug) if section in (None, a.section)]
    title = publisher.sections[section] if section else publisher.name
    path = f"/{publisher.slug}/{section}/" if section else publisher.home_path
    teasers = _items(
        f'<li class="teaser"><h2><a href="{base_url}{a.path}">{escape(a.headline)}</a></h2>'
        f"<p>{escape(a.summary)}</p>"
        f'<time datetime="{a.published.isoformat()}">{a.published.strftime(publisher.date_format)}</time></li>'
        for a in articles
    )
    block = f'<section class="front"><h1>{escape(title)}</h1>\n<ul class="teasers">\n{teasers}\n</ul></section>'
    page_title = f"{title} | {publisher.name}" if section else publisher.name
    head = _index_head(publisher, page_title, base_url + path, base_url)
    return _layout(catalog, publisher, head, block, base_url, exclude=None)


@cache
def _template(publisher: str, kind: str) -> Template:
    name = f"{publisher}.{kind}.html"
    return Template(resources.files(__package__).joinpath("content", name).read_text(encoding="utf-8"))


def _layout(
    catalog: Catalog, publisher: Publisher, head: str, block: str, base_url: str, exclude: Article | None
) -> str:
    most_read = sorted(
        (a for a in catalog.articles_of(publisher.slug) if a is not exclude),
        key=lambda a: hashlib.sha1(a.path.encode()).hexdigest(),
    )[:MOST_READ]
    nav = _items(
        f'<li><a href="{base_url}/{publisher.slug}/{key}/">{escape(name)}</a></li>'
        for key, name in publisher.sections.items()
    )
    return _template(publisher.slug, "layout").substitute(
        lang=publisher.language,
        head=head,
        site_name=escape(publisher.name),
        tagline=escape(publisher.tagline),
        home_url=base_url + publisher.home_path,
        feed_url=base_url + publisher.feeds[0].path,
        nav=nav,
        main=block,
        most_read=_links(most_read, base_url),
    )


def _related(catalog: Catalog, article: Article) -> list[Article]:
    same_section = (
        a for a in catalog.articles_of(article.publisher) if a.section == article.section and a is not article
    )
    return list(same_section)[:RELATED]


def _body(publisher: Publisher, article: Article, related: list[Article], base_url: str) -> str:
    """Body paragraphs; own stories get the dateline and the publisher's promo lines.

    Syndicated copies are left exactly as the wire sent them, so every copy extracts
    to the same text.
    """
    texts = [escape(text, quote=False) for text in article.paragraphs]
    if article.wire:
        return "\n".join(f"<p>{text}</p>" for text in texts)
    if publisher.dateline:
        dateline = publisher.dateline.format(place=article.place, date=article.published)
        texts[0] = f'<span class="dateline">{escape(dateline)}</span> {texts[0]}'
    paragraphs = [f"<p>{text}</p>" for text in texts]
    promos = [
        f'<p><strong>{escape(label)}:</strong> <a href="{base_url}{target.path}">{escape(target.headline)}</a></p>'
        for label, target in zip(publisher.promo_labels, related)
    ]
    paragraphs[2:2] = promos[:1]
    paragraphs += promos[1:]
    if article.paywalled:
        prompt = '<p class="paywall-prompt">Subscribe to continue reading. Already a subscriber? Log in.</p>'
        return "\n".join([paragraphs[0], prompt])
    return "\n".join(paragraphs)


def _article_head(publisher: Publisher, article: Article, base_url: str) -> str:
    url = base_url + article.path
    image = f"{base_url}/{publisher.slug}/images/{article.slug}.jpg"
    meta = {
        "og:type": "article",
        "og:title": article.headline,
        "og:description": article.summary,
        "og:url": url,
        "og:image": image,
        "og:site_name": publisher.name,
        "article:published_time": article.published.isoformat(),
        "article:modified_time": article.updated.isoformat(),
        "article:section": publisher.sections[article.section],
    }
    lines = [
        f"<title>{escape(article.headline)} | {escape(publisher.name)}</title>",
        f'<meta name="description" content="{escape(article.summary)}">',
        f'<meta name="author" content="{escape(", ".join(article.authors))}">',
        f'<link rel="canonical" href="{url}">',
        *_feed_links(publisher, base_url),
        *(f'<meta property="{key}" content="{escape(value)}">' for key, value in meta.items()),
        *(f'<meta property="article:tag" content="{escape(tag)}">' for tag in article.tags),
        *_tdm_tags(publisher),
        f'<script type="application/ld+json">{_json_ld(publisher, article, url, image, base_url)}</script>',
    ]
    return "\n".join(lines)


def _tdm_tags(publisher: Publisher) -> list[str]:
    if not publisher.tdm_policy:
        return []
    return ['<meta name="tdm-reservation" content="1">', f'<meta name="tdm-policy" content="{publisher.tdm_policy}">']


def _index_head(publisher: Publisher, title: str, url: str, base_url: str) -> str:
    lines = [
        f"<title>{escape(title)}</title>",
        f'<meta name="description" content="{escape(publisher.tagline)}">',
        f'<link rel="canonical" href="{url}">',
        *_feed_links(publisher, base_url),
        '<meta property="og:type" content="website">',
        f'<meta property="og:title" content="{escape(title)}">',
        f'<meta property="og:url" content="{url}">',
        f'<meta property="og:site_name" content="{escape(publisher.name)}">',
    ]
    return "\n".join(lines)


def _feed_links(publisher: Publisher, base_url: str) -> list[str]:
    """``<link rel="alternate">`` tags for feed autodiscovery, ``<link rel="sitemap">`` for sitemaps."""
    return [
        f'<link rel="{"alternate" if feed.kind == "feed" else "sitemap"}" type="{media_type(feed.format)}" '
        f'title="{escape(feed.title)}" href="{base_url}{feed.path}">'
        for feed in publisher.feeds
    ]


def _json_ld(publisher: Publisher, article: Article, url: str, image: str, base_url: str) -> str:
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.headline,
        "description": article.summary,
        "datePublished": article.published.isoformat(),
        "dateModified": article.updated.isoformat(),
        "author": [{"@type": "Person", "name": name} for name in article.authors],
        "publisher": {
            "@type": "Organization",
            "name": publisher.name,
            "logo": {"@type": "ImageObject", "url": f"{base_url}/{publisher.slug}/images/logo.png"},
        },
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "image": [image],
        "inLanguage": publisher.language,
        "articleSection": publisher.sections[article.section],
        "keywords": list(article.tags),
    }
    if article.paywalled:
        data["isAccessibleForFree"] = False
        data["hasPart"] = {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".paywall"}
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def _links(articles: list[Article], base_url: str) -> str:
    return _items(f'<li><a href="{base_url}{a.path}">{escape(a.headline)}</a></li>' for a in articles)


def _items(lines: Iterable[str]) -> str:
    return "\n".join(lines)

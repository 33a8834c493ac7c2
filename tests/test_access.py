"""Pages that are not the article, and articles not free to read, from a loopback publisher:
each access case is recorded as the page states it; a bot challenge never becomes an
article; a paywalled teaser is kept, marked, and left out of story matching."""

from __future__ import annotations

import json
import random
from html import escape

import pytest

from bench.newsroom import paragraphs
from tests.support.ingest import rows, run_ingest, write_sources
from tests.support.loopback import Loopback, Reply

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

TEXTS = [paragraphs(random.Random(seed), 5) for seed in range(6)]


def _full(n: int) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in TEXTS[n])


def _teaser(n: int) -> str:
    return f"<p>{escape(TEXTS[n][0][:200])}</p><p>Subscribe now to continue reading.</p>"


CHALLENGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><h1>Checking your browser before "
    "accessing the site.</h1><p>This process is automatic. Your browser will redirect to your requested content "
    "shortly. Please allow up to 5 seconds.</p>" + "<p>Ray ID: 7a1b2c3d4e5f</p>" * 20 + "</body></html>"
)


def _page(title: str, body: str, head: str = "") -> bytes:
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>{title}</title>{head}</head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode()


def _ld(**fields) -> str:
    document = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "x", **fields}
    return f"<script type='application/ld+json'>{json.dumps(document)}</script>"


PAGES = {
    "free": _page("Free to read", _full(0), _ld(isAccessibleForFree=True)),
    "locked": _page("Locked by JSON-LD", _teaser(1), _ld(isAccessibleForFree="False")),
    "part": _page(
        "Locked section",
        _full(2),
        _ld(
            isAccessibleForFree=True,
            hasPart={"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".paywall"},
        ),
    ),
    "tier": _page("Metered tier", _full(3), "<meta property='article:content_tier' content='metered'>"),
    "prompt": _page("Cut short with a prompt", _teaser(4)),
    "plain": _page("Nothing said", _full(5)),
}


def test_each_access_case_is_recorded_and_a_challenge_is_queued_not_loaded(tmp_path):
    with Loopback() as site:
        for slug, page in PAGES.items():
            site.routes[f"/news/{slug}"] = lambda _, page=page: Reply(200, page, {"Content-Type": "text/html"})
        site.routes["/news/challenge"] = lambda _: Reply(200, CHALLENGE.encode(), {"Content-Type": "text/html"})
        site.routes["/copy/full"] = lambda _: Reply(
            200, _page("A full copy elsewhere", _full(1)), {"Content-Type": "text/html"}
        )
        items = "".join(
            f"<item><title>{s}</title><link>{site.url('/news/' + s)}</link></item>" for s in [*PAGES, "challenge"]
        )
        site.routes["/feed.xml"] = lambda _: Reply(
            200, f"<rss><channel><title>Echo</title>{items}</channel></rss>".encode()
        )
        copy = f"<item><title>copy</title><link>{site.url('/copy/full')}</link></item>"
        site.routes["/copy.xml"] = lambda _: Reply(
            200, f"<rss><channel><title>Copy</title>{copy}</channel></rss>".encode()
        )
        sources = [{"name": "echo", "url": site.url("/feed.xml")}, {"name": "copies", "url": site.url("/copy.xml")}]
        path, db = write_sources(tmp_path, sources), tmp_path / "news"
        run_ingest(path)

    access = dict(rows(db, "SELECT regexp_extract(canonical_url, '[^/]+$'), access FROM v_articles"))
    assert access == {
        "free": "free",
        "locked": "paywalled",
        "part": "paywalled",
        "tier": "metered",
        "prompt": "paywalled",
        "plain": "unknown",
        "full": "unknown",
    }
    queued = rows(db, "SELECT state, last_error FROM fetch_queue WHERE url LIKE '%/news/challenge'")
    assert [(state, "bot challenge" in error) for state, error in queued] == [("retry", True)]
    assert rows(db, "SELECT count(*) FROM articles WHERE title LIKE 'Just a moment%'") == [(0,)]
    stories = dict(rows(db, "SELECT regexp_extract(url, '[^/]+$'), story_id FROM articles"))
    assert stories["locked"] != stories["full"], "the teaser of the full copy's story stands alone"

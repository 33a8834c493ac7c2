"""Sitemaps as sources: news sitemaps, plain sitemaps and gzip'd indexes, read within the
protocol's limits, and children whose <lastmod> has not changed are not fetched again."""

from __future__ import annotations

import gzip
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from flows import discover, feeds, sitemaps
from flows.records import FeedEntry, Source, SourceKind
from tests.support.ingest import rows, run_ingest, write_sources
from tests.support.loopback import Loopback, Reply

NOW = datetime.now(timezone.utc)
URLSET = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{}</urlset>'
INDEX = '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</sitemapindex>'


def news_url(loc: str, title: str, published: datetime) -> str:
    return (
        f"<url><loc>{loc}</loc><news:news><news:publication><news:name>Quayside Gazette</news:name>"
        f"<news:language>en</news:language></news:publication>"
        f"<news:publication_date>{published.isoformat()}</news:publication_date>"
        f"<news:title>{title}</news:title><news:keywords>harbour, ferries</news:keywords></news:news></url>"
    )


def plain_url(loc: str, lastmod: datetime | None = None) -> str:
    return f"<url><loc>{loc}</loc>" + (f"<lastmod>{lastmod.date().isoformat()}</lastmod>" if lastmod else "") + "</url>"


def child(loc: str, lastmod: str) -> str:
    return f"<sitemap><loc>{loc}</loc><lastmod>{lastmod}</lastmod></sitemap>"


def test_a_news_sitemap_gives_entries_with_title_date_keywords_language_and_image_from_the_sitemap():
    published = datetime(2026, 11, 30, 7, 45, tzinfo=timezone(timedelta(hours=2)))
    image = "<image:image><image:loc>https://q.example/img/ferry.jpg</image:loc></image:image></url>"
    listed = news_url("https://q.example/ferry?id=1&amp;p=2", "Ferry timetable &amp; fares", published)
    body = URLSET.replace("<urlset ", '<urlset xmlns:image="http://www.google.com/schemas/sitemap-image/1.1" ')
    (entry,) = sitemaps.read(body.format(listed.removesuffix("</url>") + image).encode()).entries
    assert entry == FeedEntry(
        link="https://q.example/ferry?id=1&p=2",
        title="Ferry timetable & fares",
        published=datetime(2026, 11, 30, 5, 45, tzinfo=timezone.utc),
        tags=("harbour", "ferries"),
        language="en",
        image_url="https://q.example/img/ferry.jpg",
        origin="sitemap",
    )


def test_a_gzipped_index_lists_its_children_with_their_lastmod():
    body = INDEX.format(
        child("https://q.example/s1.xml.gz", "2026-11-29T10:00:00Z") + child("https://q.example/s2.xml", "")
    )
    read = sitemaps.read(gzip.compress(body.encode()))
    assert [(c.url, c.lastmod) for c in read.children] == [
        ("https://q.example/s1.xml.gz", datetime(2026, 11, 29, 10, tzinfo=timezone.utc)),
        ("https://q.example/s2.xml", None),
    ]


def test_more_than_fifty_thousand_urls_are_cut_there_and_said():
    body = URLSET.format("".join(plain_url(f"https://q.example/{n}") for n in range(50_001)))
    read = sitemaps.read(body.encode())
    assert len(read.entries) == sitemaps.MAX_URLS
    assert read.warning and "50,000" in read.warning


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (gzip.compress(b"<" * (sitemaps.MAX_BYTES + 1)), "larger than"),
        (b"<!DOCTYPE html><html><head><title>Home</title></head><body>Welcome</body></html>", "HTML page"),
        (b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY e "x">]><urlset><url><loc>&e;</loc></url></urlset>', "DOCTYPE"),
        (b"\x1f\x8b\x08\x00garbage", "gzip"),
        (b"   ", "empty"),
    ],
    ids=["gzip bomb", "html", "entities", "broken gzip", "empty"],
)
def test_what_is_not_a_sitemap_is_refused_saying_why(body, reason):
    with pytest.raises(sitemaps.SitemapError, match=reason):
        sitemaps.read(body)


def test_old_and_unmatched_entries_are_left_out_and_counted():
    source = Source("q", "https://q.example/news.xml", SourceKind.NEWS_SITEMAP, max_age_days=2, url_pattern="/news/")
    entries = [
        FeedEntry("https://q.example/news/new", published=NOW - timedelta(hours=3), origin="sitemap"),
        FeedEntry("https://q.example/news/old", published=NOW - timedelta(days=5), origin="sitemap"),
        FeedEntry("https://q.example/shop/new", published=NOW, origin="sitemap"),
        FeedEntry("https://q.example/news/undated", origin="sitemap"),
        FeedEntry("https://q.example/news/new", published=NOW - timedelta(hours=3), origin="sitemap"),
    ]
    kept, left_out = sitemaps.fresh_entries(entries, source, NOW)
    assert [e.link for e in kept] == ["https://q.example/news/new", "https://q.example/news/undated"]
    assert left_out == 2


def article_page(n: int) -> bytes:
    paragraphs = "".join(
        f"<p>Harbour report {n}, part {p}: the quayside crews moved {n * 7 + p} crates of slate before the "
        f"evening tide, and the ferry office posted its winter timetable beside the chandlery door.</p>"
        for p in range(4)
    )
    head = f"<head><title>Harbour report {n}</title></head>"
    return f"<html>{head}<body><article><h1>Harbour report {n}</h1>{paragraphs}</article></body></html>".encode()


def test_robots_txt_sitemap_lines_are_read_whatever_their_case_place_or_form():
    robots = (
        "User-agent: *\nDisallow: /search\nSITEMAP: https://quay.example/news.xml  # news\n\n"
        "User-agent: Bot\nsitemap:/sitemap_index.xml\nSitemap: ftp://quay.example/x.xml\n"
        "Sitemap: https://quay.example/news.xml\nSitemap:\n"
    )
    assert sitemaps.robots_sitemaps(robots, "https://quay.example/robots.txt") == [
        "https://quay.example/news.xml",
        "https://quay.example/sitemap_index.xml",
    ]


def test_the_usual_paths_are_tried_only_when_a_site_names_no_sitemap():
    named = sitemaps.candidates("https://quay.example/section/", ["https://quay.example/a.xml"] * 2)
    guessed = sitemaps.candidates("https://quay.example/section/", [])
    assert named == ["https://quay.example/a.xml"]
    assert guessed[0] == "https://quay.example/news-sitemap.xml" and "https://quay.example/sitemap.xml" in guessed


def test_a_page_advertises_sitemaps_with_link_rel_sitemap():
    html = (
        b'<html><head><base href="https://quay.example/en/"><link rel="sitemap" href="sitemap.xml">'
        b'<link rel="alternate" type="application/rss+xml" href="/feed"><link rel="Sitemap" href="/news.xml">'
        b"</head></html>"
    )
    assert feeds.sitemap_links(html, "https://quay.example/") == [
        "https://quay.example/en/sitemap.xml",
        "https://quay.example/news.xml",
    ]
    assert feeds.discover(html, "https://quay.example/") == ["https://quay.example/feed"]


def test_a_sitemap_is_news_when_its_entries_carry_news_tags_and_an_index_when_all_its_children_do():
    published = datetime(2026, 11, 30, tzinfo=timezone.utc)
    news = sitemaps.read(URLSET.format(news_url("https://quay.example/a", "Tide mill", published)).encode())
    plain = sitemaps.read(URLSET.format(plain_url("https://quay.example/about", published)).encode())
    assert sitemaps.is_news(news) and not sitemaps.is_news(plain)
    assert sitemaps.kind_of_index([SourceKind.NEWS_SITEMAP] * 2) is SourceKind.NEWS_SITEMAP
    assert sitemaps.kind_of_index([SourceKind.NEWS_SITEMAP, SourceKind.SITEMAP]) is SourceKind.SITEMAP
    assert sitemaps.kind_of_index([]) is SourceKind.SITEMAP
    index = sitemaps.Sitemap(children=tuple(sitemaps.Listed(f"https://q.example/{n}.xml", None) for n in "ab"))
    with_news = replace(index, children=(*index.children, sitemaps.Listed("https://q.example/News-1.xml", None)))
    assert [c.url for c in sitemaps.children_to_sample(with_news, 2)] == [
        "https://q.example/News-1.xml",
        "https://q.example/a.xml",
    ]


def test_a_bare_domain_means_its_https_home_page():
    assert discover.as_url("quay.example") == "https://quay.example/"
    assert discover.as_url("http://quay.example/feed") == "http://quay.example/feed"


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_gzipped_index_with_a_loop_loads_each_article_once_and_skips_unchanged_children(tmp_path):
    with Loopback() as site:
        recent = NOW - timedelta(hours=2)
        for n in range(30):
            site.routes[f"/news/{n}"] = lambda _h, n=n: Reply(200, article_page(n), {"Content-Type": "text/html"})
        first = URLSET.format("".join(plain_url(site.url(f"/news/{n}"), recent) for n in range(20)))
        second = URLSET.format("".join(plain_url(site.url(f"/news/{n}"), recent) for n in range(15, 30)))
        nested = INDEX.format(
            child(site.url("/sitemap-b.xml"), "2026-11-30") + child(site.url("/sitemap.xml.gz"), "2026-11-30")
        )
        root = INDEX.format(
            child(site.url("/sitemap-a.xml.gz"), "2026-11-30") + child(site.url("/nested.xml"), "2026-11-30")
        )
        site.routes["/sitemap.xml.gz"] = lambda _h: Reply(
            200, gzip.compress(root.encode()), {"Content-Type": "application/gzip"}
        )
        site.routes["/sitemap-a.xml.gz"] = lambda _h: Reply(
            200, gzip.compress(first.encode()), {"Content-Type": "application/gzip"}
        )
        site.routes["/nested.xml"] = lambda _h: Reply(200, nested.encode(), {"Content-Type": "application/xml"})
        site.routes["/sitemap-b.xml"] = lambda _h: Reply(200, second.encode(), {"Content-Type": "application/xml"})
        path = write_sources(tmp_path, [{"name": "quay", "url": site.url("/sitemap.xml.gz"), "kind": "sitemap"}])

        summary = run_ingest(path)
        (report,) = summary.sources
        assert report.error is None and report.kind is SourceKind.SITEMAP
        assert rows(tmp_path / "news", "SELECT count(*), count(DISTINCT canonical_url) FROM articles") == [(30, 30)]
        assert len(site.hits("/sitemap.xml.gz")) == 1, "the loop back to the root is not followed"

        pages_before = [p for p, _ in site.arrived if p.startswith("/news/")]
        again = run_ingest(path)
        assert again.sources[0].error is None
        for child_path in ("/sitemap-a.xml.gz", "/nested.xml", "/sitemap-b.xml"):
            assert len(site.hits(child_path)) == 1, f"{child_path}: its lastmod did not change"
        assert [p for p, _ in site.arrived if p.startswith("/news/")] == pages_before, "no page fetched again"
        assert len(pages_before) == 30
        assert rows(tmp_path / "news", "SELECT count(*) FROM sitemap_children") == [(3,)]


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_news_sitemap_beside_a_feed_adds_what_the_feed_does_not_list_once_each(tmp_path):
    with Loopback() as site:
        for n in range(130):
            site.routes[f"/news/{n}"] = lambda _h, n=n: Reply(200, article_page(n), {"Content-Type": "text/html"})
        items = "".join(
            f"<item><title>Harbour report {n}</title><link>{site.url(f'/news/{n}')}</link></item>" for n in range(20)
        )
        channel = f"<channel><title>Quayside</title><link>{site.url('/')}</link>{items}</channel>"
        feed = f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'
        listed = "".join(
            news_url(site.url(f"/news/{n}"), f"Harbour report {n}", NOW - timedelta(hours=1 + n / 10))
            for n in range(120)
        )
        old = "".join(
            news_url(site.url(f"/news/{n}"), f"Harbour report {n}", NOW - timedelta(days=4)) for n in range(120, 130)
        )
        site.routes["/feed.xml"] = lambda _h: Reply(200, feed.encode(), {"Content-Type": "application/rss+xml"})
        site.routes["/news-sitemap.xml"] = lambda _h: Reply(
            200, URLSET.format(listed + old).encode(), {"Content-Type": "application/xml"}
        )
        path = write_sources(
            tmp_path,
            [
                {"name": "quay-feed", "url": site.url("/feed.xml")},
                {"name": "quay-news", "url": site.url("/news-sitemap.xml"), "kind": "news_sitemap"},
            ],
        )
        summary = run_ingest(path)
        assert [r.error for r in summary.sources] == [None, None]
        assert rows(tmp_path / "news", "SELECT count(*), count(DISTINCT canonical_url) FROM articles") == [(120, 120)]
        assert not [p for p, _ in site.arrived if p in {f"/news/{n}" for n in range(120, 130)}], "too old: not fetched"
        fetched = [p for p, _ in site.arrived if p.startswith("/news/")]
        assert len(fetched) == len(set(fetched)) == 120

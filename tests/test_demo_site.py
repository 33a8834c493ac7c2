"""The bundled demo newsroom: feeds, pages, special cases and what it promises to the pipeline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import feedparser
import httpx
import pytest
import trafilatura

from flows.demo.site import Newsroom
from flows.sitemaps import document as sitemaps


@pytest.fixture(scope="module")
def newsroom() -> Iterator[Newsroom]:
    with Newsroom() as site:
        yield site


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10, follow_redirects=False) as http:
        yield http


@pytest.fixture(scope="module")
def feed_links(newsroom: Newsroom, client: httpx.Client) -> dict[str, list[str]]:
    """Source name -> the entry links of its feed (or news sitemap, within its age limit)."""
    return {
        source["name"]: _sitemap_links(client, source) if "kind" in source else _links(client.get(source["url"]))
        for source in newsroom.sources()
    }


def feeds(newsroom: Newsroom) -> list[dict[str, str]]:
    return [source for source in newsroom.sources() if "kind" not in source]


@pytest.fixture(scope="module")
def pages(newsroom: Newsroom, feed_links: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """Source name -> {final URL without tracking parameters: trafilatura's text} of its live pages."""
    found: dict[str, dict[str, str]] = {}
    with httpx.Client(timeout=10, follow_redirects=True) as follower:
        for name, links in feed_links.items():
            found[name] = {}
            for link in links:
                page = follower.get(link)
                if page.status_code == 200:
                    url = newsroom.base_url + _strip_tracking(str(page.url))
                    found[name][url] = trafilatura.extract(page.text, url=url, include_comments=False) or ""
    return found


@pytest.fixture(scope="module")
def extracted(pages: dict[str, dict[str, str]]) -> dict[str, str]:
    """Every live article page the feeds lead to: URL -> extracted text."""
    return {url: text for texts in pages.values() for url, text in texts.items()}


def _links(response: httpx.Response) -> list[str]:
    if response.headers["content-type"].startswith("application/feed+json"):
        return [item["url"] for item in response.json()["items"] if "url" in item]
    return [entry.link for entry in feedparser.parse(response.content).entries if entry.get("link")]


def _sitemap_links(client: httpx.Client, source: dict[str, Any]) -> list[str]:
    index = sitemaps.read(client.get(source["url"]).content)
    oldest = datetime.now(timezone.utc) - timedelta(days=source["max_age_days"])
    entries = [entry for child in index.children for entry in sitemaps.read(client.get(child.url).content).entries]
    return [entry.link for entry in entries if entry.published and entry.published >= oldest]


def _strip_tracking(url: str) -> str:
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and not p.startswith(("utm_", "fbclid"))]
    return parts.path + ("?" + "&".join(kept) if kept else "")


def test_serves_at_least_six_feeds_in_four_formats(newsroom: Newsroom, client: httpx.Client) -> None:
    sources = feeds(newsroom)
    types = {client.get(s["url"]).headers["content-type"].split(";")[0] for s in sources}
    assert len(sources) >= 6
    assert {s["language"] for s in sources} >= {"en", "de"}
    assert types == {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}


def test_xml_feeds_parse_cleanly_with_dated_entries(newsroom: Newsroom, client: httpx.Client) -> None:
    versions, without_link = set(), 0
    for source in feeds(newsroom):
        response = client.get(source["url"])
        if response.headers["content-type"].startswith("application/feed+json"):
            continue
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, (source["name"], parsed.get("bozo_exception"))
        assert parsed.entries and all(
            entry.get("published_parsed") or entry.get("updated_parsed") for entry in parsed.entries
        )
        versions.add(parsed.version)
        without_link += sum(1 for entry in parsed.entries if not entry.get("link"))
    assert versions == {"rss20", "atom10", "rss10"}
    assert without_link >= 1


def test_json_feed_is_version_1_1_and_has_an_item_without_url(newsroom: Newsroom, client: httpx.Client) -> None:
    (source,) = [s for s in newsroom.sources() if s["url"].endswith(".json")]
    feed = json.loads(client.get(source["url"]).content)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["items"] and all(item["id"] and item["date_published"] for item in feed["items"])
    assert any("url" not in item for item in feed["items"])
    assert all("utm_source=rss" in item["url"] for item in feed["items"] if "url" in item)


def test_feeds_answer_304_to_matching_validators(newsroom: Newsroom, client: httpx.Client) -> None:
    conditional = 0
    for source in newsroom.sources():
        first = client.get(source["url"])
        if "etag" not in first.headers:
            assert "last-modified" not in first.headers
            assert client.get(source["url"], headers={"If-None-Match": '"x"'}).status_code == 200
            continue
        conditional += 1
        by_etag = client.get(source["url"], headers={"If-None-Match": first.headers["etag"]})
        by_date = client.get(source["url"], headers={"If-Modified-Since": first.headers["last-modified"]})
        stale = client.get(source["url"], headers={"If-None-Match": '"stale"'})
        assert (by_etag.status_code, by_etag.content) == (304, b"")
        assert by_date.status_code == 304
        assert stale.status_code == 200 and stale.content == first.content
    assert 0 < conditional < len(newsroom.sources())


def test_moved_article_redirects_and_missing_one_is_404(
    newsroom: Newsroom, client: httpx.Client, feed_links: dict[str, list[str]]
) -> None:
    statuses = {link: client.get(link) for links in feed_links.values() for link in links}
    redirects = [r for r in statuses.values() if r.status_code == 301]
    assert redirects and all(client.get(r.headers["location"]).status_code == 200 for r in redirects)
    missing = {link for link, r in statuses.items() if r.status_code == 404}
    assert missing == set(newsroom.expected().missing_urls) != set()
    assert client.get(newsroom.base_url + "/no/such/page").status_code == 404
    assert client.get(newsroom.base_url + "/kestrel-daily/article.php?id=1").status_code == 404


def test_feeds_contain_the_special_cases(newsroom: Newsroom, feed_links: dict[str, list[str]]) -> None:
    all_links = [link for links in feed_links.values() for link in links]
    by_clean = {}
    for link in all_links:
        by_clean.setdefault(_strip_tracking(link), set()).add(link)
    assert any(len(variants) > 1 for variants in by_clean.values()), "plain + tracking variant"
    assert any("fbclid=" in link for link in all_links)
    listed_twice = set(feed_links["harbourton-herald-local"]) & set(feed_links["harbourton-herald-business"])
    assert listed_twice, "one article in two section feeds"
    query_articles = {link for link in all_links if "/article.php?id=" in link}
    assert len({_strip_tracking(link) for link in query_articles}) >= 2


def test_expectation_matches_what_the_feeds_lead_to(
    newsroom: Newsroom, pages: dict[str, dict[str, str]], extracted: dict[str, str]
) -> None:
    expected = newsroom.expected()
    assert expected.distinct_articles >= 60
    assert expected.articles_per_source == {name: len(texts) for name, texts in pages.items()}
    assert expected.distinct_articles == len(set(extracted.values()))
    assert set(expected.syndicated_urls) <= set(extracted)


def test_every_article_page_extracts_a_real_body_but_the_paywalled_teaser(extracted: dict[str, str]) -> None:
    short = {url.rsplit("/", 1)[1] for url, text in extracted.items() if len(text.split()) < 100}
    assert short == {"seaweed-startup-raises-funding.html"}


def test_syndicated_copies_extract_to_identical_text(newsroom: Newsroom, extracted: dict[str, str]) -> None:
    copies = newsroom.expected().syndicated_urls
    texts = {extracted[url] for url in copies}
    hosts_paths = {urlsplit(url).path.split("/")[1] for url in copies}
    assert len(texts) == 1 and len(hosts_paths) >= 3


def test_article_pages_carry_news_metadata(newsroom: Newsroom, client: httpx.Client) -> None:
    url = newsroom.expected().syndicated_urls[0]
    html = client.get(url).text
    meta = trafilatura.extract_metadata(html, default_url=url)
    assert meta.url == url and meta.sitename and meta.author and meta.date
    for marker in (
        '"@type": "NewsArticle"',
        'property="og:image"',
        'rel="canonical"',
        'property="article:published_time"',
        "cookie",
    ):
        assert marker in html


def test_home_pages_advertise_their_feeds(newsroom: Newsroom, client: httpx.Client) -> None:
    for source in newsroom.sources():
        home = client.get(source["site"])
        assert home.status_code == 200 and home.headers["content-type"] == "text/html; charset=utf-8"
        rel = "sitemap" if "kind" in source else "alternate"
        assert f'href="{source["url"]}"' in home.text and f'rel="{rel}"' in home.text


def test_german_section_is_marked_up_as_german(
    newsroom: Newsroom, client: httpx.Client, feed_links: dict[str, list[str]]
) -> None:
    (german,) = [s for s in newsroom.sources() if s["language"] == "de"]
    page = client.get(feed_links[german["name"]][0])
    assert '<html lang="de">' in page.text and "Von " in page.text


def test_route_overrides_take_precedence_and_are_logged(client: httpx.Client) -> None:
    with Newsroom() as newsroom:
        _check_overrides(newsroom, client)


def _check_overrides(newsroom: Newsroom, client: httpx.Client) -> None:
    feed_url = newsroom.sources()[0]["url"]
    path = urlsplit(feed_url).path
    before = client.get(feed_url).headers["etag"]
    newsroom.route(
        path,
        body="<rss version='2.0'><channel><title>changed</title></channel></rss>",
        headers={"Content-Type": "application/rss+xml"},
    )
    newsroom.route("/extra/endpoint", status=503, body="busy", headers={"Retry-After": "7"})
    changed = client.get(feed_url, headers={"If-None-Match": before})
    extra = client.get(newsroom.base_url + "/extra/endpoint")
    assert changed.status_code == 200 and b"changed" in changed.content
    assert changed.headers["etag"] != before
    assert (extra.status_code, extra.headers["retry-after"], extra.text) == (503, "7", "busy")
    seen = [r for r in newsroom.requests if r.path == path][-1]
    assert seen.status == 200 and seen.headers["If-None-Match"] == before
    assert any(r.path == "/extra/endpoint" and r.status == 503 for r in newsroom.requests)


def test_news_sitemap_lists_more_than_the_feed_and_some_too_old(
    newsroom: Newsroom, client: httpx.Client, feed_links: dict[str, list[str]]
) -> None:
    (sitemap,) = [s for s in newsroom.sources() if s.get("kind") == "news_sitemap"]
    fresh = {_strip_tracking(link) for link in feed_links[sitemap["name"]]}
    listed = {_strip_tracking(link) for link in _sitemap_links(client, sitemap | {"max_age_days": 10_000})}
    in_feed = {_strip_tracking(link) for link in feed_links["westmere-times-news"]}
    assert len(fresh - in_feed) == 3 and in_feed < fresh
    too_old = listed - fresh
    assert len(too_old) == 2 and all(client.get(newsroom.base_url + path).status_code == 200 for path in too_old)
    assert "Sitemap: " + sitemap["url"] in client.get(newsroom.base_url + "/robots.txt").text

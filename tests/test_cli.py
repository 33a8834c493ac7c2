"""The command line as users run it: real subprocesses, real files."""

from __future__ import annotations

import json
from pathlib import Path

import warehouse
import pytest

from tests.support.cli import newsdesk
from tests.support.loopback import Loopback, Reply, free_port

# Every test here runs `newsdesk` as a user's shell does: a process of its own, seconds each.
pytestmark = pytest.mark.slow

FEED = (Path(__file__).parent / "fixtures" / "feeds" / "rss20.xml").read_bytes()


@pytest.fixture
def small_warehouse(tmp_path) -> Path:
    db = tmp_path / "w"
    import warehouse

    with warehouse.writing(db) as con:
        con.execute(
            "INSERT INTO sources (name, feed_url, language, enabled, synced_at) "
            "VALUES ('herald', 'https://h.example/f', 'en', true, now())"
        )
    return db


def test_query_prints_table_csv_and_json(small_warehouse):
    sql = "SELECT name, language FROM sources"
    table = newsdesk("query", "--db", str(small_warehouse), sql)
    assert table.returncode == 0 and "herald" in table.stdout and "1 row" in table.stdout
    as_csv = newsdesk("query", "--db", str(small_warehouse), "--format", "csv", sql)
    assert as_csv.stdout.splitlines() == ["name,language", "herald,en"]
    as_json = newsdesk("query", "--db", str(small_warehouse), "-f", "json", sql)
    assert json.loads(as_json.stdout) == {"name": "herald", "language": "en"}


def test_query_is_read_only_and_bad_sql_is_a_clear_error(small_warehouse):
    bad = newsdesk("query", "--db", str(small_warehouse), "SELEC nonsense")
    assert bad.returncode == 1 and "SQL error" in bad.stderr and "syntax error" in bad.stderr
    write = newsdesk("query", "--db", str(small_warehouse), "DELETE FROM sources")
    assert write.returncode == 1 and "read-only" in write.stderr
    with warehouse.reading(small_warehouse) as con:
        assert con.execute("SELECT count(*) FROM sources").fetchone()[0] == 1


def test_query_on_missing_warehouse_says_how_to_make_one(tmp_path):
    result = newsdesk("query", "--db", str(tmp_path / "none"), "SELECT 1")
    assert result.returncode == 1 and "no warehouse" in result.stderr


def test_errors_under_json_logs_are_one_json_object(tmp_path):
    result = newsdesk("--log-format", "json", "query", "--db", str(tmp_path / "none"), "SELECT 1")
    (line,) = result.stderr.splitlines()
    event = json.loads(line)
    assert result.returncode == 1 and event["level"] == "error" and "no warehouse" in event["event"]


@pytest.mark.prefect  # `newsdesk run`, though it stops at the sources file
def test_run_with_bad_sources_file_fails_before_any_network(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - name: herald\n    url: not-a-url\n", encoding="utf-8")
    result = newsdesk("run", "--sources", str(path))
    assert result.returncode == 2
    assert "source 'herald' (sources[0]): field 'url'" in result.stderr


def test_sources_add_accepts_a_feed_or_finds_it_from_a_page_and_keeps_comments(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(
        "# my feeds\nsettings:\n  concurrency: 4  # be gentle\n\nsources:\n"
        "  - name: first   # keep me\n    url: https://first.example/feed\n",
        encoding="utf-8",
    )
    with Loopback() as site:
        site.routes["/feed.xml"] = lambda h: Reply(200, FEED, {"Content-Type": "application/rss+xml"})
        site.routes["/"] = lambda h: Reply(
            200,
            b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>',
            {"Content-Type": "text/html"},
        )
        added = newsdesk("sources", "add", site.url("/"), "--name", "second", "--sources", str(path))
        assert added.returncode == 0, added.stderr
        again = newsdesk("sources", "add", site.url("/feed.xml"), "--sources", str(path))
    assert again.returncode == 2 and "already listed as 'second'" in again.stderr
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my feeds\n") and "# be gentle" in text and "# keep me" in text
    assert text.index("name: first") < text.index("name: second")
    assert f"url: {site.url('/feed.xml')}" in text
    listed = newsdesk("sources", "list", "--sources", str(path))
    assert "first" in listed.stdout and "second" in listed.stdout


def test_sources_add_refuses_a_page_without_a_feed(tmp_path):
    with Loopback() as site:
        site.routes["/"] = lambda h: Reply(200, b"<html><body>hello</body></html>", {"Content-Type": "text/html"})
        result = newsdesk("sources", "add", site.url("/"), "--sources", str(tmp_path / "s.yaml"))
    assert result.returncode == 1 and "leads to no readable feed or sitemap" in result.stderr
    assert not (tmp_path / "s.yaml").exists()


NEWS_URLSET = (
    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>{loc}</loc><news:news>'
    "<news:publication><news:name>Quay Post</news:name><news:language>en</news:language></news:publication>"
    "<news:publication_date>2026-11-30T08:00:00Z</news:publication_date><news:title>Tide mill reopens</news:title>"
    "</news:news></url></urlset>"
)
PLAIN_URLSET = (
    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    "<url><loc>{loc}</loc><lastmod>2026-10-01</lastmod></url></urlset>"
)
INDEX = (
    '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    "<sitemap><loc>{pages}</loc></sitemap><sitemap><loc>{news}</loc></sitemap></sitemapindex>"
)


def quay_site(site: Loopback) -> None:
    """A home page with a feed link and a sitemap link, robots.txt naming an index of a
    plain and a news sitemap, and a plain sitemap at a usual path."""
    xml = {"Content-Type": "application/xml"}
    home = (
        b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        b'<link rel="sitemap" type="application/xml" href="/sitemaps/pages.xml"></head></html>'
    )
    site.routes["/"] = lambda h: Reply(200, home, {"Content-Type": "text/html"})
    site.routes["/feed.xml"] = lambda h: Reply(200, FEED, {"Content-Type": "application/rss+xml"})
    robots = f"User-agent: *\nDisallow: /private/\n\nsitemap: {site.url('/sitemaps/index.xml')}\n"
    site.routes["/robots.txt"] = lambda h: Reply(200, robots.encode(), {"Content-Type": "text/plain"})
    index = INDEX.format(pages=site.url("/sitemaps/pages.xml"), news=site.url("/sitemaps/news.xml"))
    site.routes["/sitemaps/index.xml"] = lambda h: Reply(200, index.encode(), xml)
    pages = PLAIN_URLSET.format(loc=site.url("/about"))
    site.routes["/sitemaps/pages.xml"] = lambda h: Reply(200, pages.encode(), xml)
    news = NEWS_URLSET.format(loc=site.url("/news/tide-mill"))
    site.routes["/sitemaps/news.xml"] = lambda h: Reply(200, news.encode(), xml)
    site.routes["/sitemap.xml"] = lambda h: Reply(200, pages.encode(), xml)


UNSPACED = "settings:\n  min_delay_seconds: 0\nsources: []\n"


def test_sources_add_on_a_home_page_lists_feeds_and_sitemaps_and_adds_the_best_of_the_kind(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(UNSPACED, encoding="utf-8")
    with Loopback() as site:
        quay_site(site)
        news = newsdesk("sources", "add", site.url("/"), "--kind", "news_sitemap", "--sources", str(path))
        plain = newsdesk("sources", "add", site.url("/"), "--kind", "sitemap", "--sources", str(path))
        feed = newsdesk("sources", "add", site.url("/"), "--sources", str(path))
    assert news.returncode == plain.returncode == feed.returncode == 0, news.stderr + plain.stderr + feed.stderr
    for found in ("/feed.xml", "/sitemaps/index.xml", "/sitemaps/news.xml", "/sitemaps/pages.xml"):
        assert site.url(found) in news.stdout
    assert "/sitemap.xml" not in {path for path, _ in site.arrived}, "no guessing when the site names its sitemaps"
    listed = newsdesk("sources", "list", "--format", "json", "--sources", str(path))
    added = {row["url"]: row["kind"] for row in map(json.loads, listed.stdout.splitlines())}
    assert added == {
        site.url("/sitemaps/news.xml"): "news_sitemap",
        site.url("/sitemaps/index.xml"): "sitemap",
        site.url("/feed.xml"): "feed",
    }


def test_sources_add_says_which_kinds_a_site_has_when_the_asked_one_is_missing(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(UNSPACED, encoding="utf-8")
    with Loopback() as site:
        quay_site(site)
        del site.routes["/feed.xml"], site.routes["/robots.txt"]
        home = b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>'
        site.routes["/"] = lambda h: Reply(200, home, {"Content-Type": "text/html"})
        result = newsdesk("sources", "add", site.url("/"), "--sources", str(path))
        sitemap = newsdesk("sources", "add", site.url("/sitemaps/news.xml"), "--sources", str(path))
    assert result.returncode == 1 and "found no feed" in result.stderr
    assert site.url("/sitemap.xml") in result.stdout, "found at a usual path when nothing is advertised"
    assert "add it with --kind sitemap" in result.stderr
    assert sitemap.returncode == 1 and "add it with --kind news_sitemap" in sitemap.stderr
    assert "Traceback" not in result.stderr + sitemap.stderr
    assert path.read_text(encoding="utf-8") == UNSPACED


def test_extract_prints_one_json_object_per_input():
    page = Path(__file__).parent / "fixtures" / "pages" / "promo-article.html"
    result = newsdesk("extract", str(page), str(page), "--url", "https://gazette.example/n/1", "--json")
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(objects) == 2
    assert objects[0]["title"] == "Tide gauge upgrade gives Saltmarsh early flood warnings"
    assert objects[0]["authors"] == ["Ines Marlow", "Tobias Fenn"]
    assert "Also Read" not in objects[0]["body"]


@pytest.mark.prefect
def test_demo_end_to_end_twice(tmp_path, prefect_env):
    """What `make demo` does, twice: every source lands; then nothing new, 304s, and the
    second edition's edits recorded as revisions (and nothing else)."""
    from flows.demo.site import Newsroom

    db = tmp_path / "demo"
    with Newsroom() as probe:
        expected = probe.expected()
        names = [s["name"] for s in probe.sources()]
    with Newsroom(edition=2) as second_edition:
        edited = {url.replace(second_edition.base_url, "") for url in second_edition.expected().edited_urls}
    port = free_port()
    first = newsdesk("demo", "--db", str(db), "--port", str(port), cwd=tmp_path, env=prefect_env)
    assert first.returncode == 0, first.stderr
    assert "Sample query" in first.stdout and all(name in first.stdout for name in names)
    assert "news_sitemap" in first.stdout, "the summary table shows each source's kind"
    with warehouse.reading(db) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == expected.distinct_articles
        children_read = con.execute("SELECT url, read_at FROM sitemap_children ORDER BY url").fetchall()
    second = newsdesk(
        "--log-format", "json", "demo", "--db", str(db), "--port", str(port), cwd=tmp_path, env=prefect_env
    )
    assert second.returncode == 0, second.stderr
    events = [json.loads(line) for line in second.stderr.splitlines()]
    assert any(e["event"].startswith("polling") and e["run_id"] for e in events), "log lines carry the run id"
    with warehouse.reading(db) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == expected.distinct_articles
        run = con.execute(
            "SELECT articles_new, pages_fetched, not_modified FROM runs ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        assert con.execute("SELECT url, read_at FROM sitemap_children ORDER BY url").fetchall() == children_read
    assert len(children_read) == 2, "the news sitemap index's two children, read once"
    assert run[0] == 0 and run[1] == 0 and run[2] >= len(names) - 2  # one feed announces an edit
    listed = newsdesk("changes", "--db", str(db), "--format", "json", cwd=tmp_path, env=prefect_env)
    changes = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {c["canonical_url"].removeprefix(f"http://127.0.0.1:{port}") for c in changes} == edited
    assert len(edited) == 3 and {c["change"] for c in changes} == {"edited"}
    _check_metrics(newsdesk("stats", "--db", str(db), "--format", "prometheus", cwd=tmp_path).stdout, names, expected)
    _check_paywall_and_reservations(db, tmp_path, expected)


def _check_paywall_and_reservations(db, tmp_path, expected) -> None:
    """The demo's paywalled article and its publisher reserving TDM rights, in stats and the report."""
    listed = newsdesk("stats", "--db", str(db), "--format", "json", cwd=tmp_path).stdout.splitlines()
    health = {row["source"]: row for row in map(json.loads, listed)}
    paywalled = {name: row["articles_paywalled"] for name, row in health.items() if row["articles_paywalled"]}
    reserved = {name: row["articles_tdm_reserved"] for name, row in health.items() if row["articles_tdm_reserved"]}
    assert paywalled == {"harbourton-herald-business": 1}
    assert reserved == {"lindenbruecker-bote-aktuell": expected.articles_per_source["lindenbruecker-bote-aktuell"]}
    report = tmp_path / "report.html"
    assert newsdesk("report", "--db", str(db), "--out", str(report), cwd=tmp_path).returncode == 0
    assert "<th>paywalled</th><th>TDM reserved</th>" in report.read_text(encoding="utf-8")


def _check_metrics(text: str, names: list[str], expected) -> None:
    """The demo's metrics parse, and every source has its articles and both runs' polls."""
    from tests.support.metrics import by_source, values

    articles = by_source(text, "newsdesk_source_articles_total")
    assert set(articles) == set(names) and sum(articles.values()) >= expected.distinct_articles
    assert by_source(text, "newsdesk_source_polls_total") == dict.fromkeys(names, 2.0)
    assert values(text, "newsdesk_runs_total", outcome="ok") == [2.0]

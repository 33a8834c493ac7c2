"""End to end: the real flow against the loopback newsroom, into a temporary warehouse."""

from __future__ import annotations

import warehouse
import pytest

from flows.demo.catalog import load, too_old
from flows.ingest import RunFailed
from tests.support.ingest import rows, run_ingest, scalar, write_sources

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture
def warehouse_of(tmp_path, newsroom):
    """The newsroom ingested once: (sources path, db path, first summary)."""
    path = write_sources(tmp_path, newsroom.sources())
    summary = run_ingest(path)
    return path, tmp_path / "news", summary


def test_every_distinct_article_lands_once(warehouse_of, newsroom):
    _, db, summary = warehouse_of
    expected = newsroom.expected()
    assert summary.outcome == "ok"
    assert scalar(db, "SELECT count(*) FROM articles") == expected.distinct_articles
    per_source = dict(
        rows(
            db,
            "SELECT e.source, count(DISTINCT ea.article_id) FROM feed_entries e "
            "JOIN entry_articles ea USING (entry_key) GROUP BY ALL",
        )
    )
    assert per_source == expected.articles_per_source
    assert scalar(db, "SELECT outcome FROM runs") == "ok"
    assert scalar(db, "SELECT count(*) FROM polls WHERE error IS NULL") == len(newsroom.sources())


def test_syndicated_exact_copies_are_one_article_with_url_aliases(warehouse_of, newsroom):
    _, db, _ = warehouse_of
    syndicated = newsroom.expected().syndicated_urls
    assert len(syndicated) >= 3
    ids = rows(db, "SELECT DISTINCT article_id FROM article_urls WHERE url IN (SELECT unnest(?))", list(syndicated))
    assert len(ids) == 1
    assert scalar(db, "SELECT count(*) FROM article_urls WHERE article_id = ?", ids[0][0]) >= len(syndicated)


def test_wire_story_is_one_story_in_v_stories_with_every_outlet_and_cut_copy(warehouse_of, newsroom):
    _, db, _ = warehouse_of
    [(wire_articles, outlets)] = newsroom.expected().wire_stories.values()
    assert wire_articles == 3, "one article for the exact copies, one each for the cut copies"
    story = scalar(
        db,
        "SELECT a.story_id FROM article_urls u JOIN articles a USING (article_id) WHERE u.url = ?",
        newsroom.expected().syndicated_urls[0],
    )
    found = rows(db, "SELECT articles, sources, source_names FROM v_stories WHERE story_id = ?", story)
    assert found == [(wire_articles, len(outlets), list(outlets))]
    assert scalar(db, "SELECT count(*) FROM v_stories") == scalar(db, "SELECT count(*) FROM articles") - 2


def test_story_in_two_feeds_and_tracking_variants_are_one_article(warehouse_of):
    _, db, _ = warehouse_of
    shared = rows(
        db,
        "SELECT ea.article_id, count(DISTINCT e.source) FROM entry_articles ea "
        "JOIN feed_entries e USING (entry_key) GROUP BY 1 HAVING count(DISTINCT e.source) > 1",
    )
    assert shared, "some article should be listed by two feeds"
    tracked = rows(db, "SELECT link, canonical_link FROM feed_entries WHERE link LIKE '%utm_%'")
    assert tracked
    for _, canonical in tracked:
        assert "utm_" not in canonical
        assert (
            scalar(
                db, "SELECT count(*) FROM articles a JOIN article_urls u USING (article_id) WHERE u.url = ?", canonical
            )
            == 1
        )


def test_missing_page_is_kept_as_a_dead_letter(warehouse_of, newsroom):
    _, db, summary = warehouse_of
    missing = newsroom.expected().missing_urls
    queued = rows(db, "SELECT url, state, last_status, last_error FROM fetch_queue WHERE stage = 'fetch'")
    assert {(url, state, status) for url, state, status, _ in queued} == {(u, "dead", 404) for u in missing}
    assert summary.total("fetch_failures") == len(missing)


def test_news_sitemap_adds_the_articles_its_feed_leaves_out_and_never_fetches_old_ones(warehouse_of, newsroom):
    _, db, _ = warehouse_of
    catalog = load()
    only_in_sitemap = [a for a in catalog.articles if {item.feed for item in a.listings} == {"westmere-times-sitemap"}]
    old = {a.path for a in only_in_sitemap if too_old(catalog, a)}
    fresh = {newsroom.base_url + a.path for a in only_in_sitemap} - {newsroom.base_url + path for path in old}
    loaded = {url for (url,) in rows(db, "SELECT url FROM article_urls WHERE source = 'westmere-times-sitemap'")}
    assert len(fresh) == 3 and fresh <= loaded
    assert len(old) == 2 and not old & {r.path for r in newsroom.requests}
    languages = rows(db, "SELECT DISTINCT language FROM feed_entries WHERE source = 'westmere-times-sitemap'")
    assert languages == [("en",)], "news:language is kept with the entry"


def test_rerun_adds_nothing_fetches_no_page_and_gets_304s(warehouse_of, newsroom):
    path, db, _ = warehouse_of
    before = scalar(db, "SELECT count(*) FROM articles")
    already = len(newsroom.requests)
    again = run_ingest(path)
    second_run = newsroom.requests[already:]
    feed_paths = {s["url"].removeprefix(newsroom.base_url) for s in newsroom.sources()}
    assert {r.path for r in second_run} <= feed_paths, "no page may be fetched again"
    assert scalar(db, "SELECT count(*) FROM articles") == before
    assert again.total("articles_new") == 0 and again.total("entries_new") == 0
    statuses = [r.status for r in second_run]
    assert statuses.count(304) >= len(feed_paths) - 1
    assert again.total("not_modified") == statuses.count(304)
    conditional = [r for r in second_run if r.status == 304]
    assert all("if-none-match" in {k.lower() for k in r.headers} for r in conditional)


def test_failing_source_does_not_stop_the_others(tmp_path, newsroom):
    broken = newsroom.sources()[0]
    newsroom.route(broken["url"].removeprefix(newsroom.base_url), status=500, body="oops")
    summary = run_ingest(write_sources(tmp_path, newsroom.sources()))
    db = tmp_path / "news"
    assert summary.outcome == "partial"
    assert scalar(db, "SELECT count(*) FROM articles") > 0
    state = rows(
        db,
        "SELECT consecutive_failures, last_error, next_poll_at > last_polled_at FROM feed_state WHERE source = ?",
        broken["name"],
    )
    assert state == [(1, "HTTP 500", True)]
    assert scalar(db, "SELECT error FROM polls WHERE source = ?", broken["name"]) == "HTTP 500"


def test_run_fails_when_every_source_fails(tmp_path, newsroom):
    for source in newsroom.sources():
        newsroom.route(
            source["url"].removeprefix(newsroom.base_url),
            status=200,
            body="<html><body>This is not a feed</body></html>",
            headers={"Content-Type": "text/html"},
        )
    with pytest.raises(RunFailed):
        run_ingest(write_sources(tmp_path, newsroom.sources()))
    assert scalar(tmp_path / "news", "SELECT outcome FROM runs") == "failed"
    errors = {error for (error,) in rows(tmp_path / "news", "SELECT DISTINCT error FROM polls")}
    assert errors == {
        "not a readable feed: HTML page, not a feed",
        "not a readable sitemap: an HTML page, not a sitemap",
    }


def test_transient_page_failure_is_retried_in_a_later_run(tmp_path, newsroom):
    source = newsroom.sources()[0]
    path = write_sources(tmp_path, [source])
    db = tmp_path / "news"
    first = run_ingest(path)
    victim = rows(db, "SELECT url FROM article_urls WHERE source = ? AND kind = 'canonical' LIMIT 1", source["name"])[
        0
    ][0]
    # Forget that article, then make its page fail once.
    with warehouse.writing(db) as con:
        con.execute(
            "DELETE FROM entry_articles WHERE article_id IN (SELECT article_id FROM article_urls WHERE url = ?)",
            [victim],
        )
        con.execute("DELETE FROM articles WHERE canonical_url = ?", [victim])
        con.execute("DELETE FROM article_urls WHERE article_id NOT IN (SELECT article_id FROM articles)")
        con.execute("DELETE FROM feed_entries WHERE canonical_link = ?", [victim])
        con.execute("UPDATE feed_state SET etag = NULL, last_modified = NULL")
    newsroom.route(victim.removeprefix(newsroom.base_url), status=503, headers={"Retry-After": "0"})
    second = run_ingest(path)
    assert second.total("fetch_failures") == 1
    assert rows(
        db, "SELECT state, attempts, last_status FROM fetch_queue WHERE stage = 'fetch' AND last_status = 503"
    ) == [("retry", 1, 503)]
    newsroom.route(victim.removeprefix(newsroom.base_url), status=200, body=_page_of(newsroom, first, victim))
    with warehouse.writing(db) as con:
        con.execute("UPDATE fetch_queue SET next_attempt_at = now() - INTERVAL 1 MINUTE")
    run_ingest(path)
    assert scalar(db, "SELECT count(*) FROM articles WHERE canonical_url = ?", victim) == 1
    assert scalar(db, "SELECT count(*) FROM fetch_queue WHERE last_status = 503") == 0


def _page_of(newsroom, summary, url):
    """The page the newsroom served for `url` before the test broke it."""
    from flows.demo.site import Newsroom

    with Newsroom() as fresh:
        import httpx

        return httpx.get(fresh.base_url + url.removeprefix(newsroom.base_url)).text.replace(
            fresh.base_url, newsroom.base_url
        )


def test_run_leaves_a_prefect_table_artifact_and_links_the_flow_run(warehouse_of, newsroom):
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    _, db, summary = warehouse_of

    async def latest():
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["newsdesk-ingest-summary"])),
                sort="CREATED_DESC",
                limit=1,
            )
            return found[0]

    artifact = asyncio.run(latest())
    assert artifact.type == "table" and summary.run_id in artifact.description
    table = artifact.data if isinstance(artifact.data, list) else __import__("json").loads(artifact.data)
    assert {row["source"] for row in table} == {s["name"] for s in newsroom.sources()}
    assert str(artifact.flow_run_id) == scalar(db, "SELECT flow_run_id FROM runs")


def test_raw_pages_are_kept_compressed_and_reextract_updates_articles_in_place(warehouse_of, monkeypatch):
    import zstandard

    from flows import extract, reextract

    monkeypatch.setattr(reextract, "CHUNK", 3)  # read the pages in several chunks

    path, db, _ = warehouse_of
    stored = rows(db, "SELECT count(*), sum(html_bytes) > sum(octet_length(html_zstd)) FROM pages")[0]
    assert stored == (scalar(db, "SELECT count(*) FROM articles"), True)
    html = zstandard.ZstdDecompressor().decompress(rows(db, "SELECT html_zstd FROM pages LIMIT 1")[0][0])
    assert html.lstrip().lower().startswith(b"<!doctype html")
    victim, source = rows(db, "SELECT article_id, source FROM articles ORDER BY article_id LIMIT 1")[0]
    good_body = scalar(db, "SELECT body FROM articles WHERE article_id = ?", victim)
    with warehouse.writing(db) as con:
        con.execute(
            "UPDATE articles SET body = 'stale', title = 'stale', extractor_version = 'old' WHERE article_id = ?",
            [victim],
        )
    report = reextract.reextract(db, source, None, 250, 10)
    assert report.failed == [] and report.changed == 1
    assert report.pages == scalar(db, "SELECT count(*) FROM articles WHERE source = ?", source)
    body, title, version = rows(db, "SELECT body, title, extractor_version FROM articles WHERE article_id = ?", victim)[
        0
    ]
    assert body == good_body and title != "stale" and version == extract.EXTRACTOR_VERSION
    assert scalar(db, "SELECT extractor_version FROM pages WHERE article_id = ?", victim) == version


def test_export_round_trips_through_parquet_jsonl_and_csv(warehouse_of, tmp_path):
    import json
    import subprocess
    import sys

    from tests.support.cli import ROOT

    _, db, _ = warehouse_of

    def export(*args):
        return subprocess.run(
            [sys.executable, "-m", "flows.cli", "export", "--db", str(db), *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )

    assert export("--format", "parquet", "--out", str(tmp_path / "pq")).returncode == 0
    with warehouse.reading(db) as con:
        back = con.execute(
            f"SELECT * EXCLUDE (published_date) FROM read_parquet('{tmp_path}/pq/**/*.parquet', "
            "hive_partitioning = true) ORDER BY article_id"
        ).fetchall()
        original = con.execute("SELECT * FROM articles ORDER BY article_id").fetchall()
    assert back == original
    assert all(p.name.startswith("published_date=") for p in (tmp_path / "pq").iterdir())
    since = export("--format", "jsonl", "--out", str(tmp_path / "a.jsonl"), "--since", "2026-11-25")
    assert since.returncode == 0, since.stderr
    lines = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert lines and all(line["published_at"] >= "2026-11-25" for line in lines)
    assert len(lines) == scalar(db, "SELECT count(*) FROM articles WHERE published_at >= '2026-11-25'")
    assert export("--format", "csv", "--out", str(tmp_path / "h.csv"), "--table", "v_source_health").returncode == 0
    assert (tmp_path / "h.csv").read_text().startswith("source,enabled,")
    bad = export("--format", "csv", "--out", str(tmp_path / "x.csv"), "--table", "schema_version")
    assert bad.returncode == 2 and "cannot export 'schema_version'" in bad.stderr

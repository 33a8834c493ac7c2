"""The warehouse's one schema definition against what a new warehouse has, and the row
builders, the loader and the state records against both: a column added in one place and
not the others fails here, and so does a key stored twice."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timezone

import pytest

import warehouse
from warehouse import rows as warehouse_rows
from warehouse.records import SitemapChild
from flows import batches
from flows.identity import dedup
from flows.plan import pagejobs
from flows.plan.feedstate import SourcePoll
from flows.records import (
    EntryRef,
    FeedEntry,
    FeedPoll,
    HostHold,
    Outcome,
    Page,
    PageJob,
    PageResult,
    ParsedFeed,
    RunSummary,
    Source,
    SourceReport,
    Stage,
)
from tests.support.stories import article_record
from warehouse import schema, store
from warehouse.records import FeedState, QueuedPage

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
FILLED_BY_THE_WAREHOUSE = {"articles": {"story_id"}}  # the story matcher assigns it while loading


@pytest.fixture(scope="module")
def described(tmp_path_factory) -> dict[str, list[tuple[str, str, bool, bool]]]:
    """(name, type, nullable) of every column of every table a new warehouse has."""
    with warehouse.writing(tmp_path_factory.mktemp("schema") / "w") as con:
        tables = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchall()
        ]
        return {
            table: [
                (name, type_, null == "YES") for name, type_, null, *_ in con.execute(f"DESCRIBE {table}").fetchall()
            ]
            for table in tables
        }


def test_every_table_is_declared_once_and_built_as_declared(described):
    assert sorted(described) == sorted(table.name for table in schema.ALL)
    for table in schema.ALL:
        assert described[table.name] == [(c.name, c.type, c.nullable) for c in table.columns], table.name


def test_loading_the_same_rows_twice_stores_every_key_once(tmp_path):
    written = _written()
    with warehouse.writing(tmp_path / "w") as con:
        for _ in range(2):
            store.load(con, written)
        for table in schema.LOADED:
            keys = ", ".join(table.key)
            total, distinct = con.execute(f"SELECT count(*), count(DISTINCT ({keys})) FROM {table.name}").fetchone()
            sent = {tuple(row[k] for k in table.key) for row in written[table.name]}
            assert total == distinct == len(sent) > 0, table.name


def test_state_records_are_their_tables_columns():
    assert tuple(f.name for f in fields(FeedState)) == schema.FEED_STATE.column_names
    assert tuple(f.name for f in fields(QueuedPage)) == schema.FETCH_QUEUE.column_names


def test_the_rows_a_run_writes_fill_exactly_the_declared_columns(described):
    written = _written()
    assert set(written) == {table.name for table in schema.LOADED}
    for name, rows in written.items():
        assert rows, f"no sample row for {name}"
        expected = {column for column, *_ in described[name]} - FILLED_BY_THE_WAREHOUSE.get(name, set())
        for row in rows:
            assert set(row) == expected, name


def _written() -> dict[str, list[dict]]:
    """What one batch and then the run's close write, table by table (both write entries)."""
    written: dict[str, list[dict]] = {}
    for tables in (_batch_tables(), _closing_tables()):
        for name, rows in tables.items():
            written.setdefault(name, []).extend(rows)
    for table in ("robots_txt", "tdmrep_files"):
        written[table] = warehouse_rows.host_files({"a.example": (200, "")}, NOW)
    return written


def _batch_tables() -> dict[str, list[dict]]:
    entry = FeedEntry("https://a.example/1", guid="1", title="One", published=NOW)
    keyed = pagejobs.KeyedEntry("a", "a|guid|1", entry, "https://a.example/1")
    good = PageJob(entry.link, (EntryRef("a", keyed.key),), entry)
    bad = PageJob("https://a.example/2", (EntryRef("a", "a|guid|2"),))
    results = [
        PageResult(
            good,
            Page(good.url, good.url, 200, {"content-type": "text/html"}, b"<p>x</p>", NOW),
            article_record(good.url, "a story about the harbour"),
        ),
        PageResult(
            bad, Page(bad.url, None, 503, fetched_at=NOW, transient=True), failed_stage=Stage.FETCH, error="HTTP 503"
        ),
    ]
    return batches.batch_tables("run-1", results, dedup.resolve(results, {}, {}), [keyed], NOW)


def _closing_tables() -> dict[str, list[dict]]:
    source = Source("a", "https://a.example/feed")
    feed = ParsedFeed("rss20", "A", (FeedEntry("https://a.example/3"),))
    child = SitemapChild("a", "https://a.example/sitemap-1.xml", NOW, '"v1"', None, NOW)
    polls = [SourcePoll(source, FeedPoll("a", source.feed_url, 200, b"<rss/>"), feed, sitemaps_read=(child,))]
    plan = pagejobs.plan_pages(pagejobs.keyed_entries(polls), set(), {"https://a.example/3": "known"}, [])
    summary = RunSummary(
        "run-1",
        NOW,
        NOW,
        Outcome.OK,
        (SourceReport("a"),),
        0,
        1,
        "w.duckdb",
        host_holds=(HostHold("b.example", NOW, "429s from 3 URLs"),),
    )
    return batches.closing_tables(summary, None, [source], polls, {}, plan)

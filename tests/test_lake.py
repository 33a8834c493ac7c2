"""The warehouse as a DuckLake: readers keep their connections across runs, earlier snapshots
stay readable, maintenance keeps the files few, and old single-file warehouses convert."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import duckdb
import pytest

import warehouse
from tests.support.cli import ROOT, newsdesk
from tests.support.ingest import write_sources
from warehouse import legacy, maintenance, store
from warehouse.records import SharedWarehouse


def attached(db) -> duckdb.DuckDBPyConnection:
    """A connection as an analyst's notebook opens it: the SQL `newsdesk warehouse attach-sql` prints."""
    printed = newsdesk("warehouse", "attach-sql", "--db", str(db))
    assert printed.returncode == 0, printed.stderr
    con = duckdb.connect()
    con.execute(printed.stdout)
    return con


@pytest.mark.prefect
def test_a_reader_held_open_across_three_runs_sees_each_load(tmp_path, newsroom, prefect_env):
    feeds = newsroom.sources()
    path = write_sources(tmp_path, feeds)
    db = tmp_path / "news"
    first = newsdesk("run", "--sources", str(path), "--source", feeds[0]["name"], env=prefect_env)
    assert first.returncode == 0, first.stderr
    reader = attached(db)
    seen = [reader.execute("SELECT count(*) FROM articles").fetchone()[0]]
    for feed in feeds[1:4]:
        run = newsdesk("run", "--sources", str(path), "--source", feed["name"], env=prefect_env)
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr
        seen.append(reader.execute("SELECT count(*) FROM articles").fetchone()[0])
    reader.close()
    assert seen == sorted(seen) and len(set(seen)) == 4, f"each run's articles visible at once: {seen}"


@pytest.mark.slow
def test_query_as_of_reads_the_warehouse_as_it_was(tmp_path):
    db = tmp_path / "news"
    _load_sources(db, ["early"])
    between = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
    _load_sources(db, ["late"])
    now = newsdesk("query", "--db", str(db), "--format", "csv", "SELECT name FROM sources ORDER BY name")
    assert now.stdout.splitlines() == ["name", "early", "late"]
    moment = datetime.fromisoformat(between).replace(tzinfo=timezone.utc)
    with warehouse.writing(db) as con:
        maintenance.maintain(con, keep_days=1)  # the moment is inside the window: kept
    with warehouse.reading(db, as_of=moment) as con:
        assert con.execute("SELECT name FROM sources").fetchall() == [("early",)]


def test_a_read_sees_one_snapshot_while_a_load_commits(tmp_path):
    db = tmp_path / "news"
    _load_sources(db, ["early"])
    with warehouse.reading(db) as con:
        before = con.execute("SELECT name FROM sources").fetchall()
        _load_sources(db, ["late"])
        assert con.execute("SELECT name FROM sources").fetchall() == before == [("early",)]
    with warehouse.reading(db) as con:
        assert con.execute("SELECT count(*) FROM sources").fetchone()[0] == 2


@pytest.mark.slow
def test_maintenance_merges_small_files_and_a_held_reader_keeps_working(tmp_path):
    db = tmp_path / "news"
    for n in range(30):
        _load_sources(db, [f"s{n:02d}-{i}" for i in range(12)])  # > 10 rows: a Parquet file, not inlined
    reader = attached(db)
    assert reader.execute("SELECT count(*) FROM sources").fetchone()[0] == 360
    with warehouse.writing(db) as con:
        done = maintenance.maintain(con, keep_days=0)
    assert done.files_after < done.files_before / 5, done
    assert done.snapshots_expired > 0, done
    assert reader.execute("SELECT count(*) FROM sources").fetchone()[0] == 360
    with warehouse.writing(db) as con:
        assert not maintenance.due(con, every=timedelta(hours=1)), "it remembers when it last ran"


def test_maintenance_waits_for_reads_under_way(tmp_path):
    """DuckLake gives a read transaction begun before a merge the wrong rows, without an error:
    maintenance waits until our reads have ended."""
    db = tmp_path / "news"
    for n in range(5):
        _load_sources(db, [f"s{n}-{i}" for i in range(12)])
    _load_sources(db, ["harbour", "valley", "coast"])  # a few rows: kept inside the catalog
    with warehouse.reading(db) as reader:
        assert reader.execute("SELECT count(*) FROM sources").fetchone()[0] == 63
        with pytest.raises(warehouse.WarehouseBusy, match="maintenance did not start"):
            with warehouse.readers_paused(db, wait_seconds=0.3), warehouse.writing(db) as con:
                maintenance.maintain(con, keep_days=7)
        assert reader.execute("SELECT count(*) FROM sources").fetchone()[0] == 63
    with warehouse.readers_paused(db, wait_seconds=0.3), warehouse.writing(db) as con:
        done = maintenance.maintain(con, keep_days=7)
    assert done.files_after < done.files_before
    with warehouse.reading(db) as reader:
        assert reader.execute("SELECT count(*) FROM sources").fetchone()[0] == 63


def test_warehouse_maintain_does_not_start_while_a_read_goes_on(tmp_path):
    db, sources = tmp_path / "news", tmp_path / "sources.yaml"
    sources.write_text(f"settings:\n  warehouse: {db}\n  lock_wait_seconds: 0.5\nsources: []\n")
    _load_sources(db, ["harbour"])
    with warehouse.reading(db):
        held = newsdesk("warehouse", "maintain", "--sources", str(sources))
    assert held.returncode == 1 and "maintenance did not start" in held.stderr, held.stderr
    assert "Traceback" not in held.stderr
    assert newsdesk("warehouse", "maintain", "--sources", str(sources)).returncode == 0


@pytest.mark.slow
def test_maintenance_leaves_files_of_the_merged_size_alone(tmp_path):
    db = tmp_path / "news"
    for n in range(6):
        _load_sources(db, [f"s{n:02d}-{i}" for i in range(12)])
    with warehouse.writing(db) as con:
        maintenance.maintain(con, keep_days=0)
        (merged, size) = _source_files(con)[0]
    for n in range(6, 12):
        _load_sources(db, [f"s{n:02d}-{i}" for i in range(12)])
    with warehouse.writing(db) as con:
        maintenance.maintain(con, keep_days=0, merge_below_bytes=size)
        files = _source_files(con)
    assert merged in dict(files), "a file of the merged size is not read and rewritten again"
    assert len(files) == 2, f"the newer small files merged among themselves: {files}"
    with warehouse.reading(db) as con:
        assert con.execute("SELECT count(*) FROM sources").fetchone()[0] == 144


def test_maintenance_moves_small_commits_out_of_the_catalog(tmp_path):
    """Commits of a few rows are kept inside the catalog, which every query reads whole: a
    warehouse loading a few articles per run would make each query slower run after run."""
    db = tmp_path / "news"
    for _ in range(4):  # a run brings each source's row up to date
        _load_sources(db, ["harbour", "valley", "coast"])
    with warehouse.writing(db) as con:
        assert _rows_in_catalog(con, "sources") == 3
        maintenance.maintain(con, keep_days=7)
        assert _rows_in_catalog(con, "sources") == 0
    with warehouse.reading(db) as con:
        assert con.execute("SELECT count(*) FROM sources").fetchone()[0] == 3


def test_maintenance_with_nothing_loaded_since_adds_no_file(tmp_path):
    db = tmp_path / "news"
    _load_sources(db, ["harbour", "valley", "coast"])
    with warehouse.writing(db) as con:
        counts = [maintenance.maintain(con, keep_days=7).files_after for _ in range(6)]
    assert len(set(counts[2:])) == 1, f"data files after each maintenance: {counts}"


def test_maintain_and_reextract_need_only_the_warehouse(tmp_path):
    db, empty = tmp_path / "news", tmp_path / "elsewhere"
    empty.mkdir()
    _load_sources(db, ["harbour"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    maintained = newsdesk("warehouse", "maintain", "--db", str(db), cwd=empty, env=env)
    assert maintained.returncode == 0, maintained.stderr
    assert "snapshots expired (kept 7 days)" in maintained.stdout
    reextracted = newsdesk("reextract", "--db", str(db), cwd=empty, env=env)
    assert reextracted.returncode == 0, reextracted.stderr
    assert "0 pages re-extracted" in reextracted.stdout


def _rows_in_catalog(con, table: str) -> int:
    tables = con.execute(
        "SELECT i.table_name FROM __ducklake_metadata_news.ducklake_inlined_data_tables i "
        "JOIN __ducklake_metadata_news.ducklake_table t USING (table_id) "
        "WHERE t.table_name = ? AND t.end_snapshot IS NULL",
        [table],
    ).fetchall()
    return sum(
        con.execute(f"SELECT count(*) FROM __ducklake_metadata_news.{name} WHERE end_snapshot IS NULL").fetchone()[0]
        for (name,) in tables
    )


def _source_files(con) -> list[tuple[str, int]]:
    return con.execute(
        "SELECT f.path, f.file_size_bytes FROM __ducklake_metadata_news.ducklake_data_file f "
        "JOIN __ducklake_metadata_news.ducklake_table t USING (table_id) "
        "WHERE t.table_name = 'sources' AND f.end_snapshot IS NULL AND t.end_snapshot IS NULL ORDER BY f.path"
    ).fetchall()


@pytest.mark.slow
def test_a_single_file_warehouse_is_refused_with_how_to_convert_it(tmp_path):
    old = _old_warehouse(tmp_path / "old.duckdb")
    result = newsdesk("query", "--db", str(old), "SELECT 1")
    assert result.returncode == 1 and "newsdesk warehouse import" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_import_copies_every_table_of_a_single_file_warehouse(tmp_path):
    old = _old_warehouse(tmp_path / "old.duckdb")
    result = newsdesk("warehouse", "import", str(old), "--db", str(tmp_path / "news"))
    assert result.returncode == 0, result.stderr
    assert "articles: 1 rows" in result.stdout and "sources: 2 rows" in result.stdout
    with warehouse.reading(tmp_path / "news") as con:
        assert con.execute("SELECT title FROM articles").fetchall() == [("Harbour wall repaired",)]
        assert con.execute("SELECT count(*) FROM search_docs").fetchone()[0] == 1
    again = newsdesk("warehouse", "import", str(old), "--db", str(tmp_path / "news"))
    assert again.returncode == 1 and "already holds articles" in again.stderr


def _load_sources(db, names: list[str]) -> None:
    now = datetime.now(timezone.utc)
    rows = [
        {
            "name": name,
            "feed_url": f"https://{name}.example/feed",
            "site": None,
            "category": None,
            "language": None,
            "enabled": True,
            "synced_at": now,
        }
        for name in names
    ]
    with warehouse.writing(db) as con:
        store.load(con, {"sources": rows})


def _old_warehouse(path):
    """A warehouse file as newsdesk made it before the lake: its own migrations, a few rows."""
    legacy._bring_up_to_date(path)
    with duckdb.connect(str(path)) as con:
        con.execute(
            "INSERT INTO sources VALUES ('a', 'https://a.example/f', NULL, NULL, 'en', true, now()), "
            "('b', 'https://b.example/f', NULL, NULL, NULL, true, now())"
        )
        con.execute(
            "INSERT INTO articles (article_id, canonical_url, url, source, title, body, word_count, "
            "content_hash, extractor_version, run_id, fetched_at) VALUES ('a1', 'https://a.example/1', "
            "'https://a.example/1', 'a', 'Harbour wall repaired', 'The wall is repaired.', 4, 'h', 'v', "
            "'r1', now())"
        )
        con.execute("INSERT INTO search_docs VALUES (1, 'a1', 3, 4)")
    return path


@pytest.fixture
def postgres_catalog():
    from tests.support import postgres

    try:
        with postgres.throwaway() as dsn:
            yield dsn
    except postgres.NoPostgres as exc:
        pytest.skip(f"shared warehouse test needs PostgreSQL: {exc}")


@pytest.mark.prefect
@pytest.mark.slow
def test_two_runs_at_once_into_a_shared_warehouse_store_each_thing_once(
    tmp_path, newsroom, prefect_env, postgres_catalog
):
    (tmp_path / "single").mkdir()
    single = write_sources(tmp_path / "single", newsroom.sources())
    assert newsdesk("run", "--sources", str(single), env=prefect_env).returncode == 0
    shared = SharedWarehouse(postgres_catalog, str(tmp_path / "shared-data"))
    (tmp_path / "shared").mkdir()
    path = write_sources(
        tmp_path / "shared",
        newsroom.sources(),
        warehouse={"catalog": f"postgres:{shared.catalog}", "data_path": shared.data_path},
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "run", "--sources", str(path)],
            env=prefect_env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for run in runs:
        _, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, stderr
    checks = {"articles": "canonical_url", "feed_entries": "entry_key", "fetch_queue": "url", "article_urls": "url"}
    with warehouse.reading(tmp_path / "single" / "news") as con:
        expected = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in checks}
    with warehouse.reading(shared) as con:
        for table, key in checks.items():
            total, distinct = con.execute(f"SELECT count(*), count(DISTINCT {key}) FROM {table}").fetchone()
            assert (total, distinct) == (expected[table], expected[table]), table


@pytest.mark.slow
def test_a_copied_warehouse_folder_opens_where_it_now_is(tmp_path):
    import shutil

    _load_sources(tmp_path / "news", ["early"])
    shutil.copytree(tmp_path / "news", tmp_path / "copy")
    shutil.rmtree(tmp_path / "news")
    _load_sources(tmp_path / "copy", ["late"])
    result = newsdesk("query", "--db", str(tmp_path / "copy"), "--format", "csv", "SELECT name FROM sources ORDER BY 1")
    assert result.stdout.splitlines() == ["name", "early", "late"], result.stderr

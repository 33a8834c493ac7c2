"""Full-text search: ranking, an index that follows every load, filters, the SQL macro."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

import warehouse
from tests.support.cli import newsdesk
from warehouse import schema, search, store

FILLER = (
    "The committee met on Tuesday evening and went through the agenda item by item. "
    "Members asked for more detail on the figures before the next meeting. "
)


def article(number: int, title: str, body: str, source: str = "herald", day: int = 26) -> dict:
    published = datetime(2026, 11, day, 9, 30, tzinfo=timezone.utc)
    return {
        "article_id": f"art-{number}",
        "canonical_url": f"https://news.example/{number}",
        "url": f"https://news.example/{number}",
        "source": source,
        "title": title,
        "authors": [],
        "published_at": published,
        "fetched_at": published,
        "body": body,
        "word_count": len(body.split()),
        "content_hash": f"hash-{number}",
        "extractor_version": "test",
        "run_id": "run-1",
    }


def load(db: Path, *articles: dict) -> None:
    with warehouse.writing(db) as con:
        store.load(con, {"articles": list(articles)})


def found(db: Path, terms: str, **filters) -> list[str]:
    with warehouse.reading(db) as con:  # a fresh connection each time, as the CLI makes
        search.load_extension(con)
        return [hit.article_id for hit in search.search(con, terms, **filters).hits]


@pytest.fixture
def newsroom_db(tmp_path) -> Path:
    db = tmp_path / "w"
    load(
        db,
        article(1, "Lighthouse keepers return to Gull Point", FILLER * 3 + "The keepers start in spring."),
        article(
            2,
            "Council sets next year's budget",
            FILLER * 2 + "A lighthouse tour was mentioned in passing. " + FILLER,
            source="courier",
            day=24,
        ),
        article(3, "Ferry timetable changes", FILLER * 4 + "Passengers queued at the pontoon.", day=25),
    )
    return db


def test_a_title_hit_ranks_above_a_passing_mention(newsroom_db):
    assert found(newsroom_db, "lighthouse") == ["art-1", "art-2"]
    assert found(newsroom_db, "lighthouses") == ["art-1", "art-2"]  # stemmed alike
    assert found(newsroom_db, "Leuchtturm") == []


def test_the_index_follows_articles_loaded_after_it_was_built(newsroom_db):
    assert found(newsroom_db, "regatta") == []
    load(newsroom_db, article(4, "Winter regatta draws forty boats", FILLER * 2))
    assert found(newsroom_db, "regatta") == ["art-4"]
    assert found(newsroom_db, "lighthouse") == ["art-1", "art-2"]
    with warehouse.reading(newsroom_db) as con:
        assert con.execute("SELECT count(*) FROM search_docs").fetchone()[0] == 4


def test_reextracted_text_replaces_the_old_terms(newsroom_db):
    changed = article(3, "Ferry timetable changes", FILLER + "The catamaran now sails hourly.")
    with warehouse.writing(newsroom_db) as con:
        store.update_articles(con, [{key: changed.get(key) for key in ("article_id", *schema.EXTRACTED)}])
    assert found(newsroom_db, "catamaran") == ["art-3"]
    assert found(newsroom_db, "pontoon") == []
    with warehouse.reading(newsroom_db) as con:
        assert con.execute("SELECT count(*) FROM search_docs").fetchone()[0] == 3


def test_a_load_without_the_extension_succeeds_and_a_later_load_catches_up(tmp_path, monkeypatch):
    db = tmp_path / "w"
    load(db, article(1, "Lighthouse keepers return", FILLER))
    monkeypatch.setattr(search.duckdb, "__version__", "0.0.1")
    with pytest.raises(search.SearchUnavailable, match=r"built for duckdb 0\.0\.1.*v\d+\.\d+\.\d+"):
        search.extension_path()
    load(db, article(2, "Lighthouse lamp restored", FILLER))
    monkeypatch.undo()
    with warehouse.reading(db) as con:
        search.load_extension(con)
        assert search.search(con, "lighthouse").unindexed == 1
    load(db)
    assert sorted(found(db, "lighthouse")) == ["art-1", "art-2"]


@pytest.mark.slow
def test_search_command_filters_by_day_and_source(newsroom_db):
    def hits(*args: str) -> list[dict]:
        result = newsdesk("search", "lighthouse", "--db", str(newsroom_db), "--format", "json", *args)
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]

    every = hits()
    assert [h["rank"] for h in every] == [1, 2] and every[0]["title"].startswith("Lighthouse keepers")
    assert set(every[0]) == {"rank", "score", "published_at", "source", "title", "url"}
    assert [h["url"] for h in hits("--since", "2026-11-25")] == ["https://news.example/1"]
    assert [h["source"] for h in hits("--source", "courier")] == ["courier"]
    assert len(hits("--limit", "1")) == 1
    table = newsdesk("search", "lighthouse", "--db", str(newsroom_db))
    assert "Lighthouse keepers return to Gull Point" in table.stdout and "2 articles" in table.stdout


def test_the_sql_macro_works_in_newsdesk_query(newsroom_db):
    result = newsdesk(
        "query",
        "--db",
        str(newsroom_db),
        "--format",
        "csv",
        "SELECT article_id, source FROM search_articles('lighthouse keepers')",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["article_id,source", "art-1,herald", "art-2,courier"]


def test_the_index_sees_letters_only_lower_case_and_without_accents(tmp_path):
    with warehouse.writing(tmp_path / "w") as con:
        text = "--Ça va? Déjà-vu, x1y2 straße\u00a0Ｆｕｌｌ\ttab!"
        words = con.execute("SELECT search_words(?)", [text]).fetchone()[0]
        empty = con.execute("SELECT search_words(NULL), search_words(' 123 -- ')").fetchone()
    assert words == ["ca", "va", "deja", "vu", "x", "y", "straße", "ｆｕｌｌ", "tab"]
    assert empty == ([], [])

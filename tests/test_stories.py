"""Story ids in the warehouse: later batches find their story by band key, from a fresh connection."""

from __future__ import annotations

from datetime import timedelta

import pytest

import warehouse
from flows.identity.dedup import content_hash
from flows.identity.neardup import Presketched
from tests.support.stories import BODY, BOILERPLATE, OTHER_STORY, RULES, START, STORY, THIRD_STORY, article, load
from warehouse import schema, store


def story_ids(path) -> dict[str, str]:
    with warehouse.reading(path) as con:
        return dict(con.execute("SELECT article_id, story_id FROM articles").fetchall())


@pytest.fixture
def db(tmp_path):
    return tmp_path / "news"


def test_copies_in_later_batches_join_the_stored_story(db):
    load(
        db,
        article(1, "gazette", BODY, "Estuary ferry to stop for six weeks"),
        article(2, "gazette", f"{BOILERPLATE}\n\n{OTHER_STORY}\n\n{BOILERPLATE}"),
    )
    load(
        db,
        article(3, "courier", "\n\n".join(STORY[:3]), "Ferry closure: six weeks of detours"),
        article(4, "post", STORY[0]),
        article(5, "gazette", f"{BOILERPLATE}\n\n{THIRD_STORY}\n\n{BOILERPLATE}"),
    )
    load(db, article(6, "herald", BODY.replace("Thursday", "Wednesday") + "\n\nMore to follow."))
    assert story_ids(db) == {
        "art001": "art001",
        "art002": "art002",
        "art003": "art001",
        "art004": "art001",
        "art005": "art005",
        "art006": "art001",
    }
    with warehouse.reading(db) as con:
        story = con.execute(
            "SELECT articles, sources, source_names, headline, first_seen, last_seen "
            "FROM v_stories WHERE story_id = 'art001'"
        ).fetchone()
        assert con.execute("SELECT count(*) FROM v_stories").fetchone()[0] == 3
    assert story == (
        4,
        4,
        ["courier", "gazette", "herald", "post"],
        "Estuary ferry to stop for six weeks",
        START + timedelta(hours=1),
        START + timedelta(hours=6),
    )


def test_copies_within_one_batch_share_the_first_ones_story(db):
    load(db, article(1, "courier", STORY[0]), article(2, "gazette", BODY))
    assert story_ids(db) == {"art001": "art001", "art002": "art001"}


def test_an_article_matching_two_stories_joins_the_oldest(db):
    load(db, article(1, "gazette", BODY))
    load(db, article(2, "courier", THIRD_STORY))
    load(db, article(3, "post", f"{THIRD_STORY}\n\n{BODY}"))
    assert story_ids(db) == {"art001": "art001", "art002": "art002", "art003": "art001"}


def test_a_replayed_load_changes_no_story(db):
    load(db, article(1, "gazette", BODY))
    load(db, article(2, "courier", STORY[0]))
    load(db, article(2, "courier", STORY[0]), article(1, "gazette", BODY))
    assert story_ids(db) == {"art001": "art001", "art002": "art001"}
    with warehouse.reading(db) as con:
        per_article = con.execute("SELECT count(*) FROM story_bands GROUP BY article_id").fetchall()
    assert per_article == [(RULES.body_bands + RULES.lead_bands,)] * 2


def test_reextracted_bodies_get_new_band_keys(db):
    load(db, article(1, "gazette", BODY))
    rewritten = {
        "article_id": "art001",
        **{name: None for name in schema.EXTRACTED},
        "body": THIRD_STORY,
        "word_count": 1,
        "content_hash": content_hash(THIRD_STORY),
        "extractor_version": "test",
    }
    with warehouse.writing(db) as con:
        store.update_articles(con, [rewritten], matcher=RULES)
        stored = {row[0] for row in con.execute("SELECT band_key FROM story_bands").fetchall()}
    assert stored == set(RULES.band_keys(THIRD_STORY))


def test_reextraction_gives_band_keys_to_unchanged_articles_that_had_none(db):
    """Articles loaded before story matching existed get their keys from `newsdesk reextract`."""
    load(db, article(1, "gazette", BODY), article(2, "courier", OTHER_STORY))
    with warehouse.writing(db) as con:
        con.execute("DELETE FROM story_bands WHERE article_id = 'art001'")
        rows = [
            {"article_id": row[0], **dict(zip(schema.EXTRACTED, row[1:]))}
            for row in con.execute(
                f"SELECT article_id, {', '.join(schema.EXTRACTED)} FROM articles ORDER BY article_id"
            ).fetchall()
        ]
        assert store.update_articles(con, rows, matcher=RULES) == 0
        stored = {
            row[0] for row in con.execute("SELECT band_key FROM story_bands WHERE article_id = 'art001'").fetchall()
        }
    assert stored == set(RULES.band_keys(BODY))


def test_many_copies_in_one_load_make_one_story(db):
    """More copies than MAX_CANDIDATES in one batch: later copies must not crowd out the
    earlier ones each copy can join."""
    copies = [article(n, f"outlet{n}", BODY + f"\n\nFiled by desk {n}.") for n in range(40, 0, -1)]
    load(db, *copies)  # loaded from art040 down: the later copies sort first among equals
    assert set(story_ids(db).values()) == {"art040"}


def test_keys_sketched_at_extraction_are_the_ones_stored(db):
    sketched = {BODY: (11, 12, 13), THIRD_STORY: ()}  # no keys: not sketched, so sketched now
    rows = [article(1, "herald", BODY), article(2, "courier", OTHER_STORY), article(3, "post", THIRD_STORY)]
    with warehouse.writing(db) as con:
        store.load(con, {"articles": rows}, matcher=Presketched(sketched))
    with warehouse.reading(db) as con:
        stored = con.execute("SELECT article_id, list_sort(list(band_key)) FROM story_bands GROUP BY ALL").fetchall()
    assert dict(stored) == {
        "art001": [11, 12, 13],
        "art002": sorted(RULES.band_keys(OTHER_STORY)),
        "art003": sorted(RULES.band_keys(THIRD_STORY)),
    }

from datetime import datetime, timezone

from flows.identity import dedup
from flows.plan.tally import batch_tally
from flows.records import EntryRef, FeedEntry, Page, PageJob, PageResult
from tests.support.stories import article_record as article

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def result(link: str, body: str, source: str = "a", final: str | None = None, key: str = "") -> PageResult:
    final = final or link
    job = PageJob(link, (EntryRef(source, key or f"{source}|{link}"),))
    return PageResult(job, Page(link, final, 200, fetched_at=NOW), article(final, body))


def test_entry_key_prefers_guid_and_disambiguates_a_reused_guid():
    entries = [
        FeedEntry(link="https://n.example/a", guid="g1"),
        FeedEntry(link="https://n.example/b", guid="g1"),
        FeedEntry(link="https://n.example/c?utm_source=x"),
    ]
    assert dedup.entry_keys("herald", entries) == [
        "herald|guid|g1",
        "herald|link|https://n.example/b",
        "herald|link|https://n.example/c",
    ]


def test_body_hash_ignores_case_punctuation_and_spacing():
    assert dedup.content_hash("The  Mayor said: “Yes.”") == dedup.content_hash("the mayor said yes")
    assert dedup.content_hash("the mayor said yes") != dedup.content_hash("the mayor said no")


def test_exact_copy_under_another_url_becomes_an_alias():
    results = [
        result("https://a.example/wire", "same wire text", "a"),
        result("https://b.example/copy", "Same wire text!", "b"),
    ]
    resolution = dedup.resolve(results, {}, {})
    assert len(resolution.new) == 1
    ((article_id, _, _),) = resolution.new
    assert {(a.url, a.article_id, a.kind) for a in resolution.aliases} == {
        ("https://a.example/wire", article_id, "canonical"),
        ("https://b.example/copy", article_id, "duplicate"),
    }
    tally = batch_tally(results, resolution)
    assert tally.linked["b"] - tally.created["b"] == 1, "b's copy counts as b's duplicate"
    assert {link[1] for link in resolution.entry_links} == {article_id}


def test_articles_known_to_the_warehouse_by_url_or_hash_are_not_new():
    known = [result("https://a.example/1", "first story"), result("https://a.example/2", "second story")]
    resolution = dedup.resolve(known, {"https://a.example/1": "id1"}, {dedup.content_hash("second story"): "id2"})
    assert resolution.new == ()
    assert [link[1] for link in resolution.entry_links] == ["id1", "id2"]


def test_redirected_page_is_known_under_both_urls():
    resolution = dedup.resolve([result("https://a.example/old", "moved story", final="https://a.example/new")], {}, {})
    assert {(a.url, a.kind) for a in resolution.aliases} == {
        ("https://a.example/new", "canonical"),
        ("https://a.example/old", "link"),
    }


def test_different_bodies_stay_different_articles():
    resolution = dedup.resolve([result("https://a.example/1", "one"), result("https://a.example/2", "two")], {}, {})
    assert len(resolution.new) == 2

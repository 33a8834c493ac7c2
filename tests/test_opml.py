"""OPML in and out: nested folders, duplicates, comments kept, and a round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flows import configuration
from flows.sources import opml
from tests.support.cli import newsdesk

READER_EXPORT = Path(__file__).parent / "fixtures" / "opml" / "reader-export.opml"
EXISTING = (
    "# my feeds, in the order I read them\nsources:\n"
    "  - name: courier   # the local paper\n    url: https://courier.example/rss\n"
    "  - name: gazette\n    url: https://gazette.example/feed\n"
)


def test_nested_folders_become_categories_and_bookmarks_are_skipped():
    outlines = opml.parse(READER_EXPORT.read_bytes())
    by_url = {feed.url: feed for feed in reversed(outlines.feeds)}  # the first listing wins
    assert by_url["https://herald.example/feed.xml"].category == "Coast"
    assert by_url["https://herald.example/feed.xml"].site == "https://herald.example/"
    assert by_url["https://tides.example/rss"] == opml.Feed(
        "https://tides.example/rss", "Tide & Wind Notes", None, "Weather"
    )
    assert by_url["http://kestrel.example/latest.rss"].category is None
    assert outlines.skipped == ("Town council minutes (no xmlUrl)",)


def test_doctype_and_entities_are_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body/></opml>'
    with pytest.raises(opml.OpmlError, match="DOCTYPE"):
        opml.parse(bomb)
    with pytest.raises(opml.OpmlError, match="not well-formed"):
        opml.parse(b"<opml><body>")


def test_import_adds_new_feeds_after_the_existing_ones_and_reports_duplicates(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(EXISTING, encoding="utf-8")
    result = newsdesk("sources", "import", str(READER_EXPORT), "--sources", str(path))
    assert result.returncode == 0, result.stderr
    assert "4 added" in result.stdout
    assert "1 already present: The Courier (as courier)" in result.stdout
    assert "1 listed twice in the file: Herald again" in result.stdout
    assert "Town council minutes (no xmlUrl)" in result.stdout
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my feeds, in the order I read them\n") and "# the local paper" in text
    sources = configuration.load(path).sources
    assert [s.name for s in sources] == [
        "courier",
        "gazette",
        "harbourton-herald",
        "tide-wind-notes",
        "kestrel.daily",
        "harbourton-herald-2",
    ]
    assert sources[2].category == "Coast" and sources[2].site == "https://herald.example/"
    assert sources[3].category == "Weather"
    again = newsdesk("sources", "import", str(READER_EXPORT), "--sources", str(path))
    assert "0 added" in again.stdout and path.read_text(encoding="utf-8") == text


def test_dry_run_writes_nothing(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(EXISTING, encoding="utf-8")
    result = newsdesk("sources", "import", str(READER_EXPORT), "--sources", str(path), "--dry-run")
    assert result.returncode == 0 and "4 would add" in result.stdout
    assert path.read_text(encoding="utf-8") == EXISTING


def test_export_then_import_into_an_empty_file_gives_the_same_feeds(tmp_path):
    original = Path(__file__).resolve().parents[1] / "sources.yaml"
    exported = newsdesk("sources", "export", "--sources", str(original))
    assert exported.returncode == 0 and exported.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert '<opml version="2.0">' in exported.stdout
    (tmp_path / "list.opml").write_text(exported.stdout, encoding="utf-8")
    copy = tmp_path / "copy.yaml"
    imported = newsdesk("sources", "import", str(tmp_path / "list.opml"), "--sources", str(copy))
    assert imported.returncode == 0, imported.stderr

    def feeds(path: Path) -> list[tuple]:
        return [(s.name, s.feed_url, s.site, s.category) for s in configuration.load(path).sources]

    assert sorted(feeds(copy)) == sorted(feeds(original))
    assert yaml.safe_load(copy.read_text(encoding="utf-8"))["sources"]


def test_a_bad_opml_file_is_a_usage_error(tmp_path):
    bad = tmp_path / "bad.opml"
    bad.write_text("<opml><body>", encoding="utf-8")
    result = newsdesk("sources", "import", str(bad), "--sources", str(tmp_path / "s.yaml"))
    assert result.returncode == 2 and "not well-formed" in result.stderr
    assert not (tmp_path / "s.yaml").exists()


def test_a_feed_url_without_a_host_is_skipped_not_fatal():
    feeds = (
        opml.Feed("http://", "Broken export", "https://", None),
        opml.Feed("https://herald.example/feed.xml", "Herald", "https://", None),
    )
    plan = opml.plan_import(opml.Outlines(feeds, ()), [])
    assert [entry["url"] for entry in plan.added] == ["https://herald.example/feed.xml"]
    assert "site" not in plan.added[0]
    assert plan.skipped == ("Broken export (not an http(s) URL)",)
    parsed = configuration.parse({"sources": list(plan.added)}, Path("sources.yaml"))
    assert parsed.sources[0].name == plan.added[0]["name"]

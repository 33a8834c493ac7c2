"""The HTML report: one self-contained file whose charts really draw in a browser."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

import warehouse
from flows.report import charts
from tests.support import browser
from tests.support.cli import newsdesk
from warehouse import store

SOURCES = ("bay-gazette", "fen-courier", "hill-post")
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


def _article(n: int, source: str, day: int, story: str | None = None) -> dict:
    when = T0 + timedelta(days=day, hours=n % 5)
    return {
        "article_id": f"a{n}",
        "canonical_url": f"https://{source}.example/{n}",
        "url": f"https://{source}.example/{n}",
        "source": source,
        "title": f"Story number {n} from {source}",
        "authors": ["A. Writer"] if n % 3 else [],
        "published_at": when,
        "fetched_at": when,
        "body": "Words about the town. " * 40,
        "word_count": 160,
        "content_hash": f"h{n}",
        "story_id": story,
        "extractor_version": "test",
        "run_id": "r1",
    }


def _run(n: int, outcome: str, articles_new: int) -> dict:
    started = T0 + timedelta(days=n)
    return {
        "run_id": f"r{n}",
        "started_at": started,
        "finished_at": started + timedelta(seconds=7),
        "outcome": outcome,
        "sources_polled": 3,
        "sources_failed": int(outcome != "ok"),
        "not_modified": 0,
        "entries_seen": 9,
        "entries_new": articles_new,
        "pages_fetched": articles_new,
        "articles_new": articles_new,
        "duplicates": 0,
        "fetch_failures": 0,
        "extraction_failures": 1,
    }


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    db, now = folder / "w", datetime.now(timezone.utc)
    articles = [_article(n, SOURCES[n % 3], n % 4, "wind-farm" if n in (1, 2, 3) else None) for n in range(1, 19)]
    tables = {
        "sources": [
            {"name": s, "feed_url": f"https://{s}.example/rss", "enabled": True, "synced_at": now} for s in SOURCES
        ],
        "feed_state": [
            {
                "source": "hill-post",
                "consecutive_failures": 2,
                "next_poll_at": now,
                "last_error": "HTTP 503 from the feed",
            }
        ],
        "fetch_queue": [
            {
                "url": "https://hill-post.example/broken",
                "source": "hill-post",
                "entry_key": "k1",
                "stage": "extract",
                "state": "dead",
                "attempts": 1,
                "first_failed_at": now,
                "last_attempt_at": now,
                "last_error": "no article body",
            }
        ],
        "articles": articles,
        "runs": [_run(1, "ok", 12), _run(2, "partial", 6), _run(3, "ok", 0)],
    }
    with warehouse.writing(db) as con:
        store.load(con, tables)
        edited = articles[0]["article_id"]
        for revision, title in ((1, "Wind farm plan goes to a vote"), (2, "Wind farm plan approved after a tied vote")):
            con.execute(
                "INSERT INTO article_revisions (article_id, revision, seen_at, title, body, content_hash, run_id) "
                "VALUES (?, ?, ?, ?, 'text', ?, 'r1')",
                [edited, revision, now, title, f"h{revision}"],
            )
    out = folder / "report.html"
    result = newsdesk("report", "--db", str(db), "--out", str(out), "--days", "30")
    assert result.returncode == 0, result.stderr
    return out


def test_the_report_is_one_self_contained_file_with_every_section(report_file):
    html = report_file.read_text(encoding="utf-8")
    fetched = re.findall(r"""(?:src|href|xlink:href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.IGNORECASE)
    assert fetched == [] and "<script" not in html and "<link" not in html and "url(" not in html
    for section in ("daily", "stories", "changes", "health", "extraction", "runs"):
        assert f'<section id="{section}">' in html
    assert "Wind farm plan goes to a vote</b> → <b>Wind farm plan approved after a tied vote" in html
    assert "HTTP 503 from the feed" in html and "failing ×2" in html
    assert "3 outlets · 3 articles" in html


class _Charts(HTMLParser):
    """Per chart (by its aria-label), per series: the smaller side of each of its bars."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, dict[str, list[float]]] = {}
        self._chart = self._series = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag == "svg":
            self._chart = found["aria-label"]
            self.charts[self._chart] = {}
        elif tag == "g" and "data-series" in found:
            self._series = self.charts[self._chart].setdefault(found["data-series"], [])
        elif tag == "rect" and self._series is not None:
            self._series.append(min(float(found["width"]), float(found["height"])))

    def handle_endtag(self, tag: str) -> None:
        if tag == "g":
            self._series = None


@pytest.mark.browser
def test_headless_chromium_draws_every_chart(report_file, tmp_path, chromium):
    parsed = _Charts()
    parsed.feed(browser.dump_dom(chromium, report_file))
    daily = parsed.charts["Articles per day, by source"]
    assert sorted(daily) == sorted(SOURCES)
    assert all(bars and all(h > 0 for h in bars) for bars in daily.values())
    assert parsed.charts["Biggest stories by number of outlets"]["outlets"][0] > 0
    assert set(parsed.charts["Extraction health by source"]) == {"no usable body", "no date", "no author"}
    assert len(parsed.charts["New articles per run, by outcome"]["ok"]) == 1  # the run with 0 new has no bar

    shot = browser.screenshot(chromium, report_file, tmp_path / "report.png", width=1000, height=1300)
    pixels = Counter(browser.png_pixels(shot))
    assert len(pixels) > 200, "the screenshot looks blank"
    for index in range(len(SOURCES)):  # every source's colour is painted over a good area
        rgb = tuple(int(charts.colour(index)[i : i + 2], 16) for i in (1, 3, 5))
        assert pixels[rgb] > 500, f"series colour {charts.colour(index)} barely drawn"

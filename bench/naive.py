"""The loop a user writes first, as the baseline for bench/throughput.py: for each feed,
parse it, then fetch each page, extract it and insert it, one at a time."""

from __future__ import annotations

import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import duckdb
import feedparser
import trafilatura


@dataclass(frozen=True)
class Baseline:
    articles: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.articles / self.seconds


def measure(sources: list[dict], articles: int, per_feed: int, db: Path) -> Baseline:
    """Ingest `articles` pages the naive way, up to `per_feed` from each feed in turn (as
    many as the full run takes from each, so the feeds' cost is spread over as many pages)."""
    con = duckdb.connect(str(db))
    con.execute(
        "CREATE TABLE articles (url VARCHAR PRIMARY KEY, title VARCHAR, author VARCHAR, date VARCHAR, body VARCHAR)"
    )
    started, loaded = time.monotonic(), 0
    for source in sources:
        if loaded == articles:
            break
        with urllib.request.urlopen(source["url"], timeout=30) as response:
            feed = feedparser.parse(response.read())
        for entry in feed.entries[:per_feed]:
            if loaded == articles:
                break
            with urllib.request.urlopen(entry.link, timeout=30) as response:
                html = response.read().decode("utf-8")
            found = trafilatura.bare_extraction(html, url=entry.link, with_metadata=True, as_dict=True)
            con.execute(
                "INSERT INTO articles VALUES (?, ?, ?, ?, ?)",
                [entry.link, found.get("title"), found.get("author"), found.get("date"), found.get("text")],
            )
            loaded += 1
    seconds = time.monotonic() - started
    con.close()
    return Baseline(loaded, seconds)

"""Publishers' text-and-data-mining reservations (response header, meta tags, the host's
tdmrep.json) and their robots.txt rules for AI crawlers, recorded per article from a
loopback publisher, and respected by an export that asks."""

from __future__ import annotations

import json
import random
from html import escape

import pytest

from bench.newsroom import paragraphs
from tests.support.cli import newsdesk
from tests.support.ingest import rows, run_ingest, write_sources
from tests.support.loopback import Loopback, Reply

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

POLICY = "https://echo.example/tdm-policy.json"
OPINION_POLICY = "https://echo.example/opinion-terms.json"
TDMREP = [
    {"location": "/opinion/*", "tdm-reservation": 1, "tdm-policy": OPINION_POLICY},
    {"location": "/*", "tdm-reservation": 0},
]
ROBOTS = "User-agent: GPTBot\nDisallow: /news/\n\nUser-agent: CCBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"


def _page(seed: int, head: str = "") -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs(random.Random(seed), 5))
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>Story {seed}</title>{head}</head>"
        f"<body><article><h1>Story {seed}</h1>{body}</article></body></html>"
    ).encode()


PAGES = {
    "/news/by-header": (_page(1), {"tdm-reservation": "1", "tdm-policy": POLICY}),
    "/news/by-meta": (
        _page(2, f"<meta name='tdm-reservation' content='1'><meta name='tdm-policy' content='{POLICY}'>"),
        {},
    ),
    "/news/not-reserved": (_page(3), {"tdm-reservation": "0"}),
    "/news/header-over-meta": (_page(4, "<meta name='tdm-reservation' content='1'>"), {"tdm-reservation": "0"}),
    "/opinion/silent": (_page(5), {}),
    "/sport/silent": (_page(6), {}),
}


def test_reservations_and_ai_crawler_rules_are_recorded_per_article_and_an_export_can_leave_them_out(tmp_path):
    with Loopback() as site:
        for path, (page, headers) in PAGES.items():
            site.routes[path] = lambda _, page=page, headers=headers: Reply(
                200, page, {"Content-Type": "text/html", **headers}
            )
        site.routes["/robots.txt"] = lambda _: Reply(200, ROBOTS.encode(), {"Content-Type": "text/plain"})
        site.routes["/.well-known/tdmrep.json"] = lambda _: Reply(
            200, json.dumps(TDMREP).encode(), {"Content-Type": "application/json"}
        )
        items = "".join(f"<item><title>{p}</title><link>{site.url(p)}</link></item>" for p in PAGES)
        site.routes["/feed.xml"] = lambda _: Reply(
            200, f"<rss><channel><title>E</title>{items}</channel></rss>".encode()
        )
        path, db = write_sources(tmp_path, [{"name": "echo", "url": site.url("/feed.xml")}]), tmp_path / "news"
        run_ingest(path)
        run_ingest(path)  # a second run the same day does not ask for tdmrep.json again
        asked = [p for p, _ in site.arrived if p == "/.well-known/tdmrep.json"]

    assert asked == ["/.well-known/tdmrep.json"]
    found = rows(
        db,
        "SELECT regexp_extract(canonical_url, '/[^/]+/[^/]+$'), tdm_reserved, tdm_policy, tdm_source, "
        "ai_crawlers_disallowed FROM articles ORDER BY 1",
    )
    assert found == [
        ("/news/by-header", True, POLICY, "header", ["GPTBot", "CCBot"]),
        ("/news/by-meta", True, POLICY, "meta", ["GPTBot", "CCBot"]),
        ("/news/header-over-meta", False, None, "header", ["GPTBot", "CCBot"]),
        ("/news/not-reserved", False, None, "header", ["GPTBot", "CCBot"]),
        ("/opinion/silent", True, OPINION_POLICY, "tdmrep.json", ["CCBot"]),
        ("/sport/silent", False, None, "tdmrep.json", ["CCBot"]),
    ]
    out = tmp_path / "corpus.jsonl"
    exported = newsdesk("export", "--db", str(db), "--format", "jsonl", "--out", str(out), "--exclude-tdm-reserved")
    assert exported.returncode == 0, exported.stderr
    kept = sorted(json.loads(line)["canonical_url"].rsplit("/", 1)[1] for line in out.read_text().splitlines())
    assert kept == ["header-over-meta", "not-reserved", "silent"]  # /sport/silent

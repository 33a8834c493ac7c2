"""What monitoring sees of real runs: a publisher whose layout changes mid-way is marked
drifting from the run the change came in, in `stats`, the metrics and the report, and no other is."""

from __future__ import annotations

import json
import random
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

import pytest

from bench.newsroom import headline, paragraphs
from tests.support.cli import newsdesk
from tests.support.ingest import run_ingest, scalar, write_sources
from tests.support.loopback import Loopback, Reply
from tests.support.metrics import by_source

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

PUBLISHED = datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)


class Publisher:
    """A news site on the loopback server under /`name`/ that publishes new stories on demand,
    in its usual layout or, after `relaunch()`, as a script-rendered shell with no text."""

    def __init__(self, server: Loopback, name: str, seed: int):
        self.server, self.name, self.rng = server, name, random.Random(seed)
        self.items: list[str] = []
        self.rendered_by_script = False
        server.routes[f"/{name}/feed.xml"] = lambda _: Reply(200, self._feed(), {"Content-Type": "application/rss+xml"})

    def publish(self, count: int) -> None:
        for _ in range(count):
            number = len(self.items)
            path = f"/{self.name}/news/{number}"
            page = self._shell() if self.rendered_by_script else self._article(number)
            self.server.routes[path] = lambda _, page=page: Reply(200, page, {"Content-Type": "text/html"})
            self.items.append(path)

    def relaunch(self) -> None:
        self.rendered_by_script = True

    def _article(self, number: int) -> bytes:
        title = headline(self.rng, number)
        body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs(self.rng, 6))
        when = (PUBLISHED + timedelta(hours=number)).isoformat()
        return (
            f"<!DOCTYPE html><html lang='en'><head><title>{escape(title)}</title></head><body>"
            f"<nav><a href='/{self.name}/'>Home</a> <a href='/{self.name}/local'>Local</a></nav>"
            f"<article><h1>{escape(title)}</h1><time datetime='{when}'>{when[:10]}</time>{body}</article>"
            "<footer>All rights reserved.</footer></body></html>"
        ).encode()

    def _shell(self) -> bytes:
        return (
            "<!DOCTYPE html><html lang='en'><head><title>Loading</title></head><body>"
            f"<nav><a href='/{self.name}/'>Home</a> <a href='/{self.name}/local'>Local</a></nav>"
            "<div id='root'></div><script src='/static/app.js'></script></body></html>"
        ).encode()

    def _feed(self) -> bytes:
        entries = "".join(
            f"<item><title>Story {n}</title><link>{self.server.url(path)}</link>"
            f"<pubDate>{format_datetime(PUBLISHED + timedelta(hours=n))}</pubDate></item>"
            for n, path in enumerate(self.items)
        )
        return f"<rss version='2.0'><channel><title>{self.name}</title>{entries}</channel></rss>".encode()


def test_a_layout_change_marks_that_publisher_drifting_from_the_run_it_came_in(tmp_path):
    with Loopback() as server:
        gazette, courier = Publisher(server, "gazette", 1), Publisher(server, "courier", 2)
        sources = [{"name": p.name, "url": server.url(f"/{p.name}/feed.xml")} for p in (gazette, courier)]
        path, db = write_sources(tmp_path, sources), tmp_path / "news"
        for _ in range(2):
            gazette.publish(5)
            courier.publish(5)
            run_ingest(path)
        gazette.relaunch()
        gazette.publish(4)
        courier.publish(4)
        run_ingest(path)
    changed_in = scalar(db, "SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1")

    listed = newsdesk("stats", "--db", str(db), "--format", "json", cwd=tmp_path)
    health = {row["source"]: row for row in map(json.loads, listed.stdout.splitlines())}
    assert health["gazette"]["drifting_since"] == changed_in
    assert "no body" in health["gazette"]["drift"]
    assert health["courier"]["drifting_since"] is None and health["courier"]["articles_total"] == 14

    metrics = newsdesk("stats", "--db", str(db), "--format", "prometheus", cwd=tmp_path)
    drifting = by_source(metrics.stdout, "newsdesk_source_drifting")
    assert drifting == {"gazette": 1.0, "courier": 0.0}
    assert by_source(metrics.stdout, "newsdesk_source_articles_total") == {"gazette": 10.0, "courier": 14.0}

    assert newsdesk("report", "--db", str(db), "--out", str(tmp_path / "report.html"), cwd=tmp_path).returncode == 0
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<td>gazette</td><td><span class="badge">drifting since' in page
    assert '<td>courier</td><td><span class="badge">ok' in page

"""WARC out and in: the demo warehouse survives a round trip through a WARC file, and a
WARC written by another tool loads its HTML pages and accounts for everything else."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.support.cli import newsdesk
from tests.support.ingest import rows, run_ingest, write_sources

CRAWLED = "2026-11-28T09:30:00Z"

TIDE_MILL = """<!DOCTYPE html><html lang="en"><head><title>Tide mill restored after twelve years | Estuary Echo</title>
<meta property="article:published_time" content="2026-11-27T07:15:00Z"></head><body>
<nav><a href="/">Home</a> <a href="/local">Local</a></nav><article><h1>Tide mill restored after twelve years</h1>
<p>The tide mill at Saltings Quay turned again on Thursday for the first time since a storm surge wrecked its sluice
gates twelve years ago, after volunteers spent four winters rebuilding the gates by hand.</p>
<p>The trust that owns the mill said it would grind flour on spring tides from March and open the wheel room to
school groups, who until now could only look at the machinery through a window.</p>
<p>Engineers from the county council checked the new gates last month and found them sound enough to hold a full
tide, which the volunteers celebrated with a loaf baked from the mill's first sack of flour.</p></article>
<footer>Estuary Echo</footer></body></html>"""

FERRY = """<!DOCTYPE html><html lang="en"><head><title>Night ferry returns for the winter | Estuary Echo</title>
</head><body><article><h1>Night ferry returns for the winter</h1>
<p>The night ferry between Saltings and Marrow Point will run again from Monday, after the operator found a second
crew willing to work the late crossings that were cut in the spring for want of staff.</p>
<p>Boats will leave each side on the hour until one in the morning on Fridays and Saturdays, and until eleven on
other nights, with the last sailing held for the late train when it is running behind.</p>
<p>Shift workers at the hospital on the far bank had campaigned for the service, saying the road round the estuary
added forty minutes to a journey home after a night shift.</p></article></body></html>"""


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_the_demo_warehouse_survives_a_round_trip_through_warc(tmp_path, newsroom):
    path = write_sources(tmp_path, newsroom.sources())
    run_ingest(path)
    archive = tmp_path / "demo.warc.gz"

    exported = newsdesk("export", "--db", str(tmp_path / "news"), "--format", "warc", "--out", str(archive))
    assert exported.returncode == 0, exported.stderr
    with open(archive, "rb") as stream:  # every record whole, its digests right (as `warcio check` verifies)
        kinds = Counter(r.rec_type for r in ArchiveIterator(stream, check_digests="raise") if r.content_stream().read())
    stored = rows(tmp_path / "news", "SELECT count(*) FROM pages")[0][0]
    assert kinds == {"warcinfo": 1, "response": stored, "metadata": stored}

    imported = newsdesk("import", "warc", str(archive), "--db", str(tmp_path / "copy"))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert _articles(tmp_path / "copy") == _articles(tmp_path / "news")
    again = newsdesk("import", "warc", str(archive), "--db", str(tmp_path / "copy"))
    assert again.returncode == 0 and _articles(tmp_path / "copy") == _articles(tmp_path / "news")


def _articles(db: Path) -> list[tuple]:
    return rows(db, "SELECT canonical_url, title, body, source FROM articles ORDER BY canonical_url")


def test_a_foreign_warc_loads_its_pages_and_reports_the_rest_and_where_it_broke(tmp_path):
    archive = tmp_path / "crawl.warc.gz"
    archive.write_bytes(_foreign_warc())

    result = newsdesk(
        "import", "warc", str(archive), "--db", str(tmp_path / "news"), "--source-name", "echo", cwd=tmp_path
    )

    assert result.returncode == 3, result.stdout + result.stderr
    loaded = rows(
        tmp_path / "news",
        "SELECT title, source, published_at, published_source FROM articles ORDER BY title",
    )
    assert loaded == [
        ("Night ferry returns for the winter", "echo", datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc), "warc"),
        ("Tide mill restored after twelve years", "echo", datetime(2026, 11, 27, 7, 15, tzinfo=timezone.utc), "meta"),
    ]
    summary = " ".join(result.stdout.split())
    for kind in ("1 request", "1 revisit", "1 not HTML", "1 HTTP 404", "1 warcinfo"):
        assert kind in summary
    assert "stopped" in result.stdout and "cut short" in summary


def _foreign_warc() -> bytes:
    """What a crawler leaves: a request, two pages, a revisit, an image, a 404, and a last
    record cut off halfway (a crawl killed mid-write)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    writer.write_record(writer.create_warcinfo_record("crawl.warc.gz", {"software": "a crawler"}))
    base = "https://echo.example/news/"
    writer.write_record(
        writer.create_warc_record(
            base + "tide-mill",
            "request",
            payload=io.BytesIO(b"GET /news/tide-mill HTTP/1.1\r\nHost: echo.example\r\n\r\n"),
            warc_content_type="application/http; msgtype=request",
        )
    )
    for slug, html in (("tide-mill", TIDE_MILL), ("night-ferry", FERRY)):
        writer.write_record(_response(writer, base + slug, 200, "text/html; charset=utf-8", html.encode()))
    revisit = writer.create_revisit_record(
        base + "tide-mill", digest="sha1:AAAA", refers_to_uri=base + "tide-mill", refers_to_date=CRAWLED
    )
    writer.write_record(revisit)
    writer.write_record(_response(writer, base + "map.png", 200, "image/png", b"\x89PNG\r\n\x1a\n" + bytes(64)))
    writer.write_record(_response(writer, base + "gone", 404, "text/html", b"<html><body>Not found</body></html>"))
    whole = out.getvalue()
    tail = io.BytesIO()
    _ = WARCWriter(tail, gzip=False).write_record(
        _response(WARCWriter(tail, gzip=False), base + "lost", 200, "text/html", FERRY.encode())
    )
    cut = tail.getvalue()
    return whole + cut[: len(cut) // 2]


def _response(writer: WARCWriter, url: str, status: int, content_type: str, body: bytes):
    reason = {200: "OK", 404: "Not Found"}[status]
    headers = StatusAndHeaders(f"{status} {reason}", [("Content-Type", content_type)], protocol="HTTP/1.1")
    return writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), http_headers=headers, warc_headers_dict={"WARC-Date": CRAWLED}
    )

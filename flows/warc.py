"""WARC files (ISO 28500), written and read with warcio.

Writing: one `response` record per stored page (status 200, the headers we keep, the raw
bytes) and, after each, a `metadata` record (WARC-Concurrent-To the response) that names
its article, canonical URL and source. Reading: every record, classified; an HTML response
comes back with its body, headers and WARC-Date, and with the source our own metadata
record names, when the file is one of ours. A file cut short or corrupt ends the reading
with where it stopped; what came before is kept.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from flows.text import mediatype
from warehouse.records import ExportedPage

SOFTWARE = "newsdesk"


@dataclass(frozen=True)
class WarcPage:
    """An HTML response found in a WARC file."""

    url: str
    record_id: str
    warc_date: datetime | None
    headers: dict[str, str]  # lower-case names
    body: bytes
    source: str | None = None  # from our own metadata record


@dataclass(frozen=True)
class Skipped:
    """A record that is not an HTML page: its kind (`revisit`, `not HTML`, `HTTP 404`, `request`, ...)."""

    kind: str


@dataclass(frozen=True)
class Stopped:
    """The file could not be read past `offset` (bytes from its start, compressed)."""

    offset: int
    reason: str


Record = WarcPage | Skipped | Stopped


def write(out: BinaryIO, name: str, pages: Iterable[ExportedPage]) -> int:
    """Write `pages` to `out` as a WARC (gzipped per record when `name` ends in .gz); returns how many."""
    writer = WARCWriter(out, gzip=name.endswith(".gz"), warc_version="1.1")
    writer.write_record(writer.create_warcinfo_record(name, {"software": SOFTWARE, "format": "WARC File Format 1.1"}))
    count = 0
    for page in pages:
        date = _warc_date(page.fetched_at)
        response = writer.create_warc_record(
            page.url,
            "response",
            payload=io.BytesIO(page.html),
            http_headers=StatusAndHeaders("200 OK", _http_headers(page), protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": date},
        )
        writer.write_record(response)
        fields = f"article-id: {page.article_id}\r\ncanonical-url: {page.canonical_url}\r\nsource: {page.source}\r\n"
        writer.write_record(
            writer.create_warc_record(
                page.url,
                "metadata",
                payload=io.BytesIO(fields.encode()),
                warc_content_type="application/warc-fields",
                warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response.rec_headers["WARC-Record-ID"]},
            )
        )
        count += 1
    return count


def _http_headers(page: ExportedPage) -> list[tuple[str, str]]:
    kept = [("Content-Type", page.content_type), ("ETag", page.etag), ("Last-Modified", page.last_modified)]
    return [(name, value) for name, value in kept if value] + [("Content-Length", str(len(page.html)))]


def _warc_date(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read(path: Path) -> Iterator[Record]:
    """Every record of the file at `path`, in order; a Stopped last when it ends early."""
    size = os.path.getsize(path)
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream)
        pending: WarcPage | None = None  # held until the next record: our metadata may name its source
        try:
            for record in records:
                body = record.content_stream().read()
                if not _complete(record):
                    yield from [pending] if pending else []
                    yield Stopped(records.get_record_offset(), f"a {record.rec_type} record is cut short")
                    return
                if pending is not None:
                    yield _named(pending, record, body)
                found = _classify(record, body)
                pending = found if isinstance(found, WarcPage) else None
                if isinstance(found, Skipped):
                    yield found
        except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
            yield from [pending] if pending else []
            yield Stopped(records.offset, f"unreadable record: {exc}")
            return
        yield from [pending] if pending else []
        if records.offset < size:
            yield Stopped(records.offset, "what follows is not a WARC record")


def _complete(record: Any) -> bool:
    """Whether the whole block its Content-Length declares was there (warcio reads a cut record quietly)."""
    return isinstance(record.raw_stream, LimitReader) and record.raw_stream.limit == 0


def _classify(record: Any, body: bytes) -> WarcPage | Skipped:
    if record.rec_type != "response":
        return Skipped(record.rec_type)
    status = record.http_headers.get_statuscode() if record.http_headers else None
    if status != "200":
        return Skipped(f"HTTP {status}" if status else "not HTTP")
    headers = {name.lower(): value for name, value in record.http_headers.headers}
    if not _is_html(headers.get("content-type"), body):
        return Skipped("not HTML")
    return WarcPage(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        record_id=record.rec_headers.get_header("WARC-Record-ID"),
        warc_date=_parse_date(record.rec_headers.get_header("WARC-Date")),
        headers=headers,
        body=body,
    )


def _is_html(content_type: str | None, body: bytes) -> bool:
    media, _ = mediatype.parse(content_type)
    if media:
        return "html" in media
    return b"<html" in body[:4096].lower()


def _named(page: WarcPage, record: Any, body: bytes) -> WarcPage:
    """`page` with the source that our metadata record after it names."""
    if record.rec_type != "metadata" or record.rec_headers.get_header("WARC-Concurrent-To") != page.record_id:
        return page
    for line in body.decode("utf-8", "replace").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "source" and value.strip():
            return replace(page, source=value.strip())
    return page


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None

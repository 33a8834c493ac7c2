"""`newsdesk import warc`: archived pages through the same pipeline as fetched ones.

Every HTML response in the files is an entry of its source (keyed by its WARC-Record-ID,
so importing a file twice adds nothing) and a page: extracted in the worker processes,
resolved against the warehouse (one article per canonical URL or body), matched to
stories and loaded, LOAD_EVERY pages per transaction. Its date is the page's own, else the
WARC-Date (published_source 'warc'). A page without a usable body is queued as an
extraction failure, as in a run. The import is one row of the run ledger. No Prefect: an
import is a one-off command, not a scheduled flow.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path

import warehouse
from flows import batches, extract, extractpool, warc
from flows.identity import dedup, urls
from flows.plan import pagejobs
from flows.plan.pagejobs import KeyedEntry
from flows.plan.tally import Tally
from flows.records import FeedEntry, Outcome, Page, PageJob, PageResult, RunSummary, SourceReport, Stage
from warehouse import reads, rows, store
from warehouse.db import Location

LOAD_EVERY = 400  # pages per warehouse transaction
DEFAULT_SOURCE = "warc-import"


@dataclass
class FileReport:
    """What became of one file's records."""

    path: Path
    pages: int = 0  # HTML responses read
    known: int = 0  # records imported before
    tally: Tally = field(default_factory=Tally)
    skipped: Counter[str] = field(default_factory=Counter)  # record kinds that are not HTML pages
    stopped: warc.Stopped | None = None

    @property
    def articles_new(self) -> int:
        return sum(self.tally.created.values())

    @property
    def no_body(self) -> int:
        return sum(n for (_, stage), n in self.tally.failed.items() if stage == Stage.EXTRACT)

    @property
    def duplicates(self) -> int:
        return self.pages - self.known - self.articles_new - self.no_body


@dataclass(frozen=True)
class Target:
    location: Location
    lock_wait: float | None
    min_body_chars: int
    source_name: str | None  # every page's source; else the one our own export recorded, else DEFAULT_SOURCE


def import_files(paths: Sequence[Path], target: Target, progress: Callable[[str], None]) -> list[FileReport]:
    """Import every file in turn, holding the warehouse's run lock (a run and an import
    never resolve duplicates against each other's half-written batches)."""
    with warehouse.run_lock(target.location, target.lock_wait):
        return asyncio.run(_import_files(paths, target, progress))


async def _import_files(paths: Sequence[Path], target: Target, progress: Callable[[str], None]) -> list[FileReport]:
    started = datetime.now(timezone.utc)
    run_id = started.strftime("%Y%m%dT%H%M%S") + "-warc-" + uuid.uuid4().hex[:6]
    reports = []
    with warehouse.writing(target.location, target.lock_wait):
        pass  # a new warehouse is created here, as a first run creates it
    extractpool.warm()
    for path in paths:
        report = FileReport(path)
        reports.append(report)
        for chunk in _chunks(_pages_of(warc.read(path), report), LOAD_EVERY):
            await _load(chunk, target, run_id, report)
            progress(f"{path.name}: {report.pages} pages read, {report.articles_new} new articles")
    _record_run(target, run_id, started, reports)
    return reports


def _pages_of(records: Iterable[warc.Record], report: FileReport) -> Iterator[warc.WarcPage]:
    for record in records:
        if isinstance(record, warc.WarcPage):
            report.pages += 1
            yield record
        elif isinstance(record, warc.Skipped):
            report.skipped[record.kind] += 1
        else:
            report.stopped = record


def _chunks(pages: Iterator[warc.WarcPage], size: int) -> Iterator[list[warc.WarcPage]]:
    while chunk := list(islice(pages, size)):
        yield chunk


async def _load(chunk: list[warc.WarcPage], target: Target, run_id: str, report: FileReport) -> None:
    keyed = _keyed(chunk, target.source_name)
    with warehouse.reading(target.location, target.lock_wait) as con:
        known = reads.known_entries(con, (k.key for k in keyed))
        known_urls = reads.articles_by_url(con, (k.canonical_link for k in keyed))
    plan = pagejobs.plan_pages(keyed, set(known), known_urls, [])
    report.known += len(keyed) - len(plan.new_entries)
    by_url = {page.url: page for page in chunk}
    results = list(
        await asyncio.gather(*(_extracted(job, by_url[job.url], target.min_body_chars) for job in plan.jobs))
    )
    if results:
        entries = pagejobs.entries_of(results, plan)
        report.tally += await asyncio.to_thread(
            batches.write_pages, target.location, target.lock_wait, run_id, entries, results
        )
    if plan.known_links:
        with warehouse.writing(target.location, target.lock_wait) as con:
            store.load(con, batches.known_link_tables(run_id, plan, datetime.now(timezone.utc)))


def _keyed(chunk: Sequence[warc.WarcPage], source_name: str | None) -> list[KeyedEntry]:
    keyed = []
    for page in chunk:
        source = source_name or page.source or DEFAULT_SOURCE
        entry = FeedEntry(link=page.url, guid=page.record_id, published=page.warc_date, origin="warc")
        (key,) = dedup.entry_keys(source, [entry])
        keyed.append(KeyedEntry(source, key, entry, urls.canonical(page.url)))
    return keyed


async def _extracted(job: PageJob, archived: warc.WarcPage, min_body_chars: int) -> PageResult:
    fetched_at = archived.warc_date or datetime.now(timezone.utc)
    page = Page(archived.url, archived.url, 200, archived.headers, archived.body, fetched_at)
    try:
        article = await extractpool.article(page.body, archived.url, page.headers, job.entry, min_body_chars)
    except extract.ExtractionFailed as exc:
        return PageResult(job, page, failed_stage=Stage.EXTRACT, error=str(exc))
    return PageResult(job, page, article=article)


def _record_run(target: Target, run_id: str, started: datetime, reports: Sequence[FileReport]) -> None:
    by_source: dict[str, SourceReport] = {}
    total = sum((r.tally for r in reports), Tally())
    for source in {*total.created, *total.linked, *(s for s, _ in total.failed)}:
        by_source[source] = SourceReport(
            source=source,
            articles_new=total.created[source],
            extraction_failures=total.failed[(source, Stage.EXTRACT)],
        )
    stopped = [r for r in reports if r.stopped]
    summary = RunSummary(
        run_id=run_id,
        started_at=started,
        finished_at=datetime.now(timezone.utc),
        outcome=Outcome.PARTIAL if stopped else Outcome.OK,
        sources=tuple(by_source.values()),
        pages_fetched=0,
        requests_made=0,
        warehouse=str(target.location),
        message="WARC import: " + ", ".join(r.path.name for r in reports),
    )
    with warehouse.writing(target.location, target.lock_wait) as con:
        store.load(con, {"runs": [rows.run(summary, None)]})

"""Re-check loaded articles: fetch each page again on its source's schedule (conditionally,
with the page's own ETag / Last-Modified), extract it, and keep a new revision when its
title or normalised body changed. Runs after a run's new pages, with the same fetcher (so
the same host budgets), on at most the share of the run's requests the settings allow."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import zstandard

import warehouse
from flows.fetching import extract_in_thread
from flows.http import Fetcher
from flows.identity import neardup, urls
from flows.plan import rechecks
from flows.plan.pagejobs import remembered_entry
from flows.records import Article, Page, Source
from flows.text import worddiff
from warehouse import reads, rows, store
from warehouse.db import Location
from warehouse.records import RecheckCandidate

NOT_MODIFIED, UNCHANGED, CHANGED, WITHDRAWN, FAILED = "not_modified", "unchanged", "changed", "withdrawn", "failed"
GONE = (404, 410)


@dataclass(frozen=True)
class Rechecked:
    """What one re-check found; `article` is the new extraction when the page changed."""

    candidate: RecheckCandidate
    outcome: str
    status: int | None
    page: Page | None = None
    article: Article | None = None


@dataclass(frozen=True)
class RecheckReport:
    due: int
    outcomes: dict[str, int]

    @property
    def made(self) -> int:
        return sum(self.outcomes.values())

    def describe(self) -> str:
        found = ", ".join(f"{count} {outcome.replace('_', ' ')}" for outcome, count in sorted(self.outcomes.items()))
        return f"re-checked {self.made} of {self.due} due pages" + (f": {found}" if found else "")


@dataclass(frozen=True)
class RecheckRun:
    """What a run's re-check stage needs from the run."""

    db: Location
    lock_wait: float | None
    run_id: str
    sources: Sequence[Source]
    share: float
    min_body_chars: int
    held_hosts: frozenset[str]


async def recheck_due(
    fetcher: Fetcher, run: RecheckRun, pages_waited: bool, now: datetime, signalled: frozenset[str] = frozenset()
) -> RecheckReport:
    """Re-check the pages that are due (and those a feed `signalled` changed), within the
    run's allowance, and store what changed."""
    schedules = {source.name: source.recheck_after_hours for source in run.sources if source.enabled}
    most = rechecks.most_checks(schedules)
    if not most:
        return RecheckReport(0, {})
    with warehouse.reading(run.db, run.lock_wait) as con:
        candidates = reads.recheck_candidates(con, now - rechecks.horizon(schedules), most, signalled)
    due = rechecks.due(candidates, schedules, now, signalled)
    waiting = [c for c in due if urls.host_of(c.url) not in run.held_hosts]
    chosen = waiting[: rechecks.allowance(len(waiting), fetcher.requests_made, run.share, pages_waited)]
    results = list(await asyncio.gather(*(_check(fetcher, c, run.min_body_chars) for c in chosen)))
    results = await asyncio.to_thread(_without_extractor_changes, run, results)
    if results:
        await asyncio.to_thread(_store, run, results, now)
    return RecheckReport(len(waiting), dict(Counter(result.outcome for result in results)))


async def _check(fetcher: Fetcher, candidate: RecheckCandidate, min_body_chars: int) -> Rechecked:
    from flows import extract

    page = await fetcher.fetch_page(candidate.url, candidate.etag, candidate.last_modified)
    if page.status == 304:
        return Rechecked(candidate, NOT_MODIFIED, 304)
    if page.status in GONE:
        return Rechecked(candidate, WITHDRAWN, page.status)
    if not page.ok:
        return Rechecked(candidate, FAILED, page.status)
    entry = remembered_entry(candidate.url, candidate.entry)
    try:
        article = await extract_in_thread(
            page.body, page.final_url or candidate.url, page.headers, entry, min_body_chars
        )
    except extract.ExtractionFailed:
        return Rechecked(candidate, FAILED, page.status)
    if article.content_hash == candidate.content_hash and article.title == candidate.title:
        return Rechecked(candidate, UNCHANGED, page.status)
    return Rechecked(candidate, CHANGED, page.status, page, article)


def _without_extractor_changes(run: RecheckRun, results: list[Rechecked]) -> list[Rechecked]:
    """A page stored by another extractor version may read differently only because the
    extractor changed: a change counts when the stored page, read by this version, differs too."""
    from flows import extract

    suspect = {
        r.candidate.article_id: r
        for r in results
        if r.outcome == CHANGED and r.article and r.candidate.extractor_version != extract.EXTRACTOR_VERSION
    }
    if not suspect:
        return results
    with warehouse.reading(run.db, run.lock_wait) as con:
        stored = reads.stored_html(con, suspect)
    same = set()
    for article_id, (html, content_type) in stored.items():
        result = suspect[article_id]
        assert result.article is not None
        headers = {"content-type": content_type} if content_type else {}
        entry = remembered_entry(result.candidate.url, result.candidate.entry)
        try:
            before = extract.article(
                zstandard.decompress(html), result.candidate.url, headers, entry, run.min_body_chars
            )
        except extract.ExtractionFailed:
            continue
        if (before.content_hash, before.title) == (result.article.content_hash, result.article.title):
            same.add(article_id)
    return [
        replace(r, outcome=UNCHANGED, page=None, article=None) if r.candidate.article_id in same else r for r in results
    ]


def _store(run: RecheckRun, results: list[Rechecked], now: datetime) -> None:
    changed = [r for r in results if r.outcome == CHANGED and r.article is not None and r.page is not None]
    checks = [
        rows.recheck(r.candidate.article_id, r.candidate.checks_done + 1, now, r.status, r.outcome) for r in results
    ]
    with warehouse.writing(run.db, run.lock_wait) as con:
        before = reads.article_bodies(con, (r.candidate.article_id for r in changed))
        revisions, revised, pages = [], [], []
        for result in changed:
            assert result.article is not None and result.page is not None
            article_id, article = result.candidate.article_id, result.article
            words = worddiff.counts(before.get(article_id, ""), article.body)
            revisions.append(rows.revision(article_id, article, result.page, words, run.run_id, now))
            revised.append({"article_id": article_id, **rows.extracted(article)})
            pages.append(rows.page(article_id, article, result.page, result.candidate.url))
        matcher = neardup.Presketched({r.article.body: r.article.band_keys for r in changed if r.article})
        store.record_rechecks(con, checks, revised, revisions, pages, matcher)

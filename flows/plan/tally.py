"""What a run produced, per source, and its outcome."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flows.identity import dedup
from flows.plan.pagejobs import Plan
from flows.plan.feedstate import HeldSource, SourcePoll
from flows.records import Outcome, PageResult, SourceReport, Stage


@dataclass(frozen=True)
class Tally:
    """Per-source counts of what the loaded batches produced."""

    created: Counter[str] = field(default_factory=Counter)
    linked: Counter[str] = field(default_factory=Counter)  # entries that became an article
    failed: Counter[tuple[str, Stage]] = field(default_factory=Counter)  # (source, stage)
    pages_fetched: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.created + other.created,
            self.linked + other.linked,
            self.failed + other.failed,
            self.pages_fetched + other.pages_fetched,
        )


def batch_tally(results: Sequence[PageResult], resolution: dedup.Resolution) -> Tally:
    return Tally(
        created=Counter(result.job.source for _, _, result in resolution.new),
        linked=Counter(ref.source for r in results if r.article for ref in r.job.entries),
        failed=Counter((r.job.source, r.failed_stage) for r in results if r.failed_stage),
        pages_fetched=sum(1 for r in results if r.page.status is not None),
    )


def known_links_tally(plan: Plan) -> Tally:
    """New entries that pointed at articles already in the warehouse."""
    source_of = {keyed.key: keyed.source for keyed in plan.new_entries}
    return Tally(linked=Counter(source_of[key] for key, _ in plan.known_links))


def new_by_source(plan: Plan) -> Counter[str]:
    return Counter(keyed.source for keyed in plan.new_entries)


def source_reports(
    polls: Sequence[SourcePoll], plan: Plan, tally: Tally, now: datetime, held: Sequence[HeldSource] = ()
) -> list[SourceReport]:
    """One report per polled source, then one per source the server told us to leave alone."""
    new = new_by_source(plan)
    polled = [
        SourceReport(
            source=sp.source.name,
            kind=sp.source.kind,
            status=sp.poll.status,
            not_modified=sp.poll.not_modified,
            feed_format=sp.feed.format if sp.feed else None,
            entries=len(sp.entries),
            entries_new=new[sp.source.name],
            entries_skipped=sp.feed.skipped_without_link if sp.feed else 0,
            articles_new=tally.created[sp.source.name],
            duplicates=tally.linked[sp.source.name] - tally.created[sp.source.name],
            fetch_failures=tally.failed[(sp.source.name, Stage.FETCH)],
            extraction_failures=tally.failed[(sp.source.name, Stage.EXTRACT)],
            error=sp.error,
            held_until=sp.held_until(now),
        )
        for sp in polls
    ]
    return polled + [SourceReport(source=h.source.name, kind=h.source.kind, held_until=h.until) for h in held]


def outcome(reports: Sequence[SourceReport]) -> Outcome:
    """Failed when every source asked failed; sources the server held count neither way."""
    asked = [report for report in reports if report.held_until is None]
    failures = sum(report.failed for report in asked)
    if asked and failures == len(asked):
        return Outcome.FAILED
    return Outcome.PARTIAL if failures else Outcome.OK

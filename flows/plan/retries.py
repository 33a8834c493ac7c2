"""Failed pages are queued, never forgotten: a passing failure is retried on the schedule
(schedule.next_attempt) until schedule.MAX_FETCH_ATTEMPTS; the rest become dead letters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flows.plan import schedule
from flows.records import PageResult, Stage
from warehouse.records import QueuedPage, QueueState


def queued(results: Iterable[PageResult], now: datetime) -> list[QueuedPage]:
    """The failed fetches and extractions among `results`, as the queue keeps them."""
    return [_queued(result, now) for result in results if result.failed_stage is not None]


def _queued(result: PageResult, now: datetime) -> QueuedPage:
    attempts = result.job.attempts + 1
    retry = result.failed_stage == Stage.FETCH and result.page.transient and attempts < schedule.MAX_FETCH_ATTEMPTS
    return QueuedPage(
        url=result.job.url,
        source=result.job.source,
        entry_key=result.job.entries[0].entry_key,
        stage=str(result.failed_stage),
        state=QueueState.RETRY if retry else QueueState.DEAD,
        attempts=attempts,
        first_failed_at=now,
        last_attempt_at=now,
        next_attempt_at=schedule.next_attempt(now, attempts, result.page.retry_after) if retry else None,
        last_status=result.page.status,
        last_error=result.error or "unknown error",
    )

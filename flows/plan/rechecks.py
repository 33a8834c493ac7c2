"""Which loaded articles to fetch again this run, and how many the run can spend on them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from flows.plan.pagejobs import KeyedEntry
from warehouse.records import KnownEntry, RecheckCandidate


def signalled(keyed: Iterable[KeyedEntry], known: Mapping[str, KnownEntry]) -> list[KeyedEntry]:
    """Known entries that now say their article changed: a new title under the same key, or
    an updated date other than the one we stored."""
    changed = []
    for entry in keyed:
        stored = known.get(entry.key)
        if stored is None or stored.article_id is None:
            continue
        retitled = entry.entry.title is not None and stored.title is not None and entry.entry.title != stored.title
        updated = entry.entry.updated is not None and entry.entry.updated != stored.updated_at
        if retitled or updated:
            changed.append(entry)
    return changed


def due(
    candidates: Iterable[RecheckCandidate],
    schedules: Mapping[str, tuple[float, ...]],
    now: datetime,
    signalled: frozenset[str] = frozenset(),
) -> list[RecheckCandidate]:
    """The candidates whose next re-check time has come (the source's hours after the first
    fetch), longest overdue first, after those a feed signalled (due at once). Sources not
    configured any more, or with no hours, get none."""
    waiting: list[tuple[datetime, RecheckCandidate]] = []
    for candidate in candidates:
        hours = schedules.get(candidate.source, ())
        if candidate.article_id in signalled and hours:
            waiting.append((datetime.min.replace(tzinfo=now.tzinfo), candidate))
        elif candidate.checks_done < len(hours):
            at = candidate.fetched_at + timedelta(hours=hours[candidate.checks_done])
            if at <= now:
                waiting.append((at, candidate))
    return [candidate for _, candidate in sorted(waiting, key=lambda pair: pair[0])]


def allowance(due_count: int, other_requests: int, share: float, pages_waited: bool) -> int:
    """How many re-checks this run makes: all that are due when no new page waited; otherwise
    at most `share` of the run's requests (re-checks included)."""
    if not pages_waited:
        return due_count
    return min(due_count, math.floor(share * other_requests / (1 - share)))


MIN_HORIZON = timedelta(days=7)


def horizon(schedules: Mapping[str, tuple[float, ...]]) -> timedelta:
    """How far back an article may still be due a re-check: a week, or twice the longest
    schedule (a re-check deferred by busy runs or an outage is still made; one deferred
    longer is given up)."""
    longest = max((hours[-1] for hours in schedules.values() if hours), default=0)
    return max(MIN_HORIZON, timedelta(hours=2 * longest))


def most_checks(schedules: Mapping[str, tuple[float, ...]]) -> int:
    return max((len(hours) for hours in schedules.values()), default=0)

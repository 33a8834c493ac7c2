"""A source's poll, and the feed state it leaves behind.

Success resets the failure count; failure keeps the validators and backs off (schedule.py),
unless the whole network looked down, which is not the source's fault. A server's
Retry-After is kept as `held_until`, which no forced run skips.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flows.identity import urls
from flows.plan import schedule
from flows.records import FeedEntry, FeedPoll, FetchErrorKind, ParsedFeed, Source
from warehouse.records import FeedState, SitemapChild


@dataclass(frozen=True)
class SourcePoll:
    """A source's feed request, and the parsed feed when there was a new one."""

    source: Source
    poll: FeedPoll
    feed: ParsedFeed | None = None
    error: str | None = None
    sitemaps_read: tuple[SitemapChild, ...] = ()  # a sitemap index's children fetched this run

    @property
    def entries(self) -> tuple[FeedEntry, ...]:
        return self.feed.entries[: self.source.max_entries] if self.feed else ()

    def held_until(self, now: datetime) -> datetime | None:
        """Not requested: its host was held (by a Retry-After) when its turn came."""
        if self.poll.error_kind != FetchErrorKind.DEFERRED:
            return None
        return now + timedelta(seconds=self.poll.retry_after or 0)


@dataclass(frozen=True)
class HeldSource:
    """A source left alone this run: its server asked us to wait until `until`."""

    source: Source
    until: datetime


def next_state(sp: SourcePoll, previous: FeedState | None, now: datetime, network_down: bool = False) -> FeedState:
    """The source's state after this poll."""
    previous = previous or FeedState(sp.source.name)
    held = sp.held_until(now)
    if held is not None:  # not asked: nothing changes but when it is next asked
        return replace(previous, next_poll_at=max(held, previous.next_poll_at or held), held_until=held)
    ok = sp.error is None
    failures = previous.consecutive_failures + (0 if ok or network_down else 1)
    hint = _refresh_hint(sp, previous, now) if ok else None
    return FeedState(
        source=sp.source.name,
        etag=sp.poll.etag if ok else previous.etag,
        last_modified=sp.poll.last_modified if ok else previous.last_modified,
        last_polled_at=now,
        last_success_at=now if ok else previous.last_success_at,
        consecutive_failures=0 if ok else failures,
        next_poll_at=_next_poll(sp, previous, now, failures, hint, network_down),
        last_status=sp.poll.status,
        last_error=sp.error,
        retired_at=_retired_at(sp.poll.status == 410, ok, previous, now),
        hint_seconds=int(hint.total_seconds()) if hint else previous.hint_seconds,
        held_until=(
            now + timedelta(seconds=sp.poll.retry_after) if sp.poll.retry_after is not None and not ok else None
        ),
    )


def _next_poll(
    sp: SourcePoll, previous: FeedState, now: datetime, failures: int, hint: timedelta | None, network_down: bool
) -> datetime:
    ok = sp.error is None
    next_poll = schedule.next_poll(now, 0 if ok else failures, timedelta(minutes=sp.source.interval_minutes), hint)
    if sp.poll.status == 410:
        next_poll = now + schedule.MAX_BACKOFF
    elif not ok and network_down:
        next_poll = previous.next_poll_at or now
    if sp.poll.retry_after is not None:
        next_poll = max(next_poll, now + timedelta(seconds=sp.poll.retry_after))
    return next_poll


def _retired_at(gone: bool, ok: bool, previous: FeedState, now: datetime) -> datetime | None:
    """Set by 410 Gone, cleared by a success, kept through other failures."""
    if gone:
        return previous.retired_at or now
    return None if ok else previous.retired_at


def _refresh_hint(sp: SourcePoll, previous: FeedState, now: datetime) -> timedelta | None:
    """This answer's hint; a 304 has no feed to read a ttl from, so it keeps the last one."""
    hint = schedule.feed_hint(sp.poll.headers, sp.feed.ttl_minutes if sp.feed else None, now)
    if hint is None and sp.poll.not_modified and previous.hint_seconds:
        hint = timedelta(seconds=previous.hint_seconds)
    return hint


def network_looks_down(polls: Sequence[SourcePoll]) -> bool:
    """Every source, on at least two hosts, failed to connect: blame the network, not them."""
    hosts = {urls.host_of(sp.source.feed_url) for sp in polls}
    return len(hosts) >= 2 and all(sp.poll.error_kind == FetchErrorKind.CONNECT for sp in polls)

"""When a source is next due, and when a failed page is asked again.

Each source has an interval (settings default, per-source override). A feed's own
hints (RSS <ttl>, Cache-Control max-age, Expires) may lengthen it but never shorten
it, and never past a day. A failing source backs off, doubling up to a day, but is
never dropped. A page whose fetch failed for a passing reason is asked again after
10 minutes, doubling, up to MAX_FETCH_ATTEMPTS attempts; a server's Retry-After is
always waited out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from flows.text import dates
from flows.identity import urls
from flows.records import Source
from warehouse.records import FeedState

FIRST_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(days=1)
MAX_HINT = timedelta(days=1)
MAX_FETCH_ATTEMPTS = 6
FIRST_RETRY_DELAY = timedelta(minutes=10)
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)


def next_poll(
    now: datetime, consecutive_failures: int, interval: timedelta = timedelta(0), hint: timedelta | None = None
) -> datetime:
    """After a success: the interval, or the feed's hint when that is longer.
    After failures: 5 min doubling up to one day."""
    if consecutive_failures > 0:
        doublings = min(consecutive_failures - 1, 20)  # 2**20 * 5 min is far past the cap
        return now + min(MAX_BACKOFF, FIRST_BACKOFF * (1 << doublings))
    return now + max(interval, min(hint or timedelta(0), MAX_HINT))


def feed_hint(headers: Mapping[str, str], ttl_minutes: int | None, now: datetime) -> timedelta | None:
    """The longest refresh hint the feed gives: RSS ttl, Cache-Control max-age, or Expires."""
    hints = []
    if ttl_minutes:
        hints.append(timedelta(minutes=ttl_minutes))
    cache_control = headers.get("cache-control", "")
    max_age = _MAX_AGE.search(cache_control)
    if max_age and "no-cache" not in cache_control.lower():
        hints.append(timedelta(seconds=int(max_age.group(1))))
    elif headers.get("expires"):
        expires = dates.parse(headers["expires"])
        if expires and expires > now:
            hints.append(expires - now)
    return min(max(hints), MAX_HINT) if hints else None


def next_attempt(now: datetime, attempts: int, retry_after: float | None) -> datetime:
    """When a page that failed `attempts` times is asked again."""
    wait = FIRST_RETRY_DELAY * (1 << (attempts - 1))
    if retry_after is not None:
        wait = max(wait, timedelta(seconds=retry_after))
    return now + wait


def due(sources: Iterable[Source], states: Mapping[str, FeedState], now: datetime) -> list[Source]:
    """Enabled sources never polled, or whose next poll time has come."""
    picked = []
    for source in sources:
        state = states.get(source.name)
        next_at = state.next_poll_at if state else None
        if source.enabled and (next_at is None or next_at <= now):
            picked.append(source)
    return picked


def server_hold(
    source: Source, state: FeedState | None, host_holds: Mapping[str, datetime], now: datetime
) -> datetime | None:
    """Until when the server asked us to leave this source alone (its own Retry-After, or a
    hold on its whole host); None when it may be asked. No forced run skips this."""
    waits = [state.held_until if state else None, host_holds.get(urls.host_of(source.feed_url))]
    running = [until for until in waits if until is not None and until > now]
    return max(running, default=None)

"""Publication dates with provenance: the most trustworthy plausible candidate wins."""
from __future__ import annotations

import email.utils
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)
FUTURE_SKEW = timedelta(hours=2)
SAME_DAY = timedelta(hours=36)  # a date-only candidate and a timestamp this close agree (time zones)
_URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:/|[-_]|\.html?|$)")


def http_date(value: str) -> datetime | None:
    """An HTTP date (Expires, Retry-After, Last-Modified) as an aware datetime."""
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def plausible(when: datetime | None, now: datetime) -> bool:
    """Not before 1990 and not in the future (beyond a small clock skew)."""
    return when is not None and EARLIEST <= when <= now + FUTURE_SKEW


def from_url(url: str) -> datetime | None:
    """A date written into the URL path, as in /2026/11/24/ or /2026-11-24-title."""
    match = _URL_DATE.search(url)
    if not match:
        return None
    try:
        return datetime(*map(int, match.groups()), tzinfo=timezone.utc)
    except ValueError:
        return None


def choose(page_stamps: Iterable[tuple[datetime | None, str]], feed_stamp: datetime | None,
           days: Iterable[tuple[datetime | None, str]], now: datetime) -> tuple[datetime | None, str | None]:
    """The page's own timestamp (JSON-LD, meta) when plausible; else a day from the URL or the
    page, taking its time of day from the feed when the feed's date falls within a day of it;
    else the feed's date."""
    for when, source in page_stamps:
        if plausible(when, now):
            return when, source
    feed = feed_stamp if plausible(feed_stamp, now) else None
    for day, source in days:
        if plausible(day, now):
            if feed is not None and abs(feed - day) <= SAME_DAY:
                return feed, f"{source}+feed"
            return day, source
    return (feed, "feed") if feed else (None, None)

"""Dates: one parser for the formats feeds, pages and HTTP headers write, and the choice of a
publication date with provenance (the most trustworthy plausible candidate wins)."""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import TypeGuard

EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)
FUTURE_SKEW = timedelta(hours=2)
SAME_DAY = timedelta(hours=36)  # a date-only candidate and a timestamp this close agree (time zones)
# A day a title ends with, after its separator: "| 24.11.2026" (day first), ", 2026-11-24".
_TITLE_DAY_FIRST = re.compile(r"[|,–—-]\s*(\d{1,2})\.(\d{1,2})\.((?:19|20)\d\d)\s*$")
_TITLE_ISO_DAY = re.compile(r"[|,–—-]\s*((?:19|20)\d\d)-(\d\d)-(\d\d)\s*$")
_URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:/|[-_]|\.html?|$)")
# The shapes of an HTTP date (RFC 822/1123, RFC 850, asctime), zone optional. email.utils takes
# more but skips words it does not know: "November 19, 2019, 07:47 PM EST" would be 07:47 UTC.
_RFC822 = re.compile(
    r"""
    (?:[a-z]+,?\s+)?                                           # day name
    (?:\d{1,2}[\s-]+[a-z]+[\s-]+\d{2,4} | [a-z]+\s+\d{1,2})     # 24 Nov 2026, 06-Nov-94; Nov 6
    \s+\d{1,2}:\d{2}(?::\d{2})?                                  # time
    (?:\s+\d{4})?                                               # asctime's year
    (?:\s*(?:[a-z]+|[+-]\d{4}))?                                 # zone
    (?:\s*\(.*\))?                                              # comment
""",
    re.IGNORECASE | re.VERBOSE,
)


def parse(value: object) -> datetime | None:
    """ISO 8601 / RFC 3339 (a day or a timestamp) or RFC 822 / HTTP date -> aware UTC datetime;
    a time without a zone is taken as UTC. None for anything else, a non-string included."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None
    try:
        parsed = _iso_or_rfc822(text)
        return parsed.replace(tzinfo=parsed.tzinfo or timezone.utc).astimezone(timezone.utc)
    except (TypeError, ValueError, IndexError, OverflowError):  # OverflowError: out of range in UTC
        return None


def timestamp(value: str | None) -> datetime | None:
    """``parse`` for a value that states a time of day: a bare day is not a timestamp."""
    text = (value or "").strip()
    return parse(text) if "T" in text or " " in text else None


def from_utc_struct(value: object) -> datetime | None:
    """A struct_time in UTC (as feedparser gives) -> aware UTC datetime; None if unusable."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=timezone.utc)
    except (ValueError, TypeError, OverflowError):
        return None


def _iso_or_rfc822(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        if not _RFC822.fullmatch(text):
            raise
        return email.utils.parsedate_to_datetime(text)


def plausible(when: datetime | None, now: datetime) -> TypeGuard[datetime]:
    """Not before 1990 and not in the future (beyond a small clock skew)."""
    return when is not None and EARLIEST <= when <= now + FUTURE_SKEW


def from_url(url: str) -> datetime | None:
    """A date written into the URL path, as in /2026/11/24/ or /2026-11-24-title."""
    match = _URL_DATE.search(url)
    if not match:
        return None
    try:
        year, month, day = map(int, match.groups())
        return datetime(year, month, day, tzinfo=timezone.utc)
    except ValueError:
        return None


def from_title(title: str | None) -> datetime | None:
    """The day a page's title ends with, as in "Headline | Site | 24.11.2026"."""
    if match := _TITLE_DAY_FIRST.search(title or ""):
        day, month, year = map(int, match.groups())
    elif match := _TITLE_ISO_DAY.search(title or ""):
        year, month, day = map(int, match.groups())
    else:
        return None
    try:
        return datetime(year, month, day, tzinfo=timezone.utc)
    except ValueError:
        return None


def choose(
    page_stamps: Iterable[tuple[datetime | None, str]],
    feed_stamp: datetime | None,
    days: Iterable[tuple[datetime | None, str]],
    now: datetime,
    feed_label: str = "feed",
) -> tuple[datetime | None, str | None]:
    """The page's own timestamp (JSON-LD, meta) when plausible; else a day from the URL or the
    page, taking its time of day from the feed (or sitemap: `feed_label`) when the feed's date
    falls within a day of it; else the feed's date."""
    for when, source in page_stamps:
        if plausible(when, now):
            return when, source
    feed = feed_stamp if plausible(feed_stamp, now) else None
    for day, source in days:
        if plausible(day, now):
            if feed is not None and abs(feed - day) <= SAME_DAY:
                return feed, f"{source}+{feed_label}"
            return day, source
    return (feed, feed_label) if feed else (None, None)

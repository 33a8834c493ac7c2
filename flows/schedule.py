"""When a source is next due. A failing source backs off but is never dropped."""
from __future__ import annotations

from datetime import datetime, timedelta

FIRST_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(days=1)


def next_poll(now: datetime, consecutive_failures: int) -> datetime:
    """Due again at once after a success; after failures, 5 min doubling up to one day."""
    if consecutive_failures <= 0:
        return now
    doublings = min(consecutive_failures - 1, 20)  # 2**20 * 5 min is far past the cap
    return now + min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** doublings)

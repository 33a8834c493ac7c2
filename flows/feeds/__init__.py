"""Pure: feed documents (RSS 0.9x/1.0/2.0, Atom, JSON Feed) -> ParsedFeed records.

No network, files, Prefect or DuckDB: the caller hands in the bytes and headers it fetched.
"""

from flows.feeds.fields import FeedError
from flows.feeds.rss import discover, parse, sitemap_links

__all__ = ["FeedError", "discover", "parse", "sitemap_links"]

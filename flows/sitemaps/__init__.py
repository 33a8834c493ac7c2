"""Pure: sitemap documents (sitemap indexes, URL sets, Google News sitemaps; gzip'd or not)
-> the sitemaps an index lists and the entries a URL set lists.

No network, files, Prefect or DuckDB: the caller fetches, and decides which listed
sitemaps to fetch next (see `flows/sitemapfetch.py`).
"""

from flows.sitemaps.document import MAX_BYTES, MAX_URLS, Listed, Sitemap, SitemapError, read
from flows.sitemaps.selection import fresh_entries, worth_fetching

__all__ = ["MAX_BYTES", "MAX_URLS", "Listed", "Sitemap", "SitemapError", "fresh_entries", "read", "worth_fetching"]

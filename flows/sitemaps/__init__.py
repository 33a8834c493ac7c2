"""Pure: sitemap documents (sitemap indexes, URL sets, Google News sitemaps; gzip'd or not)
-> the sitemaps an index lists and the entries a URL set lists; where a site's sitemaps are.

No network, files, Prefect or DuckDB: the caller fetches, and decides which listed
sitemaps to fetch next (see `flows/sitemapfetch.py`).
"""

from flows.sitemaps.discovery import candidates, children_to_sample, is_news, kind_of_index, robots_sitemaps
from flows.sitemaps.document import MAX_BYTES, MAX_URLS, Listed, Sitemap, SitemapError, read
from flows.sitemaps.selection import fresh_entries, worth_fetching

__all__ = [
    "MAX_BYTES",
    "MAX_URLS",
    "Listed",
    "Sitemap",
    "SitemapError",
    "candidates",
    "children_to_sample",
    "fresh_entries",
    "is_news",
    "kind_of_index",
    "read",
    "robots_sitemaps",
    "worth_fetching",
]

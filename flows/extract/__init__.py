"""Pure: an article page's bytes -> Article (body, title, authors, dates, language).

trafilatura does the body; the modules here read the page's own metadata, choose the title
and clean the body (bylines and dates are flows.text's). No network, Prefect or DuckDB.
"""

from flows.extract.page import DEFAULT_MIN_BODY_CHARS, EXTRACTOR_VERSION, ExtractionFailed, article, load_models

__all__ = ["DEFAULT_MIN_BODY_CHARS", "EXTRACTOR_VERSION", "ExtractionFailed", "article", "load_models"]

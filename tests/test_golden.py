"""A floor on extraction quality over our own labelled pages (the demo newsroom)."""

from __future__ import annotations

import re
from datetime import timezone

from flows import extract
from flows.demo.labelled import labelled_pages

BODY_F1_FLOOR = 0.95
METADATA_FLOOR = 0.95


def shingles(text: str, size: int = 4) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.casefold())
    return {tuple(words[i : i + size]) for i in range(max(1, len(words) - size + 1))}


def f1(predicted: str, expected: str) -> float:
    got, want = shingles(predicted), shingles(expected)
    hits = len(got & want)
    return 0.0 if not hits else 2 * hits / (len(got) + len(want))


def test_extraction_stays_above_the_floor_on_our_labelled_pages():
    pages = labelled_pages()
    results = [(page, extract.article(page.html, page.url)) for page in pages]
    body_f1 = sum(f1(article.body, page.body) for page, article in results) / len(results)
    titles = sum(article.title == page.title for page, article in results) / len(results)
    authors = sum(article.authors == page.authors for page, article in results) / len(results)
    dated = sum(article.published_at == page.published.astimezone(timezone.utc) for page, article in results) / len(
        results
    )
    assert len(pages) >= 60
    assert body_f1 >= BODY_F1_FLOOR, f"body F1 {body_f1:.3f}"
    assert min(titles, authors, dated) >= METADATA_FLOOR, (titles, authors, dated)


def test_metadata_is_right_on_pages_with_real_world_quirks():
    """Kicker and site suffix in the title, agency and 'By' in the byline, a date only in the URL,
    a meta date in another time zone, a JSON-LD date in the future."""
    from pathlib import Path

    from flows.demo.labelled import fixture_pages

    for page in fixture_pages(Path(__file__).parent / "fixtures" / "labelled"):
        article = extract.article(page.html, page.url, min_body_chars=0)
        assert (article.title, article.authors, article.published_at) == (
            page.title,
            page.authors,
            page.published.astimezone(timezone.utc),
        ), page.url

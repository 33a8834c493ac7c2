"""The newsroom's article pages with the truth about each: a labelled set of our own.

Used by the golden test (a floor on extraction quality) and by bench/extraction.py
(title, author and date accuracy, which ../shared/eval has no labels for). The demo
pages are regular; tests/fixtures/labelled adds pages with the quirks of real ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flows.demo import render
from flows.demo.catalog import load

BASE_URL = "http://127.0.0.1:8642"


@dataclass(frozen=True)
class LabelledPage:
    url: str
    html: bytes
    title: str
    authors: tuple[str, ...]
    published: datetime
    body: str


def fixture_pages(folder: Path) -> list[LabelledPage]:
    """Hand-labelled pages with the quirks of real ones (labels.json beside the HTML files)."""
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    return [
        LabelledPage(
            url=label["url"],
            html=(folder / label["file"]).read_bytes(),
            title=label["title"],
            authors=tuple(label["authors"]),
            published=datetime.fromisoformat(label["published"]),
            body="",
        )
        for label in labels
    ]


def labelled_pages(base_url: str = BASE_URL) -> list[LabelledPage]:
    catalog = load()
    return [
        LabelledPage(
            url=base_url + article.path,
            html=render.article_page(catalog, article, base_url).encode("utf-8"),
            title=article.headline,
            authors=article.authors,
            published=article.published,
            body="\n".join(article.paragraphs),
        )
        for article in catalog.articles
        if not article.removed
    ]

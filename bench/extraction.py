"""Body extraction on the 181 real pages of ../shared/eval: our extractor vs plain trafilatura.

Scored with the eval's own scorer (4-token shingle F1, ± from bootstrap). Run:
    .venv/bin/python bench/extraction.py
Skips (exit 0) when ../shared/eval is absent.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from datetime import datetime, timezone
from collections.abc import Callable
from pathlib import Path

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
GROUND_TRUTH = EVAL / "extraction" / "scrapinghub-aeb" / "ground_truth.jsonl"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def load_scorer():
    spec = importlib.util.spec_from_file_location("score_extraction", EVAL / "score_extraction.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ours(page: bytes, url: str) -> str:
    from flows import extract

    try:
        return extract.article(page, url, headers={}, entry=None, min_body_chars=0).body
    except extract.ExtractionFailed:
        return ""


def plain(page: bytes, url: str) -> str:
    import trafilatura

    return trafilatura.extract(page.decode("utf-8"), include_comments=False) or ""


def run(extractor: Callable, rows: list[dict]) -> tuple[dict, float]:
    bodies = {}
    started = time.perf_counter()
    for row in rows:
        bodies[row["id"]] = extractor((GROUND_TRUTH.parent / row["html_path"]).read_bytes(), row["url"])
    return bodies, (time.perf_counter() - started) * 1000 / len(rows)


def main() -> int:
    if not GROUND_TRUTH.exists():
        print(f"skipped: no evaluation data at {EVAL}")
        return 0
    scorer = load_scorer()
    rows = [json.loads(line) for line in GROUND_TRUTH.open(encoding="utf-8")]
    truth = {row["id"]: row["expected_body"] for row in rows}
    print(f"{'extractor':<22} {'F1':>13} {'P':>6} {'R':>6} {'ms/page':>8}")
    for name, extractor in (("newsdesk (ours)", ours), ("trafilatura (plain)", plain)):
        bodies, ms = run(extractor, rows)
        score = scorer.evaluate(truth, bodies)
        print(
            f"{name:<22} {score['f1']:.3f} ± {score['f1_std']:.3f} {score['precision']:.3f} "
            f"{score['recall']:.3f} {ms:8.1f}"
        )
    labelled_accuracy()
    return 0


def labelled_accuracy() -> None:
    """Title, author and date accuracy on our own labelled pages."""
    from flows.demo.labelled import fixture_pages, labelled_pages

    quirky = fixture_pages(Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "labelled")
    for label, pages in (("demo newsroom pages", labelled_pages()), ("pages with real-world quirks", quirky)):
        _metadata_table(label, pages)


def _metadata_table(label: str, pages: list) -> None:
    import trafilatura

    from flows import extract

    print(f"\nmetadata right on {len(pages)} labelled {label}:")
    print(f"{'extractor':<22} {'title':>6} {'authors':>8} {'day':>6} {'day+time':>9}")
    ours_found = [extract.article(p.html, p.url, min_body_chars=0) for p in pages]
    ours_rows = [(a.title, a.authors, a.published_at) for a in ours_found]
    plain_rows = []
    for page in pages:
        doc = trafilatura.bare_extraction(page.html.decode("utf-8"), url=page.url, with_metadata=True)
        names = tuple(n.strip() for n in (doc.author or "").split(";") if n.strip())
        day = datetime.fromisoformat(doc.date).replace(tzinfo=timezone.utc) if doc.date else None
        plain_rows.append((doc.title, names, day))
    for name, found in (("newsdesk (ours)", ours_rows), ("trafilatura (plain)", plain_rows)):
        share = _shares(pages, found)
        print(f"{name:<22} {share[0]:6.3f} {share[1]:8.3f} {share[2]:6.3f} {share[3]:9.3f}")


def _shares(pages: list, found: list) -> tuple[float, float, float, float]:
    truth = [(p.title, p.authors, p.published.astimezone(timezone.utc)) for p in pages]
    count = len(pages)
    return (
        sum(f[0] == t[0] for f, t in zip(found, truth)) / count,
        sum(f[1] == t[1] for f, t in zip(found, truth)) / count,
        sum(f[2] is not None and f[2].date() == t[2].date() for f, t in zip(found, truth)) / count,
        sum(f[2] == t[2] for f, t in zip(found, truth)) / count,
    )


if __name__ == "__main__":
    sys.exit(main())

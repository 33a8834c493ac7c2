"""Extraction on the real pages of ../shared/eval: our extractor against plain trafilatura, same run.

For the 181 scrapinghub pages and the 126 fundus-dev news pages it prints body F1 (P/R, scored with
the eval's own scorer: 4-token shingles, ± from bootstrap), CPU ms/page and the ratio to plain
``trafilatura.extract()``, and empty bodies; on fundus-dev also titles exact, dates within 24 h and
authors (exact set, mean overlap). Our own labelled pages follow. Run:
    .venv/bin/python bench/extraction.py [--repeat N]
Skips (exit 0) when ../shared/eval is absent.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
SETS = {"scrapinghub pages": "scrapinghub-aeb", "fundus-dev": "fundus-dev"}
DAY = timedelta(hours=24)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@dataclass(frozen=True)
class Page:
    id: str
    url: str
    html: bytes
    truth: dict


@dataclass(frozen=True)
class Found:
    body: str
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None


def load_scorer():
    spec = importlib.util.spec_from_file_location("score_extraction", EVAL / "score_extraction.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(folder: str) -> list[Page]:
    truth = EVAL / "extraction" / folder / "ground_truth.jsonl"
    rows = [json.loads(line) for line in truth.open(encoding="utf-8")]
    return [Page(row["id"], row["url"], (truth.parent / row["html_path"]).read_bytes(), row) for row in rows]


def ours(page: Page) -> Found:
    from flows import extract

    try:
        found = extract.article(page.html, page.url, headers={}, entry=None, min_body_chars=0)
    except extract.ExtractionFailed:
        return Found("")
    return Found(found.body, found.title, found.authors, found.published_at)


def plain(page: Page) -> Found:
    import trafilatura

    return Found(trafilatura.extract(page.html.decode("utf-8", "replace"), include_comments=False) or "")


def plain_metadata(page: Page) -> Found:
    """What trafilatura itself reads as metadata (bare_extraction with_metadata), for comparison."""
    import trafilatura

    doc = trafilatura.bare_extraction(page.html.decode("utf-8", "replace"), url=page.url, with_metadata=True)
    if doc is None:
        return Found("")
    names = tuple(name.strip() for name in (doc.author or "").split(";") if name.strip())
    day = datetime.fromisoformat(doc.date).replace(tzinfo=timezone.utc) if doc.date else None
    return Found(doc.text or "", doc.title, names, day)


def timed(extractor: Callable[[Page], Found], pages: list[Page]) -> tuple[dict[str, Found], float]:
    """Results by page id and CPU ms per page (this process only: extraction runs in-process)."""
    started = time.process_time()
    found = {page.id: extractor(page) for page in pages}
    return found, (time.process_time() - started) * 1000 / len(pages)


def body_table(label: str, pages: list[Page], scorer, repeat: int) -> dict[str, dict[str, Found]]:
    truth = {page.id: page.truth["expected_body"] for page in pages}
    for extractor in (ours, plain):  # warm up: models, stoplists and caches load on first use
        for page in pages[:5]:
            extractor(page)
    results: dict[str, dict[str, Found]] = {}
    cpu: dict[str, float] = {}
    for name, extractor in (("newsdesk (ours)", ours), ("trafilatura (plain)", plain)):
        runs = [timed(extractor, pages) for _ in range(repeat)]
        results[name], cpu[name] = runs[0][0], min(ms for _, ms in runs)
    base = cpu["trafilatura (plain)"]
    print(f"\nbody text on {len(pages)} {label}:")
    print(f"{'extractor':<22} {'F1':>13} {'P':>6} {'R':>6} {'CPU ms/page':>12} {'ratio':>6} {'empty':>6}")
    for name, found in results.items():
        score = scorer.evaluate(truth, {key: value.body for key, value in found.items()})
        empty = sum(1 for value in found.values() if not value.body.strip())
        print(
            f"{name:<22} {score['f1']:.3f} ± {score['f1_std']:.3f} {score['precision']:6.3f} "
            f"{score['recall']:6.3f} {cpu[name]:12.1f} {cpu[name] / base:6.2f} {empty:6d}"
        )
    mine, theirs = results["newsdesk (ours)"], results["trafilatura (plain)"]
    lost = [key for key in mine if not mine[key].body.strip() and theirs[key].body.strip()]
    print(f"empty in ours where plain trafilatura finds a body: {len(lost)} {' '.join(lost[:5])}")
    return results


def metadata_table(pages: list[Page], ours_found: dict[str, Found]) -> None:
    print(f"\nmetadata on {len(pages)} fundus-dev pages (their ground truth):")
    print(f"{'extractor':<22} {'title':>6} {'date±24h':>9} {'authors':>8} {'overlap':>8}")
    theirs = {page.id: plain_metadata(page) for page in pages}
    for name, found in (("newsdesk (ours)", ours_found), ("trafilatura (metadata)", theirs)):
        rows = [_metadata_right(page.truth, found[page.id]) for page in pages]
        shares = [sum(row[i] for row in rows) / len(rows) for i in range(4)]
        print(f"{name:<22} {shares[0]:6.3f} {shares[1]:9.3f} {shares[2]:8.3f} {shares[3]:8.3f}")


def _metadata_right(truth: dict, found: Found) -> tuple[bool, bool, bool, float]:
    expected_day = datetime.fromisoformat(truth["expected_publishing_date"])
    expected_day = expected_day.replace(tzinfo=expected_day.tzinfo or timezone.utc)
    want, got = _names(truth.get("expected_authors") or ()), _names(found.authors)
    return (
        _same_text(truth["expected_title"], found.title),
        found.published is not None and abs(found.published - expected_day) <= DAY,
        want == got,
        len(want & got) / len(want | got) if want | got else 1.0,
    )


def _same_text(expected: str | None, found: str | None) -> bool:
    return _folded(expected) == _folded(found)


def _folded(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def _names(names) -> set[str]:
    return {_folded(name).casefold() for name in names if _folded(name)}


def labelled_accuracy() -> None:
    """Title, author and date accuracy on our own labelled pages."""
    from flows.demo.labelled import fixture_pages, labelled_pages

    quirky = fixture_pages(Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "labelled")
    for label, pages in (("demo newsroom pages", labelled_pages()), ("pages with real-world quirks", quirky)):
        _labelled_table(label, pages)


def _labelled_table(label: str, pages: list) -> None:
    from flows import extract

    print(f"\nmetadata right on {len(pages)} labelled {label}:")
    print(f"{'extractor':<22} {'title':>6} {'authors':>8} {'day':>6} {'day+time':>9}")
    ours_found = [extract.article(p.html, p.url, min_body_chars=0) for p in pages]
    ours_rows = [(a.title, a.authors, a.published_at) for a in ours_found]
    plain_rows = []
    for page in pages:
        doc = plain_metadata(Page("", page.url, page.html, {}))
        plain_rows.append((doc.title, doc.authors, doc.published))
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="time each extractor N times, keep the fastest")
    args = parser.parse_args()
    if not (EVAL / "score_extraction.py").exists():
        print(f"skipped: no evaluation data at {EVAL}")
        return 0
    import trafilatura

    from flows import extract

    print(f"{extract.EXTRACTOR_VERSION} against trafilatura {trafilatura.__version__}")
    scorer = load_scorer()
    for label, folder in SETS.items():
        pages = load(folder)
        results = body_table(label, pages, scorer, args.repeat)
        if folder == "fundus-dev":
            metadata_table(pages, results["newsdesk (ours)"])
    labelled_accuracy()
    return 0


if __name__ == "__main__":
    sys.exit(main())

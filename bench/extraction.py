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


def ours(page: bytes, url: str) -> tuple[str, str | None]:
    from flows import extract
    try:
        found = extract.article(page, url, headers={}, entry=None, min_body_chars=0)
    except extract.ExtractionFailed:
        return "", None
    return found.body, found.title


def plain(page: bytes, url: str) -> tuple[str, str | None]:
    import trafilatura
    return trafilatura.extract(page.decode("utf-8"), include_comments=False) or "", None


def run(extractor: Callable, rows: list[dict]) -> tuple[dict, dict, float]:
    bodies, titles = {}, {}
    started = time.perf_counter()
    for row in rows:
        page = (GROUND_TRUTH.parent / row["html_path"]).read_bytes()
        bodies[row["id"]], titles[row["id"]] = extractor(page, row["url"])
    return bodies, titles, (time.perf_counter() - started) * 1000 / len(rows)


def main() -> int:
    if not GROUND_TRUTH.exists():
        print(f"skipped: no evaluation data at {EVAL}")
        return 0
    scorer = load_scorer()
    rows = [json.loads(line) for line in GROUND_TRUTH.open(encoding="utf-8")]
    truth = {row["id"]: row["expected_body"] for row in rows}
    has_titles = any(row.get("expected_title") for row in rows)
    print(f"{'extractor':<22} {'F1':>13} {'P':>6} {'R':>6} {'ms/page':>8}" + ("  title=" if has_titles else ""))
    for name, extractor in (("newsdesk (ours)", ours), ("trafilatura (plain)", plain)):
        bodies, titles, ms = run(extractor, rows)
        score = scorer.evaluate(truth, bodies)
        line = (f"{name:<22} {score['f1']:.3f} ± {score['f1_std']:.3f} {score['precision']:.3f} "
                f"{score['recall']:.3f} {ms:8.1f}")
        if has_titles:
            hits = [titles[r["id"]] == r["expected_title"] for r in rows if r.get("expected_title")]
            line += f"  {sum(hits) / len(hits):.3f}" if any(titles.values()) else "  -"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

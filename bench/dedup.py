"""Story clustering: quality on ../shared/eval/dedup, and the cost of matching a new batch.

Quality: the 1,148 labelled texts are loaded, in file order and in batches of 100, into a
temporary warehouse through the load the flow uses (exact copies become one article, as
in the flow); a pair counts as merged when its two texts end up with the same story id.
Skipped when ../shared/eval/dedup is absent.

Cost: warehouses of 10k and 100k generated articles (our own text generator, 150-1,200
words each), then batches of 1,000 new articles (half of them rewrites, trimmed, lead-only
or expanded copies of stored ones) loaded through a fresh connection, timed with story
matching, and 1,000 others without; the difference is the matching time. Run:
    .venv/bin/python bench/dedup.py                  # both parts
    .venv/bin/python bench/dedup.py --sizes 10000    # cost at one size only
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import warehouse  # noqa: E402
from flows.identity import dedup  # noqa: E402
from flows.identity import neardup  # noqa: E402
from flows.identity.neardup import StoryRules  # noqa: E402
from warehouse import store  # noqa: E402

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dedup"
START = datetime(2026, 11, 1, tzinfo=timezone.utc)
HARD_NEGATIVE = "same_domain"  # negatives from the same site (shared boilerplate among them)
REPEATS = 3  # timed batches per warehouse size (the median is shown)


def article_row(number: int, body: str, source: str = "bench") -> dict:
    article_id = f"a{number:08d}"
    return {
        "article_id": article_id,
        "canonical_url": f"https://{source}.example/{article_id}",
        "url": f"https://{source}.example/{article_id}",
        "source": source,
        "title": body[:60],
        "fetched_at": START + timedelta(seconds=number),
        "body": body,
        "word_count": len(body.split()),
        "content_hash": dedup.content_hash(body),
        "extractor_version": "bench",
        "run_id": "bench",
    }


def load_in_batches(path: Path, rows: list[dict], size: int, rules: StoryRules | None) -> None:
    for start in range(0, len(rows), size):
        with warehouse.writing(path) as con:
            store.load(con, {"articles": rows[start : start + size]}, matcher=rules)


# --- quality -------------------------------------------------------------------------


def quality(rules: StoryRules) -> None:
    docs = [json.loads(line) for line in (EVAL / "synthetic_docs.jsonl").open(encoding="utf-8")]
    pairs = [json.loads(line) for line in (EVAL / "synthetic_pairs.jsonl").open(encoding="utf-8")]
    story = stories_of(docs, rules)
    merged = Counter()
    total = Counter()
    for pair in pairs:
        same = story[pair["a"]] == story[pair["b"]]
        total[(pair["relation"], pair["label"])] += 1
        merged[(pair["relation"], pair["label"])] += same
    tp = sum(n for (_, label), n in merged.items() if label)
    fp = sum(n for (_, label), n in merged.items() if not label)
    positives = sum(n for (_, label), n in total.items() if label)
    precision, recall = tp / (tp + fp), tp / positives
    print(f"quality on {len(pairs)} labelled pairs ({positives} positive) from {EVAL}")
    print(
        f"  overall: precision {precision:.4f}  recall {recall:.4f}  "
        f"F1 {2 * precision * recall / (precision + recall):.4f}"
    )
    print(f"  {'relation':<58} {'pairs':>5} {'merged':>6} {'recall':>7}")
    for (relation, label), count in sorted(total.items(), key=lambda item: (-item[0][1], item[0][0])):
        found = merged[(relation, label)]
        share = f"{found / count:7.4f}" if label else "      -"
        print(f"  {relation:<58} {count:5d} {found:6d} {share}")
    hard = [key for key in total if not key[1] and HARD_NEGATIVE in key[0]]
    print(
        f"  hard negatives (same site) merged: {sum(merged[key] for key in hard)} of {sum(total[key] for key in hard)}"
    )


def stories_of(docs: list[dict], rules: StoryRules) -> dict[str, str]:
    """Each labelled text's story id after loading them all (exact copies share an article)."""
    article_of_hash: dict[str, str] = {}
    article_of_doc: dict[str, str] = {}
    rows = []
    for number, doc in enumerate(docs):
        row = article_row(number, doc["text"])
        article_of_doc[doc["doc_id"]] = article_of_hash.setdefault(row["content_hash"], row["article_id"])
        if article_of_doc[doc["doc_id"]] == row["article_id"]:
            rows.append(row)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "eval.duckdb"
        load_in_batches(path, rows, 100, rules)
        with warehouse.reading(path) as con:
            story = dict(con.execute("SELECT article_id, story_id FROM articles").fetchall())
    return {doc_id: story[article_id] for doc_id, article_id in article_of_doc.items()}


# --- cost ----------------------------------------------------------------------------


class TextGenerator:
    """Articles in a made-up language: Zipf-distributed words, sentences and paragraphs."""

    def __init__(self, seed: int = 7, vocabulary: int = 30_000) -> None:
        self.rng = np.random.default_rng(seed)
        syllables = [c + v for c in "bdfgklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
        lengths = self.rng.integers(1, 5, vocabulary)
        self.words = np.array(["".join(self.rng.choice(syllables, n)) for n in lengths])
        weights = 1.0 / np.arange(1, vocabulary + 1)
        self.cdf = np.cumsum(weights / weights.sum())

    def article(self) -> str:
        words = int(np.clip(self.rng.lognormal(6.2, 0.5), 150, 1200))
        paragraphs, left = [], words
        while left > 0:
            paragraphs.append(self._paragraph(min(left, int(self.rng.integers(40, 120)))))
            left -= 120
        return "\n\n".join(paragraphs)

    def _paragraph(self, words: int) -> str:
        picked = self.words[np.searchsorted(self.cdf, self.rng.random(words))]
        sentences, start = [], 0
        while start < words:
            end = start + int(self.rng.integers(8, 28))
            sentences.append(" ".join(picked[start:end]).capitalize() + ".")
            start = end
        return " ".join(sentences)

    def copy_of(self, body: str) -> str:
        """A rewrite, a trimmed copy, a lead-only copy or an expanded copy of `body`."""
        paragraphs = body.split("\n\n")
        kind = int(self.rng.integers(4))
        if kind == 0:
            words = body.split(" ")
            for index in self.rng.choice(len(words), max(1, len(words) // 30), replace=False):
                words[index] = str(self.rng.choice(self.words))
            return " ".join(words)
        if kind == 1:
            return "\n\n".join(paragraphs[: max(1, len(paragraphs) * 2 // 3)])
        if kind == 2:
            return paragraphs[0]
        return "\n\n".join(paragraphs + [self._paragraph(80)])


def cost(sizes: list[int], rules: StoryRules) -> None:
    """Warehouses of each size are built first; then the same batches go into each in turn,
    so a busy machine slows every size alike."""
    writer = TextGenerator()
    print(
        f"\nloading 1,000 new articles (500 copies of stored ones) into a warehouse of N articles, "
        f"median of {REPEATS} batches"
    )
    with tempfile.TemporaryDirectory() as folder:
        paths, kept = _warehouses(Path(folder), sorted(sizes), writer, rules)
        timings: dict[int, list[tuple[float, float]]] = {size: [] for size in paths}
        joined, merged = Counter(), Counter()
        for round_number in range(REPEATS):
            first = 10_000_000 + round_number * 2000
            originals = writer.rng.integers(len(kept), size=500)
            copies = [article_row(first + n, writer.copy_of(kept[o])) for n, o in enumerate(originals)]
            fresh = [article_row(first + 500 + n, writer.article()) for n in range(1500)]
            for size, path in paths.items():
                timings[size].append(
                    (_timed_load(path, copies + fresh[:500], rules), _timed_load(path, fresh[500:], None))
                )
                story = _stories(path, copies[0]["article_id"])
                joined[size] += sum(story[row["article_id"]] == f"a{o:08d}" for row, o in zip(copies, originals))
                merged[size] += sum(story[row["article_id"]] != row["article_id"] for row in fresh[:500])
    print(
        f"  {'N':>8} {'load+match s':>12} {'load only s':>11} {'match s':>8} {'copies joined':>13} {'fresh merged':>13}"
    )
    matching = {}
    for size, runs in timings.items():
        loaded, plain = (float(np.median(column)) for column in zip(*runs))
        matching[size] = float(np.median([with_stories - without for with_stories, without in runs]))
        print(
            f"  {size:8d} {loaded:12.3f} {plain:11.3f} {matching[size]:8.3f} "
            f"{joined[size]:>8d}/{500 * REPEATS} {merged[size]:>8d}/{500 * REPEATS}"
        )
    if len(matching) > 1:
        low, high = min(matching), max(matching)
        print(f"  matching time at {high:,} / at {low:,}: {matching[high] / matching[low]:.2f}x")


def _warehouses(
    folder: Path, sizes: list[int], writer: TextGenerator, rules: StoryRules
) -> tuple[dict[int, Path], list[str]]:
    """One warehouse per size, each grown from the last; and the first 2,000 bodies."""
    growing = folder / "growing"
    paths, kept, stored = {}, [], 0
    for size in sizes:
        rows = [article_row(number, writer.article()) for number in range(stored, size)]
        kept += [row["body"] for row in rows[: max(0, 2000 - len(kept))]]
        load_in_batches(growing, rows, 5000, rules)
        stored = size
        paths[size] = folder / f"warehouse-{size}"
        shutil.copytree(growing, paths[size])
    return paths, kept


def _stories(path: Path, since_id: str) -> dict[str, str]:
    with warehouse.reading(path) as con:
        return dict(
            con.execute("SELECT article_id, story_id FROM articles WHERE article_id >= ?", [since_id]).fetchall()
        )


def _timed_load(path: Path, rows: list[dict], rules: StoryRules | None) -> float:
    # Nothing kept from the load into the other size: sketches are cached per process.
    for cached in (neardup._words, neardup._body_shingles, neardup._word_hash):
        cached.cache_clear()
    with warehouse.writing(path) as con:
        started = time.perf_counter()
        store.load(con, {"articles": rows}, matcher=rules)
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    rules = StoryRules()
    print(f"rules: {rules}")
    if args.skip_quality:
        pass
    elif (EVAL / "synthetic_pairs.jsonl").exists():
        quality(rules)
    else:
        print(f"quality skipped: no evaluation data at {EVAL}")
    cost(args.sizes, rules)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What keeping full-text search current costs, at 10k and 100k articles of ~600 words.

    .venv/bin/python bench/search.py [--sizes 10000 100000] [--batch 200]

For each size it fills a scratch warehouse with synthetic articles (a Zipf-like draw from
the demo newsroom's own vocabulary plus made-up words), indexes them, then prints:
- the incremental cost of one load of `--batch` new articles (our postings, what every
  run pays), next to the whole load it is part of;
- the cost of rebuilding DuckDB's own index (PRAGMA create_fts_index) over all articles,
  which is what a rebuild after each load, or on the first search after it, would pay;
- search latency through search_articles() and through fts's match_bm25.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import warehouse
from warehouse import search, store

DEMO = Path(__file__).resolve().parents[1] / "flows" / "demo" / "content"


def vocabulary(size: int = 30_000) -> list[str]:
    """The demo's words, most frequent first, then made-up words for the long tail."""
    counts: dict[str, int] = {}
    for path in DEMO.glob("*.yaml"):
        for word in re.findall(r"[a-z]+", path.read_text(encoding="utf-8").lower()):
            counts[word] = counts.get(word, 0) + 1
    words = sorted(counts, key=counts.get, reverse=True)
    syllables = ["ka", "lo", "ven", "dra", "mi", "sul", "tor", "bel", "rin", "qua", "ost", "ne"]
    n = 0
    while len(words) < size:
        n += 1
        words.append("".join(syllables[(n // 12**k) % 12] for k in range(4)))
    return words


def fill(con, start: int, count: int, table: str = "articles") -> None:
    """Insert `count` articles of 550-650 words straight into `table` (no index)."""
    con.execute(
        f"""
        INSERT INTO {table} (article_id, canonical_url, url, source, title, published_at, fetched_at,
                              body, word_count, content_hash, extractor_version, run_id)
        WITH tokens AS (
            SELECT d.i AS doc, p.i AS pos, floor(exp(random() * ln($words)))::INTEGER - 1 AS rank
            FROM range($start, $start + $count) d(i), range(600 + (hash(d.i) % 100)::INTEGER - 50) p(i)
        ), texts AS (
            SELECT doc, string_agg(word, ' ' ORDER BY pos) AS body,
                   string_agg(word, ' ' ORDER BY pos) FILTER (WHERE pos < 9) AS title, count(*) AS n
            FROM tokens JOIN bench_words USING (rank) GROUP BY doc
        )
        SELECT 'bench-' || doc, 'https://bench.example/' || doc, 'https://bench.example/' || doc,
               'source-' || (doc % 12), title, $now - to_minutes(doc), $now, body, n, md5(body), 'bench', 'bench'
        FROM texts""",
        {
            "start": start,
            "count": count,
            "words": con.execute("SELECT count(*) FROM bench_words").fetchone()[0],
            "now": datetime.now(timezone.utc),
        },
    )


def queries(con) -> dict[str, str]:
    """Query words picked by how common they are: the cost of a search grows with the
    number of articles that match."""
    words = [
        w
        for (w,) in con.execute("SELECT word FROM bench_words ORDER BY rank").fetchall()
        if w not in search.STOPWORDS and len(w) > 3
    ]
    return {"common word": words[10], "three mid-frequency words": " ".join(words[300:303]), "rare word": words[8000]}


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_time(action, repeat: int = 5) -> float:
    return statistics.median(timed(action) for _ in range(repeat))


def batch_rows(con, start: int, count: int) -> list[dict]:
    """`count` fresh articles as store.load receives them (made in a scratch table)."""
    con.execute("CREATE OR REPLACE TEMP TABLE bench_batch AS SELECT * FROM articles LIMIT 0")
    fill(con, start, count, "bench_batch")
    cursor = con.execute("SELECT * FROM bench_batch")
    names = [c[0] for c in cursor.description]
    return [{k: v for k, v in zip(names, row) if v is not None} for row in cursor.fetchall()]


def measure(size: int, batch: int, folder: Path) -> None:
    db = folder / f"bench-{size}.duckdb"
    with warehouse.writing(db) as con:
        con.execute(
            "CREATE TABLE bench_words AS SELECT row_number() OVER () - 1 AS rank, word FROM unnest($w) t(word)",
            {"w": vocabulary()},
        )
        made = timed(lambda: fill(con, 0, size))
        built = timed(lambda: search.index_new_articles(con))
        postings = con.execute("SELECT count(*) FROM search_postings").fetchone()[0]
        print(
            f"\n## {size:,} articles (made in {made:.1f}s; our index built from scratch in {built:.1f}s, "
            f"{postings:,} postings)"
        )
        incremental, loads = [], []
        for round_ in range(3):
            rows = batch_rows(con, size + round_ * batch, batch)
            con.execute("BEGIN")
            con.execute("INSERT INTO articles SELECT * FROM bench_batch")
            incremental.append(timed(lambda: search.index_new_articles(con)))
            con.execute("ROLLBACK")
            loads.append(timed(lambda rows=rows: store.load(con, {"articles": rows})))
        print(
            f"keep current, ours: {statistics.median(incremental) * 1000:.0f} ms to index a load of "
            f"{batch} articles (the whole store.load including it: {statistics.median(loads) * 1000:.0f} ms)"
        )
        rebuild = timed(
            lambda: con.execute("PRAGMA create_fts_index('articles', 'article_id', 'title', 'body', overwrite = 1)")
        )
        print(f"keep current, fts rebuild: {rebuild:.1f} s per load (PRAGMA create_fts_index over all articles)")
        total = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        for label, query in queries(con).items():
            matched = con.execute("SELECT count(*) FROM search_articles($q)", {"q": query}).fetchone()[0]
            ours = median_time(lambda query=query: search.search(con, query, limit=20))
            theirs = median_time(
                lambda query=query: con.execute(
                    "SELECT article_id, fts_main_articles.match_bm25(article_id, $q) AS score FROM articles "
                    "WHERE score IS NOT NULL ORDER BY score DESC LIMIT 20",
                    {"q": query},
                ).fetchall()
            )
            print(
                f"search, {label} {query!r} ({matched / total:.0%} of articles match): top 20 by "
                f"search_articles {ours * 1000:.0f} ms, by match_bm25 {theirs * 1000:.0f} ms"
            )
    size_mb = db.stat().st_size / 1e6
    print(f"warehouse file: {size_mb:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as folder:
        for size in args.sizes:
            measure(size, args.batch, Path(folder))


if __name__ == "__main__":
    main()

"""Throughput of the real ingest flow against a generated newsroom, next to the CPU ceiling
and the naive loop a user would write first.

    .venv/bin/python bench/throughput.py --articles 2000 --hosts 20 --latency-ms 100
    .venv/bin/python bench/throughput.py --articles 500 --feeds 250 --hosts 25       # many feeds
    .venv/bin/python bench/throughput.py --articles 5000 --feeds 5000 --hosts 500   # thousands

It generates N pages in F feeds (default: one per host) over H hosts (bench/newsroom.py),
serves them on loopback with L ms of latency per request, starts a local Prefect server,
and runs `newsdesk run --all` into a temporary warehouse twice (the second time nothing has changed). Figures:
- run time: the flow's own start-to-finish time from the `runs` ledger (process start-up
  and Prefect's client import are printed separately as process wall time);
- extraction CPU: extract.article on a random sample of the same pages, in this process,
  before and after the first run (their mean), less the near-duplicate sketch it computes
  (dedup work, done in the extractor processes);
- ceiling: usable cores / extraction CPU per page; efficiency: achieved / ceiling; the same
  against plain trafilatura.extract()'s CPU on the same pages, so our own overhead shows;
- peak RSS: the run's whole process tree (the CLI and its extractor workers), sampled
  every 50 ms; the Prefect server and the newsroom are separate processes and not counted;
- requests: as counted by the newsroom's server.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import warehouse
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import naive, newsroom, ports, procs  # noqa: E402
from flows import extract, extractpool  # noqa: E402
from flows.identity import neardup  # noqa: E402
from flows.text.normalise import normalise_body  # noqa: E402

EXTRACTION_SAMPLE = 200  # pages drawn at random from every host: within ~1 % of the mean over all


def main() -> None:
    args = _arguments()
    work = Path(tempfile.mkdtemp(prefix="newsdesk-throughput-"))
    print(f"generating {args.articles} pages over {args.hosts} hosts in {work} ...", flush=True)
    layout = newsroom.generate(work / "site", args.articles, args.hosts, ports.free_port(), args.feeds)
    sizes = [p.stat().st_size for p in (work / "site").glob("host-*/*.html")]
    print(f"{layout.feeds} feeds on {layout.hosts} hosts", flush=True)
    print(
        f"pages: {len(sizes)}, {sum(sizes) / len(sizes) / 1024:.0f} KiB average "
        f"({min(sizes) / 1024:.0f}-{max(sizes) / 1024:.0f} KiB)"
    )
    before_ms, sketch_ms = _extraction_cpu_ms(layout, args.articles)
    plain_ms = _plain_trafilatura_cpu_ms(layout, args.articles)
    print(
        f"extraction CPU before the run: {before_ms:.1f} ms/page on {min(EXTRACTION_SAMPLE, args.articles)} pages "
        f"(and {sketch_ms:.1f} ms for the near-duplicate sketch)",
        flush=True,
    )

    from flows.serve import local_prefect_server

    with newsroom.GeneratedNewsroom(layout, args.latency_ms) as room, local_prefect_server(ports.free_port()) as api:
        sources = _write_sources(work, room, args)
        first = _run(sources, api, room)
        # the machine's speed drifts by a few per cent: the ceiling is taken on both sides of the run
        after_ms, _ = _extraction_cpu_ms(layout, args.articles)
        cpu_ms = (before_ms + after_ms) / 2
        cores = extractpool.workers()
        ceiling = cores / (cpu_ms / 1000)
        plain_ceiling = cores / (plain_ms / 1000)
        print(
            f"extraction CPU after the run: {after_ms:.1f} ms/page; {cores} cores -> ceiling {ceiling:.1f} articles/s",
            flush=True,
        )
        second = _run(sources, api, room)
        subset = naive.measure(
            room.sources(), args.naive_articles, args.articles // layout.feeds + 1, work / "naive.duckdb"
        )
    rate = first["articles_new"] / first["run_s"]
    print()
    print(f"settings: per-host concurrency {args.per_host}, min delay {args.min_delay}s, latency {args.latency_ms} ms")
    _table(
        [
            ("first run: articles loaded", f"{first['articles_new']}"),
            ("first run: run time (flow)", f"{first['run_s']:.1f} s   (process wall {first['wall_s']:.1f} s)"),
            ("first run: articles/s", f"{rate:.1f}"),
            (
                "extraction CPU ms/page",
                f"{cpu_ms:.1f}   (before {before_ms:.1f}, after {after_ms:.1f}; "
                f"+ {sketch_ms:.1f} near-duplicate sketch, not in the ceiling)",
            ),
            ("CPU ceiling (cores / extraction)", f"{ceiling:.1f} articles/s ({cores} cores)"),
            ("efficiency (achieved / ceiling)", f"{rate / ceiling:.2f}"),
            (
                "plain trafilatura.extract() CPU ms/page",
                f"{plain_ms:.1f} -> ceiling {plain_ceiling:.1f} articles/s, "
                f"efficiency against it {rate / plain_ceiling:.2f}",
            ),
            (
                "peak RSS (run + extractor workers)",
                f"{first['peak_rss_mb']:.0f} MB   (run process {first['peak_main_mb']:.0f} MB, "
                f"largest worker {first['peak_worker_mb']:.0f} MB)",
            ),
            ("first run: CPU, run process", _cpu_per_article(first, "cpu_main_s")),
            ("first run: CPU, extractor processes", _cpu_per_article(first, "cpu_workers_s")),
            ("first run: CPU, Prefect server", f"{first['cpu_prefect_s']:.1f} s"),
            ("first run: CPU, the newsroom's web server", f"{first['cpu_newsroom_s']:.1f} s"),
            ("first run: requests made", f"{first['requests']}"),
            ("re-run: requests made", f"{second['requests']} ({second['feeds_unchanged']} feeds answered 304)"),
            ("re-run: pages fetched", f"{second['pages_fetched']}"),
            ("re-run: run time (flow)", f"{second['run_s']:.1f} s   (process wall {second['wall_s']:.1f} s)"),
            (
                "re-run: CPU, run process / Prefect server",
                f"{second['cpu_main_s']:.1f} s / {second['cpu_prefect_s']:.1f} s",
            ),
            ("naive loop: articles", f"{subset.articles} in {subset.seconds:.1f} s"),
            ("naive loop: articles/s", f"{subset.rate:.2f}"),
            ("speed ratio (ours / naive)", f"{rate / subset.rate:.1f}x"),
        ]
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="article pages to generate (N)")
    parser.add_argument("--hosts", type=int, default=20, help="hosts (H)")
    parser.add_argument("--feeds", type=int, default=None, help="feeds, spread over the hosts (F; default H)")
    parser.add_argument("--latency-ms", type=float, default=100, help="latency added to every request (L)")
    parser.add_argument("--naive-articles", type=int, default=60, help="articles for the naive baseline")
    parser.add_argument("--per-host", type=int, default=4, help="settings.per_host_concurrency")
    parser.add_argument("--min-delay", type=float, default=0.1, help="settings.min_delay_seconds")
    return parser.parse_args()


def _extraction_cpu_ms(layout: newsroom.Layout, articles: int) -> tuple[float, float]:
    """CPU ms per page of extract.article less the near-duplicate sketch it computes, and of
    the sketch. The sketch is dedup work done in the extractor processes: the ceiling leaves it out."""
    chosen = sorted(random.Random(1).sample(range(articles), min(EXTRACTION_SAMPLE, articles)))
    sample = [layout.page_path(n) for n in chosen]
    extract.article(sample[0].read_bytes(), "http://127.0.0.2/", {}, None, 0)  # imports and caches warmed
    pages = [p.read_bytes() for p in sample]
    started = time.process_time()
    bodies = [
        extract.article(page, "http://127.0.0.2/news/1", {"content-type": "text/html; charset=utf-8"}, None, 0).body
        for page in pages
    ]
    extraction = time.process_time() - started
    normalised = [normalise_body(body) for body in bodies]  # extraction's own, for the content hash
    started = time.process_time()
    for text in normalised:
        neardup.RULES.band_keys_of_normalised(text)
    sketch = time.process_time() - started
    return (extraction - sketch) / len(pages) * 1000, sketch / len(pages) * 1000


def _plain_trafilatura_cpu_ms(layout: newsroom.Layout, articles: int) -> float:
    """CPU ms per page of plain trafilatura.extract() on the same sample: the ceiling without our work."""
    import trafilatura

    chosen = sorted(random.Random(1).sample(range(articles), min(EXTRACTION_SAMPLE, articles)))
    pages = [layout.page_path(n).read_text(encoding="utf-8") for n in chosen]
    trafilatura.extract(pages[0], include_comments=False)
    started = time.process_time()
    for page in pages:
        trafilatura.extract(page, include_comments=False)
    return (time.process_time() - started) / len(pages) * 1000


def _write_sources(work: Path, room: newsroom.GeneratedNewsroom, args: argparse.Namespace) -> Path:
    per_feed = args.articles // (args.feeds or args.hosts) + 1
    settings = {
        "warehouse": str(work / "news.duckdb"),
        "allow_private_networks": True,
        "concurrency": 32,
        "per_host_concurrency": args.per_host,
        "min_delay_seconds": args.min_delay,
        "max_entries_per_poll": per_feed,
        "max_feed_bytes": 50_000_000,
    }
    path = work / "sources.yaml"
    path.write_text(yaml.safe_dump({"settings": settings, "sources": room.sources()}, sort_keys=False))
    return path


def _run(sources: Path, api: str, room: newsroom.GeneratedNewsroom) -> dict:
    before = (room.counters.total(), room.counters.feeds_unchanged.value)
    newsroom_before, prefect_before = procs.cpu_seconds(room.process.pid), _prefect_server_cpu(api)
    env = {**os.environ, "PREFECT_API_URL": api, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    run = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "run", "--all", "--sources", str(sources)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak, peak_main, peak_worker, cpu = 0, 0, 0, {}
    while run.poll() is None:
        tree = procs.tree(run.pid)
        peak = max(peak, sum(p.rss for p in tree.values()))
        peak_main = max(peak_main, tree[run.pid].rss if run.pid in tree else 0)
        peak_worker = max([peak_worker, *(p.rss for p in tree.values() if p.pid != run.pid)])
        cpu.update({p.pid: p.cpu_s for p in tree.values()})
        time.sleep(0.05)
    wall = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"newsdesk run exited {run.returncode}:\n{run.stderr.read()[-3000:]}")
    with warehouse.reading(Path(yaml.safe_load(sources.read_text())["settings"]["warehouse"])) as con:
        run_s, articles_new, pages_fetched = con.execute(
            "SELECT epoch(finished_at - started_at), articles_new, pages_fetched FROM runs "
            "ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
    return {
        "wall_s": wall,
        "run_s": run_s,
        "articles_new": articles_new,
        "pages_fetched": pages_fetched,
        "peak_rss_mb": peak / 1024 / 1024,
        "peak_main_mb": peak_main / 1024 / 1024,
        "peak_worker_mb": peak_worker / 1024 / 1024,
        "requests": room.counters.total() - before[0],
        "feeds_unchanged": room.counters.feeds_unchanged.value - before[1],
        "cpu_main_s": cpu.get(run.pid, 0.0),
        "cpu_workers_s": sum(cpu.values()) - cpu.get(run.pid, 0.0),
        "cpu_newsroom_s": procs.cpu_seconds(room.process.pid) - newsroom_before,
        "cpu_prefect_s": _prefect_server_cpu(api) - prefect_before,
    }


def _prefect_server_cpu(api: str) -> float:
    """CPU of the `prefect server start` process serving `api` (found by its port)."""
    port = api.rsplit(":", 1)[1].split("/")[0]
    return sum(procs.cpu_seconds(pid) for pid in procs.matching("server", port))


def _table(rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def _cpu_per_article(run: dict, key: str) -> str:
    return f"{run[key]:.1f} s ({run[key] / run['articles_new'] * 1000:.1f} ms/article)"


if __name__ == "__main__":
    main()

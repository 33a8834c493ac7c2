"""Soak: `newsdesk serve` for many cycles against a newsroom that keeps publishing.

    .venv/bin/python bench/soak.py                          # 200 cycles, a run every 6 s
    .venv/bin/python bench/soak.py --cycles 30 --interval 5

A generated newsroom (bench/newsroom.py) on loopback; `newsdesk serve --metrics-port` with
every feed due at every run and each article re-checked once. Before each cycle the newsroom
publishes new articles, edits some of the last cycle's (a correction paragraph: a revision on
re-check) and adds a dead link (a feed item whose page answers 404); maintenance runs every
~10 cycles, as often in runs as the defaults make it. Each cycle prints the
run's own time, the peak RSS of every process newsdesk runs (serve, the Prefect server, the
flow run, its extractor workers), their open file descriptors, the warehouse's size on disk,
the state folder's (mostly the Prefect server's database) and the articles published so far
against those loaded. At the end: every published article loaded exactly once, dead links
never loaded, and each figure at cycle 20 against the last cycles (the means of cycles 16-25
and of the last 10).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import warehouse  # noqa: E402
from bench import newsroom, ports, procs  # noqa: E402

FEED_WINDOW = 40  # items a feed lists, newest first
MAINTAIN_EVERY_HOURS = 0.03
ROLES = ("serve", "prefect server", "flow run", "workers")
CORRECTION = "Correction: an earlier version of this report gave the wrong date for the meeting."


@dataclass
class Edition:
    """What the newsroom has published so far, written where its server reads it."""

    layout: newsroom.Layout
    rng: random.Random = field(default_factory=lambda: random.Random(5))
    live: dict[int, newsroom.Article] = field(default_factory=dict)
    dead: set[int] = field(default_factory=set)
    items: dict[int, list[str]] = field(default_factory=dict)
    edits: int = 0
    clock: datetime = datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)

    def next_cycle(self, new: int, edits: int, dead: int) -> None:
        previous = sorted(self.live)[-new:]
        for number in self.rng.sample(previous, min(edits, len(previous))):
            article = self.live[number]
            self.live[number] = replace(article, body=(*article.body, CORRECTION))
            newsroom.write_page(self.layout, self.rng, self.live[number])
            self.edits += 1
        for index in range(new + dead):
            self.clock += timedelta(minutes=3)
            number = len(self.live) + len(self.dead)
            article = newsroom.new_article(self.rng, number, self.clock)
            if index < new:
                newsroom.write_page(self.layout, self.rng, article)
                self.live[number] = article
            else:
                self.dead.add(number)
            feed = self.items.setdefault(number % self.layout.feeds, [])
            feed.insert(0, newsroom.feed_item(self.layout, article))
            del feed[FEED_WINDOW:]
        newsroom.write_feeds(self.layout, self.items)


@dataclass
class Cycle:
    number: int
    run_s: float
    outcome: str
    rss_mb: dict[str, float]
    fds: dict[str, int]
    warehouse_mb: float
    state_mb: float  # newsdesk's state folder: the Prefect server's database, mostly
    published: int
    loaded: int


def main() -> None:
    args = _arguments()
    work = Path(tempfile.mkdtemp(prefix="newsdesk-soak-"))
    layout = newsroom.Layout(work / "site", args.hosts, ports.free_port(), args.feeds)
    edition = Edition(layout)
    edition.next_cycle(args.new, 0, 0)
    sources = _sources_file(work, layout)
    print(f"soak: {args.cycles} cycles, a run every {args.interval}s, {args.feeds} feeds on {args.hosts} hosts, ")
    print(f"      each cycle {args.new} new articles, {args.edits} edits, {args.dead} dead link; work in {work}")
    with newsroom.GeneratedNewsroom(layout, latency_ms=args.latency_ms), Served(work, sources, args.interval) as serve:
        cycles = _soak(args, edition, serve, work / "news")
        settle = [_cycle(args.cycles + n, serve, work / "news", edition) for n in (1, 2)]
    _verdict(cycles, settle[-1], edition, work / "news")


def _soak(args: argparse.Namespace, edition: Edition, serve: subprocess.Popen, db: Path) -> list[Cycle]:
    print(_header())
    cycles = []
    for number in range(1, args.cycles + 1):
        cycle = _cycle(number, serve, db, edition)
        print(_line(cycle), flush=True)
        cycles.append(cycle)
        edition.next_cycle(args.new, args.edits, args.dead)
    return cycles


def _cycle(number: int, serve: subprocess.Popen, db: Path, edition: Edition) -> Cycle:
    """Wait for the next run to finish, sampling the processes meanwhile."""
    done_before = _runs_done(db)
    rss: dict[str, int] = dict.fromkeys(ROLES, 0)
    fds: dict[str, int] = dict.fromkeys(ROLES, 0)
    deadline = time.monotonic() + 600
    while _runs_done(db) == done_before:
        if serve.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"serve stopped or no run finished in 600 s; see {db.parent / 'serve.log'}")
        for role, members in _roles(procs.tree(serve.pid)).items():
            rss[role] = max(rss[role], max((p.rss for p in members), default=0))
            fds[role] = max(fds[role], sum(p.fds for p in members))
        time.sleep(0.2)
    run_s, outcome, loaded = _last_run(db)
    mb = {role: value / 2**20 for role, value in rss.items()}
    return Cycle(number, run_s, outcome, mb, fds, _mb(db), _mb(db.parent / "state"), len(edition.live), loaded)


def _mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def _roles(tree: dict[int, procs.Proc]) -> dict[str, list[procs.Proc]]:
    """Serve's process tree by role. Prefect's runner starts each flow run as a spawned child
    of serve; everything under the flow run (the extractor pool's forkserver and its
    workers) counts as workers; multiprocessing's resource trackers are left out."""
    found: dict[str, list[procs.Proc]] = {role: [] for role in ROLES}
    runs = {p.pid for p in tree.values() if p.parent in tree and tree[p.parent].parent == 0 and _spawned(p)}
    for p in tree.values():
        if any("resource_tracker" in arg for arg in p.args):
            continue
        if p.parent not in tree:
            found["serve"].append(p)
        elif "server" in p.args and "start" in p.args:
            found["prefect server"].append(p)
        elif p.pid in runs:
            found["flow run"].append(p)
        elif _under(p, runs, tree):
            found["workers"].append(p)
    return found


def _spawned(p: procs.Proc) -> bool:
    return any("spawn_main" in arg for arg in p.args)


def _under(p: procs.Proc, ancestors: set[int], tree: dict[int, procs.Proc]) -> bool:
    while p.parent in tree:
        if p.parent in ancestors:
            return True
        p = tree[p.parent]
    return False


def _runs_done(db: Path) -> int:
    try:
        with warehouse.reading(db, wait_seconds=30) as con:
            return con.execute("SELECT count(*) FROM runs WHERE finished_at IS NOT NULL").fetchone()[0]
    except warehouse.WarehouseError:
        return 0


def _last_run(db: Path) -> tuple[float, str, int]:
    with warehouse.reading(db, wait_seconds=30) as con:
        run_s, outcome = con.execute(
            "SELECT epoch(finished_at - started_at), outcome FROM runs ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        loaded = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    return run_s, outcome, loaded


def _verdict(cycles: list[Cycle], last: Cycle, edition: Edition, db: Path) -> None:
    with warehouse.reading(db) as con:
        urls = [url for (url,) in con.execute("SELECT canonical_url FROM articles").fetchall()]
        revisions = con.execute("SELECT count(*) FROM v_article_changes").fetchone()[0]
        failed = con.execute("SELECT count(*) FROM runs WHERE outcome = 'failed'").fetchone()[0]
    expected = {edition.layout.article_url(n) for n in edition.live}
    dead = {edition.layout.article_url(n) for n in edition.dead}
    print()
    print(f"articles: {len(expected)} published, {len(urls)} loaded ({len(set(urls))} distinct URLs)")
    loaded = set(urls)
    missing, unexpected = len(expected - loaded), len(loaded - expected)
    print(f"  missing {missing}, unexpected {unexpected}, dead links loaded {len(dead & loaded)}")
    print(f"revisions recorded: {revisions} (edits made: {edition.edits}); failed runs: {failed}")
    if len(cycles) < 30:
        return
    early, late = cycles[15:25], cycles[-10:]
    print("cycle 16-25 mean -> last 10 mean:")
    _compare("run time (s)", [c.run_s for c in early], [c.run_s for c in late])
    for role in ROLES:
        _compare(f"RSS {role} (MB)", [c.rss_mb[role] for c in early], [c.rss_mb[role] for c in late])
    for role in ROLES:
        _compare(f"open fds {role}", [c.fds[role] for c in early], [c.fds[role] for c in late])
    _compare("warehouse (MB)", [c.warehouse_mb for c in early], [last.warehouse_mb])
    _compare("state folder (MB)", [c.state_mb for c in early], [last.state_mb])


def _compare(name: str, early: list[float], late: list[float]) -> None:
    before, after = statistics.mean(early), statistics.mean(late)
    change = f"{(after / before - 1) * 100:+.1f} %" if before else "n/a"
    spread = f"(cycle-to-cycle sd {statistics.pstdev(early):.2f} -> {statistics.pstdev(late):.2f})"
    print(f"  {name:<24} {before:9.2f} -> {after:9.2f}   {change:>9}  {spread}")


def _header() -> str:
    rss = " ".join(f"{role[:8]:>8}" for role in ROLES)
    sizes = f"{'lake MB':>8} {'state MB':>8} {'published':>9} {'loaded':>7}"
    return f"{'cycle':>5} {'run s':>6} {'outcome':>8} | RSS MB {rss} | fds {rss} | {sizes}"


def _line(c: Cycle) -> str:
    rss = " ".join(f"{c.rss_mb[role]:8.0f}" for role in ROLES)
    fds = " ".join(f"{c.fds[role]:8d}" for role in ROLES)
    sizes = f"{c.warehouse_mb:8.1f} {c.state_mb:8.1f} {c.published:9d} {c.loaded:7d}"
    return f"{c.number:5d} {c.run_s:6.1f} {c.outcome:>8} |        {rss} |     {fds} | {sizes}"


class Served:
    """`newsdesk serve` in its own session, stopped with SIGTERM (as a service manager does)."""

    def __init__(self, work: Path, sources: Path, interval: int):
        env = {**os.environ, "NEWSDESK_STATE_DIR": str(work / "state"), "PYTHONPATH": str(ROOT)}
        for name in ("PREFECT_API_URL", "PREFECT_HOME"):
            env.pop(name, None)
        command = [sys.executable, "-m", "flows.cli", "serve", "--sources", str(sources)]
        command += [
            "--interval",
            str(interval),
            "--port",
            str(ports.free_port()),
            "--metrics-port",
            str(ports.free_port()),
        ]
        self.log = open(work / "serve.log", "wb")
        self.process = subprocess.Popen(command, cwd=work, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def __enter__(self) -> subprocess.Popen:
        return self.process

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(90)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _sources_file(work: Path, layout: newsroom.Layout) -> Path:
    settings = {
        "warehouse": str(work / "news"),
        "allow_private_networks": True,
        "min_delay_seconds": 0,
        "recheck_after_hours": [0.003],  # each article's page once more, about 11 s after it was loaded
        # Maintenance every ~10 cycles, as the defaults give it (a run every 5 minutes, maintenance
        # hourly) every 12 runs: the soak runs the schedule's cycles, faster.
        "maintain_every_hours": MAINTAIN_EVERY_HOURS,
    }
    sources = [
        {"name": f"gazette-{f}", "url": layout.feed_url(f), "interval_minutes": 0.01} for f in range(layout.feeds)
    ]
    path = work / "sources.yaml"
    path.write_text(yaml.safe_dump({"settings": settings, "sources": sources}, sort_keys=False), encoding="utf-8")
    return path


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--interval", type=int, default=6, help="seconds between scheduled runs")
    parser.add_argument("--feeds", type=int, default=6)
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--new", type=int, default=6, help="new articles per cycle")
    parser.add_argument("--edits", type=int, default=2, help="edits per cycle to the last cycle's articles")
    parser.add_argument("--dead", type=int, default=1, help="dead links per cycle")
    parser.add_argument("--latency-ms", type=float, default=20)
    return parser.parse_args()


if __name__ == "__main__":
    main()

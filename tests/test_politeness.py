"""Politeness and safety, checked from the servers' side of the wire."""

from __future__ import annotations

import asyncio

import warehouse
import pytest

from flows import configuration
from flows.http import Fetcher
from flows.ingest import RunFailed
from tests.support import hostile
from tests.support.ingest import run_ingest, write_sources
from tests.support.loopback import Loopback, Reply, free_port

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

# Spacing is checked on the server's log of arrivals, not on the test's clock. A request's arrival
# is stamped by the server thread that reads it, a little after the client sent it, and a busy
# machine makes that "little" vary: a gap counts as spaced when it is at least half the spacing.
# (Without spacing the gaps are near zero; a slow machine only ever widens them.)
SLACK = 0.5


def min_gap(starts: list[float]) -> float:
    return min(b - a for a, b in zip(starts, starts[1:]))


def newsroom_host(site: Loopback, pages: int, serial: int, withhold: float) -> dict:
    links = [site.url(f"/p/{n}") for n in range(pages)]
    site.routes["/feed"] = lambda h: Reply(200, hostile.rss(f"Host {serial}", links), hostile.RSS_TYPE)
    for n in range(pages):
        page = hostile.article(f"Host {serial} page {n}", serial * 100 + n)
        site.routes[f"/p/{n}"] = lambda h, page=page: Reply(200, page, hostile.HTML_TYPE, withhold=withhold)
    return {"name": f"host-{serial}", "url": site.url("/feed")}


def request_log(site: Loopback) -> list[tuple[float, float]]:
    return sorted((s.started, s.finished) for s in site.seen)


def max_in_flight(log: list[tuple[float, float]]) -> int:
    events = sorted([(start, 1) for start, _ in log] + [(end, -1) for _, end in log])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def test_per_host_concurrency_and_spacing_hold_on_every_host(tmp_path, capsys):
    with Loopback() as one, Loopback() as two:
        sources = [newsroom_host(one, 8, 1, withhold=0.3), newsroom_host(two, 8, 2, withhold=0.3)]
        summary = run_ingest(write_sources(tmp_path, sources, per_host_concurrency=2, min_delay_seconds=0.1))
        logs = {"one": request_log(one), "two": request_log(two)}
    assert summary.total("articles_new") == 16
    t0 = min(start for log in logs.values() for start, _ in log)
    with capsys.disabled():
        print("\nrequest log (host, start s, end s):")
        for host, log in logs.items():
            print("  " + "  ".join(f"{host} {s - t0:5.2f}-{e - t0:5.2f}" for s, e in log))
    for log in logs.values():
        assert max_in_flight(log) == 2
        assert min_gap([start for start, _ in log]) >= 0.1 * SLACK
    # The two hosts were served at the same time, not one after the other.
    assert logs["one"][0][0] < logs["two"][-1][0] and logs["two"][0][0] < logs["one"][-1][0]


def test_crawl_delay_spaces_requests_to_its_host(tmp_path):
    with Loopback() as site:
        source = newsroom_host(site, 3, 3, withhold=0)
        site.routes["/robots.txt"] = lambda h: Reply(200, b"User-agent: *\nCrawl-delay: 1\n")
        summary = run_ingest(write_sources(tmp_path, [source]))
        starts = [s.started for s in sorted(site.seen, key=lambda s: s.started)]
    assert summary.total("articles_new") == 3
    assert len(starts) == 6  # robots.txt, the feed, three pages and the host's tdmrep.json
    assert min_gap(starts[1:]) >= 1 * SLACK  # after robots.txt: the feed, the pages, tdmrep.json


def test_private_addresses_are_refused_and_names_go_to_the_proxy(tmp_path, monkeypatch):
    with Loopback() as proxy:
        inside = proxy.url("/secret")
        proxy.routes["/secret"] = lambda h: Reply(200, hostile.article("Secret", 9))
        links = [
            "http://wire.example/story",
            "http://10.1.2.3/admin",
            "http://wire.example/jump",
            "http://169.254.169.254/latest/meta-data",
        ]
        proxy.routes["http://wire.example/feed.xml"] = lambda h: Reply(
            200, hostile.rss("Wire", links), hostile.RSS_TYPE
        )
        proxy.routes["http://wire.example/story"] = lambda h: hostile.ok(hostile.article("Wire story", 8))
        proxy.routes["http://wire.example/jump"] = lambda h: Reply(302, headers={"Location": inside})
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        summary = run_ingest(
            write_sources(
                tmp_path, [{"name": "wire", "url": "http://wire.example/feed.xml"}], allow_private_networks=False
            )
        )
    assert summary.total("articles_new") == 1
    with warehouse.reading(tmp_path / "news") as con:
        refused = dict(con.execute("SELECT url, last_error FROM fetch_queue WHERE state = 'dead'").fetchall())
    assert refused == {
        "http://10.1.2.3/admin": "refused: 10.1.2.3 is a private address (10.1.2.3); "
        "set allow_private_networks to allow it",
        "http://wire.example/jump": "refused: 127.0.0.1 is a private address (127.0.0.1); "
        "set allow_private_networks to allow it",
        "http://169.254.169.254/latest/meta-data": "refused: 169.254.169.254 is a private address "
        "(169.254.169.254); set allow_private_networks to allow it",
    }
    assert proxy.hits("/secret") == []
    assert "http://wire.example/story" in [path for path, _ in proxy.arrived]


def test_names_that_resolve_to_private_addresses_are_refused_without_a_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    settings = configuration.parse({"settings": {"min_delay_seconds": 0}}, configuration.Path("t.yaml")).settings
    with Loopback() as site:
        site.routes["/p"] = lambda h: hostile.ok(hostile.article("Local", 7))

        async def fetch(url):
            async with Fetcher(settings) as fetcher:
                return await fetcher.fetch_page(url)

        page = asyncio.run(fetch(f"http://localhost:{site.port}/p"))
    assert page.error_kind == "private" and "localhost is a private address" in page.error
    assert site.arrived == []


def test_when_every_source_cannot_connect_the_network_is_blamed_not_the_sources(tmp_path):
    dead = [{"name": f"dead-{n}", "url": f"http://127.0.0.1:{free_port()}/feed"} for n in range(2)]
    path = write_sources(tmp_path, dead)
    with pytest.raises(RunFailed, match="the network looks down"):
        run_ingest(path)
    db = tmp_path / "news"
    with warehouse.reading(db) as con:
        states = con.execute(
            "SELECT consecutive_failures, last_error LIKE 'connection failed%' FROM feed_state"
        ).fetchall()
    assert states == [(0, True), (0, True)]
    with Loopback() as alive:
        alive.routes["/feed"] = lambda h: Reply(500, b"broken")
        path = write_sources(tmp_path, [*dead, {"name": "alive", "url": alive.url("/feed")}])
        with pytest.raises(RunFailed, match="every source failed"):
            run_ingest(path)
    with warehouse.reading(db) as con:
        assert con.execute("SELECT DISTINCT consecutive_failures FROM feed_state").fetchall() == [(1,)]

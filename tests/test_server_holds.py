"""Retry-After is about the resource it was said about: a shared feed host with one
rate-limited feed keeps serving the others, a forced run never skips a server's wait,
and only a host that throttles several of its resources is held as a whole."""

from __future__ import annotations

import asyncio
from pathlib import Path
from datetime import datetime, timedelta, timezone

import pytest

from flows.politeness import DEFAULT_HOST_HOLD_SECONDS, HostGate, HostThrottle
from tests.support import hostile
from tests.support.cli import newsdesk
from tests.support.ingest import rows, run_ingest, scalar, write_sources
from tests.support.loopback import Loopback, Reply

GOOD_FEEDS = {"good-a": 8, "good-b": 7}
HOSTILE_FEEDS = {
    "limited": lambda: Reply(429, b"slow down", {"Retry-After": "3600"}),
    "unavailable": lambda: Reply(503, b"try later"),
    "broken": lambda: Reply(500, b"oops"),
    "missing": lambda: Reply(404, b"no such feed"),
    "gone": lambda: Reply(410, b"gone"),
    "html": lambda: hostile.ok(hostile.article("A page, not a feed")),
    "garbage": lambda: Reply(200, b"\x00\x01 not xml at all \xff", hostile.RSS_TYPE),
    "loop": lambda: Reply(302, headers={"Location": "/feeds/loop"}),
}
SETTINGS = dict(max_redirects=3, read_timeout_seconds=2, total_timeout_seconds=5)


def shared_host(site: Loopback) -> list[dict]:
    """Two good feeds and eight hostile ones on one host, as on a shared feed host."""
    serial = 0
    for name, count in GOOD_FEEDS.items():
        links = []
        for n in range(count):
            serial += 1
            page = hostile.article(f"{name} story {n}", serial)
            site.routes[f"/{name}/{n}"] = lambda headers, page=page: hostile.ok(page)
            links.append(site.url(f"/{name}/{n}"))
        feed = hostile.rss(name, links)
        site.routes[f"/feeds/{name}"] = lambda headers, feed=feed: Reply(200, feed, hostile.RSS_TYPE)
    for name, make in HOSTILE_FEEDS.items():
        site.routes[f"/feeds/{name}"] = lambda headers, make=make: make()
    return [{"name": name, "url": site.url(f"/feeds/{name}")} for name in [*GOOD_FEEDS, *HOSTILE_FEEDS]]


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_one_rate_limited_feed_does_not_silence_its_host(tmp_path, prefect_env):
    with Loopback() as site:
        sources_path = write_sources(tmp_path, shared_host(site), **SETTINGS)
        started = datetime.now(timezone.utc)
        summary = run_ingest(sources_path)
        db = tmp_path / "news"
        assert summary.total("articles_new") == sum(GOOD_FEEDS.values())
        assert scalar(db, "SELECT count(*) FROM articles") == sum(GOOD_FEEDS.values())
        for name in [*GOOD_FEEDS, *HOSTILE_FEEDS]:
            assert site.hits(f"/feeds/{name}"), f"{name} was never asked"
        assert len(site.hits("/feeds/limited")) == 1
        assert summary.host_holds == ()
        held_until = scalar(db, "SELECT held_until FROM feed_state WHERE source = 'limited'")
        assert held_until >= started + timedelta(minutes=59)

        forced = newsdesk("run", "--all", "--sources", str(sources_path), env=prefect_env)
        assert forced.returncode in (0, 3), forced.stderr
        assert len(site.hits("/feeds/limited")) == 1
        assert "held by the server until" in forced.stdout and "Traceback" not in forced.stderr
        only = newsdesk("run", "--source", "limited", "--sources", str(sources_path), env=prefect_env)
        assert only.returncode == 0, only.stderr
        assert len(site.hits("/feeds/limited")) == 1 and "held by the server until" in only.stdout


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_a_host_that_throttles_several_resources_is_held_across_runs(tmp_path):
    with Loopback() as site:
        links = [site.url(f"/p/{n}") for n in range(3)]
        for n in range(3):
            site.routes[f"/p/{n}"] = lambda headers: Reply(429, b"busy", {"Retry-After": "900"})
        site.routes["/feeds/pages"] = lambda headers: Reply(200, hostile.rss("Pages", links), hostile.RSS_TYPE)
        site.routes["/feeds/other"] = lambda headers: Reply(200, hostile.rss("Other", []), hostile.RSS_TYPE)
        sources = [
            {"name": "pages", "url": site.url("/feeds/pages")},
            {"name": "other", "url": site.url("/feeds/other")},
        ]
        sources_path = write_sources(tmp_path, sources, per_host_concurrency=1)
        started = datetime.now(timezone.utc)
        first = run_ingest(sources_path)
        db = tmp_path / "news"
        assert [hold.host for hold in first.host_holds] == [f"127.0.0.1:{site.port}"]
        held_until, reason = rows(db, "SELECT held_until, reason FROM host_holds")[0]
        assert held_until >= started + timedelta(minutes=14) and "3 resources" in reason
        assert rows(db, "SELECT count(*) FROM fetch_queue WHERE state = 'retry'") == [(3,)]
        asked = len(site.arrived)

        second = run_ingest(sources_path)
        assert len(site.arrived) == asked
        assert {r.source: r.held_until for r in second.sources} == {"pages": held_until, "other": held_until}
        assert second.outcome == "ok"


def test_throttled_resources_hold_their_host_only_when_they_are_several_and_most():
    throttle = HostThrottle()
    assert throttle.answered("/a", True, 3600) is None
    assert throttle.answered("/a", True, 3600) is None  # the same resource again
    for path in ("/ok-1", "/ok-2", "/ok-3"):
        assert throttle.answered(path, False, None) is None
    assert throttle.answered("/b", True, None) is None
    assert throttle.answered("/c", True, None) == 3600  # 3 of 6: half is enough
    assert HostThrottle().answered("/x", True, None) is None

    many = HostThrottle()
    many.answered("/1", True, None)
    many.answered("/2", True, 120)
    assert many.answered("/3", True, None) == 120
    quiet = HostThrottle()
    quiet.answered("/1", True, None)
    quiet.answered("/2", True, None)
    assert quiet.answered("/3", True, None) == DEFAULT_HOST_HOLD_SECONDS


def test_a_throttled_host_gets_fewer_requests_in_flight_and_wider_spacing():
    gate = HostGate(concurrency=4, delay=0)
    gate.throttle()
    assert (gate.concurrency, gate.delay) == (2, 0.25)
    gate.throttle()
    gate.throttle()
    assert (gate.concurrency, gate.delay) == (1, 1.0)

    async def in_flight_at_most() -> int:
        peak = current = 0

        async def one() -> None:
            nonlocal peak, current
            async with gate.turn(max_wait=30):
                current += 1
                peak = max(peak, current)
                await asyncio.sleep(0)
                current -= 1

        gate.delay = 0
        await asyncio.gather(*(one() for _ in range(5)))
        return peak

    assert asyncio.run(in_flight_at_most()) == 1


def test_a_resource_slows_its_host_once_however_often_it_is_retried():
    from flows import configuration
    from flows.http import Fetcher

    values = {"allow_private_networks": True, "min_delay_seconds": 0, "per_host_concurrency": 8}
    loaded = configuration.parse({"settings": values}, Path("sources.yaml")).settings

    async def after_three_503s(site: Loopback) -> HostGate:
        async with Fetcher(loaded, backoff_seconds=0.01) as fetcher:
            await fetcher.fetch_page(site.url("/busy"))
            return fetcher._gate(site.url("/"))

    with Loopback() as site:
        site.routes["/busy"] = lambda headers: Reply(503, b"later")
        gate = asyncio.run(after_three_503s(site))
        assert len(site.hits("/busy")) == 3
    assert (gate.concurrency, gate.delay) == (4, 0.25)

import asyncio
import gzip
import itertools

import pytest

from flows import configuration, http
from flows.http import Fetcher, retry_after_seconds
from flows.records import Source
from tests.support.waiting import until
from tests.support.loopback import Loopback, Reply

FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


def settings(**overrides):
    values = {"max_page_bytes": 50_000, "allow_private_networks": True, "min_delay_seconds": 0, **overrides}
    return configuration.parse({"settings": values}, configuration.Path("t.yaml")).settings


@pytest.fixture
def server():
    with Loopback() as loopback:
        yield loopback


def run(coro):
    return asyncio.run(coro)


async def fetch_feed(server, etag=None, last_modified=None, **kw):
    async with Fetcher(settings(**kw), backoff_seconds=0.01) as fetcher:
        return await fetcher.fetch_feed(Source("s", server.url("/feed")), etag, last_modified)


async def fetch_page(server, path, **kw):
    async with Fetcher(settings(**kw), backoff_seconds=0.01) as fetcher:
        return await fetcher.fetch_page(server.url(path))


def test_conditional_get_sends_validators_and_304_has_no_body(server):
    def feed(headers):
        if headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(200, FEED, {"ETag": '"v1"', "Last-Modified": "Tue, 24 Nov 2026 08:00:00 GMT"})

    server.routes["/feed"] = feed
    first = run(fetch_feed(server))
    assert first.status == 200 and first.body == FEED and first.etag == '"v1"'
    second = run(fetch_feed(server, first.etag, first.last_modified))
    assert second.not_modified and second.body is None and second.ok
    assert second.etag == '"v1"' and second.last_modified == first.last_modified
    sent = server.hits("/feed")[1]
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Tue, 24 Nov 2026 08:00:00 GMT"


def test_transient_errors_are_retried_honouring_retry_after(server):
    answers = itertools.chain(
        [Reply(503, headers={"Retry-After": "0"}), Reply(500)], itertools.repeat(Reply(200, FEED))
    )
    server.routes["/feed"] = lambda headers: next(answers)
    poll = run(fetch_feed(server))
    assert poll.status == 200 and len(server.hits("/feed")) == 3


def test_permanent_error_is_not_retried(server):
    server.routes["/gone"] = lambda headers: Reply(404, b"nope")
    page = run(fetch_page(server, "/gone"))
    assert page.status == 404 and page.error == "HTTP 404" and not page.transient
    assert len(server.hits("/gone")) == 1


def test_body_over_the_cap_is_refused_even_when_compressed(server):
    bomb = gzip.compress(b"<p>" + b"a" * 200_000)
    server.routes["/bomb"] = lambda headers: Reply(200, bomb, {"Content-Encoding": "gzip", "Content-Type": "text/html"})
    page = run(fetch_page(server, "/bomb"))
    assert len(bomb) < 50_000 and page.error == "response larger than 50000 bytes (stopped reading)"


def test_redirect_loop_stops_at_the_limit(server):
    server.routes["/a"] = lambda headers: Reply(302, headers={"Location": "/b"})
    server.routes["/b"] = lambda headers: Reply(302, headers={"Location": "/a"})
    page = run(fetch_page(server, "/a", max_redirects=3))
    assert page.error == "too many redirects"
    assert len(server.hits("/a")) + len(server.hits("/b")) == 4


def test_pages_are_fetched_concurrently(server):
    import threading

    inflight, peak, lock = [0], [0], threading.Lock()
    release = threading.Event()

    def slow(headers):
        with lock:
            inflight[0] += 1
            peak[0] = max(peak[0], inflight[0])
            if peak[0] >= 2:
                release.set()
        release.wait(5)
        with lock:
            inflight[0] -= 1
        return Reply(200, b"<html><body>ok</body></html>")

    for i in range(4):
        server.routes[f"/p{i}"] = slow

    async def many():
        async with Fetcher(settings(per_host_concurrency=2)) as fetcher:
            return await asyncio.gather(*(fetcher.fetch_page(server.url(f"/p{i}")) for i in range(4)))

    pages = run(many())
    assert all(p.ok for p in pages) and peak[0] == 2


def test_user_agent_is_sent(server):
    server.routes["/p"] = lambda headers: Reply(200, b"x")
    run(fetch_page(server, "/p", user_agent="probe/1 (contact: a@b.example)"))
    assert server.hits("/p")[0]["user-agent"] == "probe/1 (contact: a@b.example)"


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after_seconds({"retry-after": "120"}) == 120.0
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_a_long_spacing_is_waited_for_but_a_long_hold_is_refused(monkeypatch):
    from flows import politeness
    from flows.politeness import HostDeferred, HostGate

    waits, real_sleep = [], asyncio.sleep

    async def recorded_sleep(seconds, *args, **kwargs):  # the wait is noted, not waited out
        waits.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(politeness.asyncio, "sleep", recorded_sleep)

    async def second_turn(gate: HostGate) -> None:
        async with gate.turn(max_wait=30):
            pass
        async with gate.turn(max_wait=30):
            pass

    spaced = HostGate(concurrency=1, delay=45)  # a polite delay above max_wait is not a Retry-After
    asyncio.run(second_turn(spaced))
    assert len(waits) == 1 and 44 < waits[0] <= 45
    held = HostGate(concurrency=1, delay=0)
    held.hold(60)
    with pytest.raises(HostDeferred, match="60s"):
        asyncio.run(second_turn(held))


def _ok(headers):
    return Reply(200, b"<html><body>ok</body></html>")


def _connections(loopback) -> list[int]:
    return [seen.connection for seen in loopback.seen if seen.path == "/p"]


def test_every_recently_used_host_keeps_its_connection_beyond_the_concurrency():
    with Loopback("127.0.0.2") as first, Loopback("127.0.0.3") as second, Loopback("127.0.0.4") as third:
        hosts = (first, second, third)
        for loopback in hosts:
            loopback.routes["/p"] = _ok

        async def round_robin():
            async with Fetcher(settings(concurrency=2)) as fetcher:
                for loopback in hosts * 3:
                    assert (await fetcher.fetch_page(loopback.url("/p"))).ok

        run(round_robin())
    assert [len(set(_connections(loopback))) for loopback in hosts] == [1, 1, 1]


def test_a_host_idle_for_longer_than_a_connection_is_kept_is_let_go(monkeypatch):
    monkeypatch.setattr(http, "HOST_POOL_IDLE_SECONDS", 0.0)
    with Loopback("127.0.0.2") as first, Loopback("127.0.0.3") as second:
        for loopback in (first, second):
            loopback.routes["/p"] = _ok

        async def in_turn():
            async with Fetcher(settings()) as fetcher:
                for loopback in (first, second, first):
                    assert (await fetcher.fetch_page(loopback.url("/p"))).ok

        run(in_turn())
    one, two = _connections(first)
    assert one != two, "the first host's pool was closed while the second host was asked"


def test_a_host_with_a_request_in_flight_keeps_its_connection(monkeypatch):
    import threading

    others_done = threading.Event()

    def slow_reply(headers):
        others_done.wait(10)
        return Reply(200, b"<html><body>slow</body></html>")

    monkeypatch.setattr(http, "HOST_POOL_IDLE_SECONDS", 0.0)
    with Loopback("127.0.0.2") as slow, Loopback("127.0.0.3") as second, Loopback("127.0.0.4") as third:
        slow.routes["/p"] = slow_reply
        for loopback in (second, third):
            loopback.routes["/p"] = _ok

        async def overlapping():
            async with Fetcher(settings()) as fetcher:

                async def others():
                    await until(lambda: slow.hits("/p"), what="the slow request's arrival")
                    pages = [await fetcher.fetch_page(second.url("/p")), await fetcher.fetch_page(third.url("/p"))]
                    others_done.set()
                    return pages

                return await asyncio.gather(fetcher.fetch_page(slow.url("/p")), others())

        slow_page, pages = run(overlapping())
    assert slow_page.ok and len(slow.hits("/p")) == 1, "the slow request was cut off and retried"
    assert all(page.ok for page in pages)

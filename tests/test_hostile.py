"""The hostile web: one real ingest run against a loopback server full of bad answers.

Every case asserts what the warehouse and the run summary say afterwards, and what the
server saw; nothing here waits on a clock of its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.support import hostile
from tests.support.ingest import rows, run_ingest, scalar, write_sources
from tests.support.loopback import Loopback, Reply

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

MAX_BYTES = 200_000
SETTINGS = dict(
    read_timeout_seconds=0.5,
    connect_timeout_seconds=1,
    total_timeout_seconds=1.5,
    max_feed_bytes=MAX_BYTES,
    max_page_bytes=MAX_BYTES,
    max_redirects=3,
    per_host_concurrency=8,
)

PAGE_CASES = {
    "/p/good": lambda: hostile.ok(hostile.article("Weir gates open", 1)),
    "/p/slow": lambda: Reply(withhold=30),
    "/p/pdf": lambda: Reply(200, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", {"Content-Type": "application/pdf"}),
    "/p/binary": lambda: Reply(200, bytes(range(256)) * 4, {"Content-Type": "application/octet-stream"}),
    "/p/missing": lambda: Reply(404, b"not here"),
    "/p/gone": lambda: Reply(410, b"gone"),
    "/p/bomb": lambda: hostile.gzip_bomb(20_000_000),
    "/p/endless": hostile.endless,
    "/p/loop": lambda: Reply(302, headers={"Location": "/p/loop-back"}),
    "/p/loop-back": lambda: Reply(302, headers={"Location": "/p/loop"}),
    "/p/menu-only": lambda: hostile.ok(b"<html><body><nav><a href='/'>Home</a></nav></body></html>"),
    "/private/p": lambda: hostile.ok(hostile.article("Hidden", 2)),
}
FEED_CASES = {
    "timeout": lambda: Reply(withhold=30),
    "slowloris": lambda: hostile.slow_loris(0.05),  # a byte well within every read timeout, never done
    "endless": hostile.endless,
    "bomb": lambda: hostile.gzip_bomb(20_000_000),
    "loop": lambda: Reply(302, headers={"Location": "/feeds/loop"}),
    "missing": lambda: Reply(404, b"no feed"),
    "gone": lambda: Reply(410, b"gone for good"),
    "html": lambda: hostile.ok(hostile.article("Not a feed")),
}
# On a second host, with a page that must still be fetched: a Retry-After is about its feed.
BUSY_FEEDS = {
    "ratelimited": lambda: Reply(429, b"slow down", {"Retry-After": "3600"}),
    "unavailable": lambda: Reply(503, b"later", {"Retry-After": hostile.http_date(timedelta(hours=2))}),
}
ZURICH = "Zürich café owners protest"


def xml_feed(body: bytes, content_type: str = "application/rss+xml") -> Reply:
    return Reply(200, body, {"Content-Type": content_type})


def special_feeds(site: Loopback) -> dict[str, Reply]:
    links = [site.url("/p/good")]
    entity_bomb = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&%s;" % bytes([97 + i])) * 10) for i in range(8))
        + b']><rss version="2.0"><channel><title>&i;</title><item><title>&i;</title><link>'
        + site.url("/p/good").encode()
        + b"</link></item></channel></rss>"
    )
    lying = hostile.rss(ZURICH, links)  # UTF-8 bytes, header claims Latin-1
    legacy = hostile.rss("Café crème", links).replace(b"encoding='utf-8'", b"encoding='windows-1252'")
    legacy = legacy.replace("Café crème".encode(), "Café crème".encode("cp1252"))
    invalid = hostile.rss("Broken bytes", links).replace(b"Broken bytes story 0", b"Broken \xff\xfe story 0")
    truncated = hostile.rss("Cut short", [site.url(f"/cut/{n}") for n in range(3)])
    return {
        "entity-bomb": xml_feed(entity_bomb),
        "charset-lies": xml_feed(lying, "application/rss+xml; charset=iso-8859-1"),
        "legacy-charset": xml_feed(legacy, "application/xml"),
        "invalid-bytes": xml_feed(invalid),
        "truncated": xml_feed(truncated[: truncated.index(b"/cut/2")]),
    }


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """One ingest over every hostile feed and page; the server's log and the warehouse stay."""
    folder = tmp_path_factory.mktemp("hostile")
    with Loopback() as site, Loopback() as busy, Loopback() as overloaded:
        for name, make in BUSY_FEEDS.items():
            busy.routes[f"/feeds/{name}"] = lambda headers, make=make: make()
        overloaded.routes["/p/busy"] = lambda headers: Reply(503, b"busy", {"Retry-After": "7200"})
        busy.routes["/p/later"] = lambda headers: hostile.ok(hostile.article("Later", 4))
        for path, make in PAGE_CASES.items():
            site.routes[path] = lambda headers, make=make: make()
        flap_page = hostile.flapping(hostile.ok(hostile.article("Flapping page", 3)))
        site.routes["/p/flap"] = lambda headers: next(flap_page)
        site.routes["/robots.txt"] = lambda headers: Reply(200, b"User-agent: *\nDisallow: /private/\n")
        page_links = [site.url(path) for path in [*PAGE_CASES, "/p/flap"] if path != "/p/loop-back"]
        page_links += [overloaded.url("/p/busy"), busy.url("/p/later")]
        site.routes["/feeds/pages"] = lambda headers: xml_feed(hostile.rss("Pages", page_links))
        for name, make in FEED_CASES.items():
            site.routes[f"/feeds/{name}"] = lambda headers, make=make: make()
        flap_feed = hostile.flapping(xml_feed(hostile.rss("Flapping feed", [site.url("/p/good")])))
        site.routes["/feeds/flap"] = lambda headers: next(flap_feed)
        for name, reply in special_feeds(site).items():
            site.routes[f"/feeds/{name}"] = lambda headers, reply=reply: reply
        names = ["pages", "flap", *FEED_CASES, *special_feeds(site)]
        sources = [{"name": name, "url": site.url(f"/feeds/{name}")} for name in names]
        sources += [{"name": name, "url": busy.url(f"/feeds/{name}")} for name in BUSY_FEEDS]
        started = datetime.now(timezone.utc)
        summary = run_ingest(write_sources(folder, sources, **SETTINGS))
        yield folder / "news", summary, site, busy, started


def feed_error(db, source):
    return scalar(db, "SELECT last_error FROM feed_state WHERE source = ?", source)


def queued(db, path):
    found = rows(
        db,
        "SELECT stage, state, last_status, last_error, next_attempt_at FROM fetch_queue WHERE url LIKE ?",
        "%" + path,
    )
    assert len(found) == 1, f"{path} should be queued once, got {found}"
    return found[0]


def report(summary, source):
    return next(r for r in summary.sources if r.source == source)


def test_run_survives_and_reports_partial(hostile_run):
    db, summary, _, _, _ = hostile_run
    assert summary.outcome == "partial"
    assert report(summary, "pages").error is None and report(summary, "flap").error is None
    assert rows(db, "SELECT outcome FROM runs") == [("partial",)]


@pytest.mark.parametrize(
    "source, expected",
    [
        ("timeout", "timeout (ReadTimeout)"),
        ("slowloris", "timeout (no complete response within 1.5s)"),
        ("endless", f"response larger than {MAX_BYTES} bytes (stopped reading)"),
        ("bomb", f"response larger than {MAX_BYTES} bytes (stopped reading)"),
        ("loop", "too many redirects"),
        ("missing", "HTTP 404"),
        ("html", "not a readable feed: HTML page, not a feed"),
    ],
)
def test_broken_feed_is_recorded_against_its_source_and_backs_off(hostile_run, source, expected):
    db, summary, _, _, started = hostile_run
    assert report(summary, source).error == expected
    failures, next_poll, last_polled = rows(
        db, "SELECT consecutive_failures, next_poll_at, last_polled_at FROM feed_state WHERE source = ?", source
    )[0]
    assert failures == 1 and next_poll > last_polled
    assert feed_error(db, source) == expected


def test_transient_feed_errors_were_retried_before_giving_up(hostile_run):
    _, _, site, _, _ = hostile_run
    assert len(site.hits("/feeds/timeout")) == 3
    assert len(site.hits("/feeds/missing")) == 1


def test_flapping_feed_and_page_succeed_on_retry(hostile_run):
    db, summary, site, _, _ = hostile_run
    assert report(summary, "flap").status == 200
    assert len(site.hits("/feeds/flap")) == 2
    assert rows(db, "SELECT count(*) FROM articles WHERE title = 'Flapping page'") == [(1,)]
    assert rows(db, "SELECT count(*) FROM fetch_queue WHERE url LIKE '%/p/flap'") == [(0,)]


def test_retry_after_in_seconds_and_as_a_date_postpone_the_next_poll(hostile_run):
    db, summary, _, busy, started = hostile_run
    assert len(busy.hits("/feeds/ratelimited")) == 1 and len(busy.hits("/feeds/unavailable")) == 1
    next_polls = dict(
        rows(db, "SELECT source, next_poll_at FROM feed_state WHERE source IN ('ratelimited', 'unavailable')")
    )
    assert next_polls["ratelimited"] >= started + timedelta(hours=1)
    assert next_polls["unavailable"] >= started + timedelta(hours=2) - timedelta(minutes=1)
    assert report(summary, "ratelimited").error == "HTTP 429"


def test_gone_feed_is_retired_not_dropped(hostile_run):
    db, summary, _, _, started = hostile_run
    retired, next_poll = rows(db, "SELECT retired_at, next_poll_at FROM feed_state WHERE source = 'gone'")[0]
    assert retired is not None and next_poll <= started + timedelta(days=1, minutes=5)
    assert "retired" in report(summary, "gone").error


def test_entity_bomb_is_not_expanded(hostile_run):
    db, summary, _, _, _ = hostile_run
    longest = scalar(db, "SELECT max(length(title)) FROM feed_entries WHERE source = 'entity-bomb'")
    assert longest is None or longest < 1000
    assert report(summary, "entity-bomb").entries <= 1


def test_feed_charset_that_lies_does_not_garble_titles(hostile_run):
    db, _, _, _, _ = hostile_run
    titles = [
        t
        for (t,) in rows(
            db, "SELECT title FROM feed_entries WHERE source IN ('charset-lies', 'legacy-charset') ORDER BY source"
        )
    ]
    assert titles == ["Zürich café owners protest story 0", "Café crème story 0"]


def test_invalid_bytes_and_truncated_feeds_keep_what_can_be_read(hostile_run):
    db, summary, _, _, _ = hostile_run
    assert report(summary, "invalid-bytes").error is None
    assert rows(db, "SELECT count(*) FROM feed_entries WHERE source = 'invalid-bytes'") == [(1,)]
    links = [link for (link,) in rows(db, "SELECT link FROM feed_entries WHERE source = 'truncated' ORDER BY link")]
    assert [link.rsplit("/", 1)[1] for link in links] == ["0", "1"]


@pytest.mark.parametrize(
    "path, stage, state, status, error",
    [
        ("/p/slow", "fetch", "retry", None, "timeout (ReadTimeout)"),
        ("/p/busy", "fetch", "retry", 503, "HTTP 503"),
        ("/p/pdf", "extract", "dead", 200, "not an HTML page (application/pdf)"),
        ("/p/binary", "extract", "dead", 200, "not an HTML page (application/octet-stream)"),
        ("/p/missing", "fetch", "dead", 404, "HTTP 404"),
        ("/p/gone", "fetch", "dead", 410, "HTTP 410 Gone"),
        ("/p/bomb", "fetch", "dead", None, f"response larger than {MAX_BYTES} bytes (stopped reading)"),
        ("/p/endless", "fetch", "dead", None, f"response larger than {MAX_BYTES} bytes (stopped reading)"),
        ("/p/loop", "fetch", "dead", None, "too many redirects"),
        ("/p/menu-only", "extract", "dead", 200, "body too short"),
        ("/private/p", "fetch", "dead", None, "disallowed by robots.txt"),
    ],
)
def test_failed_page_is_queued_or_dead_lettered_never_forgotten(hostile_run, path, stage, state, status, error):
    db, _, _, _, _ = hostile_run
    got_stage, got_state, got_status, got_error, next_attempt = queued(db, path)
    assert (got_stage, got_state, got_status) == (stage, state, status)
    assert got_error.startswith(error)
    assert (next_attempt is not None) == (state == "retry")


def test_a_long_retry_after_on_two_feeds_does_not_stop_their_host_serving_a_page(hostile_run):
    db, _, _, busy, _ = hostile_run
    assert len(busy.hits("/p/later")) == 1
    assert rows(db, "SELECT count(*) FROM articles WHERE title = 'Later'") == [(1,)]
    assert rows(db, "SELECT count(*) FROM host_holds") == [(0,)]


def test_retry_after_on_a_page_postpones_its_retry(hostile_run):
    db, _, _, _, started = hostile_run
    assert queued(db, "/p/busy")[4] >= started + timedelta(hours=2) - timedelta(minutes=1)


def test_robots_disallowed_page_is_never_requested(hostile_run):
    _, _, site, _, _ = hostile_run
    assert site.hits("/private/p") == []
    assert len(site.hits("/robots.txt")) == 1


def test_good_page_among_the_bad_ones_is_loaded(hostile_run):
    db, summary, _, _, _ = hostile_run
    assert rows(db, "SELECT count(*) FROM articles WHERE title = 'Weir gates open'") == [(1,)]
    assert report(summary, "pages").fetch_failures == 8
    assert report(summary, "pages").extraction_failures == 3

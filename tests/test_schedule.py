from datetime import datetime, timedelta, timezone

from flows.plan import feedstate
from warehouse.records import FeedState
from flows.plan import schedule
from flows.records import FeedPoll, ParsedFeed, Source

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
HALF_HOUR = timedelta(minutes=30)


def test_success_waits_the_interval():
    assert schedule.next_poll(NOW, 0, HALF_HOUR) == NOW + HALF_HOUR


def test_feed_hints_lengthen_but_never_shorten_the_interval():
    assert schedule.next_poll(NOW, 0, HALF_HOUR, timedelta(hours=2)) == NOW + timedelta(hours=2)
    assert schedule.next_poll(NOW, 0, HALF_HOUR, timedelta(minutes=5)) == NOW + HALF_HOUR


def test_a_hint_is_never_followed_past_a_day():
    assert schedule.next_poll(NOW, 0, HALF_HOUR, timedelta(days=30)) == NOW + timedelta(days=1)


def test_failures_back_off_regardless_of_interval():
    assert schedule.next_poll(NOW, 1, HALF_HOUR) == NOW + timedelta(minutes=5)
    assert schedule.next_poll(NOW, 3, HALF_HOUR) == NOW + timedelta(minutes=20)
    assert schedule.next_poll(NOW, 50, HALF_HOUR) == NOW + timedelta(days=1)


def test_feed_hint_takes_the_longest_of_ttl_max_age_and_expires():
    assert schedule.feed_hint({}, 90, NOW) == timedelta(minutes=90)
    assert schedule.feed_hint({"cache-control": "public, max-age=7200"}, 60, NOW) == timedelta(hours=2)
    expires = {"expires": "Fri, 27 Nov 2026 15:00:00 GMT"}
    assert schedule.feed_hint(expires, None, NOW) == timedelta(hours=3)
    assert schedule.feed_hint({"cache-control": "no-cache, max-age=7200"}, None, NOW) is None
    assert schedule.feed_hint({"expires": "Thu, 01 Jan 2026 00:00:00 GMT"}, None, NOW) is None
    assert schedule.feed_hint({}, None, NOW) is None


def test_due_picks_new_and_expired_enabled_sources():
    sources = [
        Source("new", "https://a.example/f"),
        Source("expired", "https://b.example/f"),
        Source("waiting", "https://c.example/f"),
        Source("off", "https://d.example/f", enabled=False),
    ]
    states = {
        "expired": FeedState("expired", next_poll_at=NOW - timedelta(seconds=1)),
        "waiting": FeedState("waiting", next_poll_at=NOW + timedelta(minutes=1)),
    }
    assert [s.name for s in schedule.due(sources, states, NOW)] == ["new", "expired"]


def polled(status: int, headers: dict[str, str], ttl: int | None = None) -> feedstate.SourcePoll:
    source = Source("s", "https://s.example/f", interval_minutes=15)
    feed = ParsedFeed("rss20", "t", (), ttl_minutes=ttl) if status == 200 else None
    return feedstate.SourcePoll(source, FeedPoll("s", source.feed_url, status, headers=headers), feed)


def test_feed_state_uses_the_source_interval_and_the_feeds_ttl():
    assert feedstate.next_state(polled(200, {}), None, NOW).next_poll_at == NOW + timedelta(minutes=15)
    state = feedstate.next_state(polled(200, {}, ttl=60), None, NOW)
    assert state.next_poll_at == NOW + timedelta(hours=1) and state.hint_seconds == 3600


def test_a_304_keeps_honouring_the_last_known_ttl():
    state = feedstate.next_state(polled(304, {}), FeedState("s", hint_seconds=3600), NOW)
    assert state.next_poll_at == NOW + timedelta(hours=1)


def test_a_far_future_expires_is_capped_so_it_fits_the_warehouse():
    assert schedule.feed_hint({"expires": "Thu, 01 Jan 2099 00:00:00 GMT"}, None, NOW) == timedelta(days=1)

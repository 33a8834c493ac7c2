from datetime import datetime, timedelta, timezone

from flows.text import dates

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
STAMP = datetime(2026, 11, 24, 7, 15, tzinfo=timezone.utc)
DAY = datetime(2026, 11, 24, tzinfo=timezone.utc)


def test_page_timestamp_wins_and_keeps_its_time():
    assert dates.choose([(STAMP, "jsonld"), (NOW, "meta")], NOW, [(DAY, "url")], NOW) == (STAMP, "jsonld")


def test_implausible_dates_are_rejected():
    future = NOW + timedelta(days=3)
    ancient = datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert dates.choose([(future, "jsonld"), (ancient, "meta")], None, [(DAY, "url")], NOW) == (DAY, "url")
    assert dates.choose([(future, "jsonld")], None, [], NOW) == (None, None)
    assert dates.plausible(NOW + timedelta(hours=1), NOW)


def test_a_day_borrows_the_feeds_time_when_they_agree():
    feed = datetime(2026, 11, 23, 22, 40, tzinfo=timezone.utc)
    assert dates.choose([], feed, [(DAY, "url")], NOW) == (feed, "url+feed")
    far = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    assert dates.choose([], far, [(DAY, "page")], NOW) == (DAY, "page")
    assert dates.choose([], far, [], NOW) == (far, "feed")


def test_dates_in_urls():
    assert dates.from_url("https://n.example/2026/11/24/bridge-reopens") == DAY
    assert dates.from_url("https://n.example/news/2026-11-24-bridge.html") == DAY
    assert dates.from_url("https://n.example/20261124/bridge") == DAY
    assert dates.from_url("https://n.example/article.php?id=20261124") is None
    assert dates.from_url("https://n.example/2026/13/45/x") is None


def test_a_day_the_title_ends_with():
    assert dates.from_title("Bridge reopens | Gazette | 24.11.2026") == DAY
    assert dates.from_title("Bridge reopens, The Gazette, 2026-11-24") == DAY
    assert dates.from_title("Bridge reopens | 31.02.2026") is None
    assert dates.from_title("Bridge reopens after 24.11.2026") is None
    assert dates.from_title(None) is None

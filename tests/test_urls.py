import pytest

from flows.identity import urls


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("HTTPS://News.Example.ORG:443/a/b?utm_source=rss&utm_medium=feed#top", "https://news.example.org/a/b"),
        ("http://news.example:80/x?fbclid=abc&gclid=1&id=3", "http://news.example/x?id=3"),
        ("http://news.example:8080//x//y", "http://news.example:8080/x/y"),
        ("https://news.example", "https://news.example/"),
        ("https://news.example/p?b=2&a=1&mc_cid=9", "https://news.example/p?b=2&a=1"),
    ],
)
def test_canonical(raw, expected):
    assert urls.canonical(raw) == expected


def test_meaningful_query_parameters_keep_articles_apart():
    assert urls.canonical("http://n.example/article.php?id=8576") != urls.canonical(
        "http://n.example/article.php?id=8723"
    )


def test_host_key_includes_port():
    assert urls.host_of("http://127.0.0.1:8000/a") == "127.0.0.1:8000"
    assert urls.host_of("https://News.example/a") == "news.example"


def test_feed_links_with_impossible_ports_are_not_links():
    from flows.feeds.fields import http_url

    assert http_url("http://a.example:abc/x", "http://b.example/") is None
    assert http_url("http://a.example:99999/x", "http://b.example/") is None
    assert http_url("/x", "http://b.example:8080/") == "http://b.example:8080/x"

"""flows.feeds: feed bytes + headers -> ParsedFeed, and feed discovery in HTML pages."""

from __future__ import annotations

import codecs
import json
import random
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

import pytest

from flows.text.charset import bom_codec, known_codec
from flows.feeds.rss import FeedError, discover, parse
from flows.text import bylines
from flows.records import ParsedFeed

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "feeds"
EVAL_FEEDS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "feeds"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --------------------------------------------------------------------------- RSS 2.0


@pytest.fixture(scope="module")
def rss20() -> ParsedFeed:
    return parse(
        fixture("rss20.xml"), {"Content-Type": "application/rss+xml"}, "https://gazette.example/feeds/main.rss"
    )


def test_rss20_format_title_and_counts(rss20: ParsedFeed) -> None:
    assert rss20.format == "rss20"
    assert rss20.title == "Harbour Town Gazette"
    assert [e.link for e in rss20.entries] == [
        "https://gazette.example/news/2025/06/ferry-timetable",  # relative <link>, resolved
        "https://gazette.example/news/2025/06/market-day",  # no <link>: permalink guid
        "https://gazette.example/news/2025/06/lighthouse",
    ]
    # opaque guid, relative guid "1004" (never turned into a URL), mailto: link
    assert rss20.skipped_without_link == 3
    assert rss20.warning is None


def test_rss20_first_item_fields(rss20: ParsedFeed) -> None:
    first = rss20.entries[0]
    assert first.guid == "gazette-1001"
    assert first.title == "Ferries & buses: the new timetable"
    assert first.published == utc(2025, 6, 3, 7, 39, 21)  # +0200 -> UTC, time of day kept
    assert first.published.tzinfo is timezone.utc
    assert first.updated is None  # RSS items have no updated date
    assert first.authors == ("Mara Quill",)  # "desk@gazette.example (Mara Quill)"
    assert first.tags == ("Transport", "Harbour")  # deduplicated, order kept
    assert first.summary == "The new timetable starts on Monday. Evening sailings return."


def test_rss20_guid_permalink_by_prefix_and_bare_email(rss20: ParsedFeed) -> None:
    market, lighthouse = rss20.entries[1], rss20.entries[2]
    assert market.guid == "https://gazette.example/news/2025/06/market-day"
    assert market.authors == ("Olu Banjo",)  # leading "By " dropped
    assert market.published == utc(2025, 6, 4, 18, 5, 0)
    assert lighthouse.guid == "https://gazette.example/?p=1006"  # a <link> wins over the guid
    assert lighthouse.authors == ()  # a bare e-mail address is not a name
    assert lighthouse.published == utc(2025, 6, 5, 11, 0, 0)


def test_relative_guid_is_not_resolved_against_the_feed_url() -> None:
    body = b"""<rss version="2.0"><channel><title>t</title>
    <item><title>a</title><link>https://a.example/1</link><guid>12345</guid></item></channel></rss>"""
    feed = parse(body, {}, "https://feeds.a.example/rss")
    assert feed.entries[0].guid == "12345"


# --------------------------------------------------------------------------- RSS 1.0 and Atom


def test_rss10_rdf() -> None:
    feed = parse(fixture("rss10.rdf"), {"content-type": "application/rdf+xml"}, "https://valley-courier.example/rdf")
    assert feed.format == "rss10"
    assert feed.title == "Valley Courier"
    bridge, orchard = feed.entries
    assert bridge.link == "https://valley-courier.example/a/bridge"
    assert bridge.guid == "https://valley-courier.example/a/bridge"  # rdf:about
    assert bridge.published == utc(2025, 5, 20, 12, 30)  # dc:date +02:00 -> UTC
    assert bridge.updated is None
    assert bridge.authors == ("Ines Varga",)
    assert bridge.tags == ("Roads",)
    assert orchard.published == utc(2025, 5, 21, 6, 0)


@pytest.fixture(scope="module")
def atom() -> ParsedFeed:
    return parse(
        fixture("atom10.xml"), {"Content-Type": "application/atom+xml"}, "https://northwind-observer.example/atom.xml"
    )


def test_atom_entry_with_only_updated(atom: ParsedFeed) -> None:
    assert atom.format == "atom10"
    assert atom.title == "Northwind Observer"
    wind = atom.entries[0]
    assert wind.link == "https://northwind-observer.example/blog/2025/03/wind-farm"  # rel=alternate, not rel=self
    assert wind.guid == "tag:northwind-observer.example,2025:entry-1"
    assert wind.published is None
    assert wind.updated == utc(2025, 3, 4, 10, 6, 7)
    assert wind.title == "Wind farm approved"
    assert wind.authors == ("Pia Lund", "Tomas Berg")
    assert wind.tags == ("Energy",)
    assert wind.summary == "The council voted 7\u20132."


def test_atom_published_content_and_inherited_author(atom: ParsedFeed) -> None:
    terms = atom.entries[1]
    assert terms.link == "https://northwind-observer.example/blog/2025/03/term-dates"
    assert terms.published == utc(2025, 3, 3, 7, 0)
    assert terms.updated == utc(2025, 3, 3, 8, 30)
    assert terms.authors == ("Observer Desk",)  # feed-level author applies (Atom spec)
    assert terms.summary == "Terms start in August."  # from <content> when no <summary>


def test_atom_id_is_never_used_as_a_link(atom: ParsedFeed) -> None:
    assert len(atom.entries) == 2
    assert atom.skipped_without_link == 1  # only rel="related"; its http id is not a link


# --------------------------------------------------------------------------- JSON Feed


def test_json_feed_11() -> None:
    feed = parse(fixture("feed11.json"), {"Content-Type": "application/feed+json"}, "https://cdn.example/ledger.json")
    assert feed.format == "json11"
    assert feed.title == "Lakeside Ledger"
    assert feed.skipped_without_link == 1
    canal, library = feed.entries
    assert canal.link == "https://lakeside-ledger.example/stories/canal-cleanup"  # relative to home_page_url
    assert canal.guid == "ledger-501"
    assert canal.published == utc(2025, 4, 12, 7, 15, 30)
    assert canal.updated == utc(2025, 4, 12, 11, 0)
    assert canal.authors == ("Rosa Kim", "Dev Patel")
    assert canal.tags == ("Environment", "Volunteers")
    assert canal.summary == "Forty volunteers pulled two tonnes of rubbish."
    assert library.link == "https://partner-news.example/library-hours"  # external_url fallback
    assert library.guid == "502"  # numeric id
    assert library.summary == "Open until nine on weekdays."
    assert library.authors == ("Ledger Staff",)  # feed-level authors apply (JSON Feed 1.1)


def test_json_feed_10_detected_without_content_type() -> None:
    feed = parse(b"\xef\xbb\xbf\n" + fixture("feed10.json"), {}, "https://ridge-radio.example/feed.json")
    assert feed.format == "json10"
    storm, road = feed.entries
    assert storm.published == utc(2025, 1, 10, 6, 45)  # -08:00 -> next day in UTC
    assert storm.authors == ("Sam Okafor",)
    assert road.link == "https://ridge-radio.example/notes/road-closed"
    assert road.authors == ("Ridge Radio",)
    assert road.summary == "The pass is closed."


def test_truncated_json_feed() -> None:
    with pytest.raises(FeedError, match="truncated JSON"):
        parse(fixture("truncated.json"), {"content-type": "application/feed+json"}, "https://x.example/f.json")


def test_json_feed_charset_from_the_header_else_utf8_with_a_warning() -> None:
    body = '{"version": "https://jsonfeed.org/version/1.1", "title": "Café €", "items": []}'.encode("cp1252")
    labelled = parse(body, {"Content-Type": "application/feed+json; charset=windows-1252"}, "https://x.example/f.json")
    assert labelled.title == "Café €" and labelled.warning is None
    unlabelled = parse(body, {}, "https://x.example/f.json")
    assert unlabelled.title == "Caf\ufffd \ufffd"
    assert unlabelled.warning == "JSON Feed is not valid UTF-8; bad bytes replaced"


def test_json_feed_with_a_utf16_bom() -> None:
    body = '{"version": "https://jsonfeed.org/version/1", "title": "Zürich", "items": []}'.encode("utf-16")
    assert parse(body, {"content-type": "application/feed+json"}, "https://x.example/f.json").title == "Zürich"


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        lambda text: codecs.BOM_UTF32_LE + text.encode("utf-32-le"),
        lambda text: codecs.BOM_UTF32_BE + text.encode("utf-32-be"),
    ],
    ids=["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"],
)
def test_json_feed_with_a_utf16_or_utf32_bom_and_no_content_type(encode) -> None:
    body = encode('\n {"version": "https://jsonfeed.org/version/1", "title": "Zürich", "items": []}')
    feed = parse(body, {"content-type": "text/plain"}, "https://x.example/f.json")
    assert (feed.format, feed.title) == ("json10", "Zürich")


def json_feed(items: list, **fields) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items, **fields}).encode()


@pytest.mark.parametrize(
    ("tags", "expected"),
    [(5, ()), ("news", ()), ({"a": 1}, ()), (["a", 5, None, ["b"], " b ", "a"], ("a", "b"))],
)
def test_json_feed_tags_must_be_a_list_of_strings(tags, expected: tuple[str, ...]) -> None:
    feed = parse(json_feed([{"url": "https://a.example/1", "tags": tags}]), {}, "https://a.example/f.json")
    assert feed.entries[0].tags == expected


def test_json_feed_fields_of_the_wrong_type_are_ignored_or_skipped() -> None:
    item = {
        "url": "https://a.example/1",
        "id": [],
        "title": {},
        "summary": 5,
        "authors": "x",
        "author": 5,
        "date_published": 5,
        "date_modified": "9999-12-31T23:59:59-01:00",
    }  # out of range in UTC
    broken = [5, "x", None, [], {"url": 5}, {"url": "http://[bad"}, {"external_url": ["https://a.example/2"]}]
    body = json_feed([item, *broken], title=5, authors="x", home_page_url="http://[bad", feed_url=7)
    feed = parse(body, {"content-type": "application/json; charset=punycode"}, "https://a.example/f.json")
    assert feed.title is None and feed.skipped_without_link == len(broken)
    (entry,) = feed.entries
    assert (entry.link, entry.guid, entry.title, entry.summary) == ("https://a.example/1", None, None, None)
    assert (entry.authors, entry.published, entry.updated) == ((), None, None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"version": 1, "items": []}', r"version is not a string \(int\)"),
        (b'{"version": 1' + b"0" * 5000 + b', "items": []}', "unreadable JSON: Exceeds the limit"),
        (b'{"version": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "unreadable JSON: maximum recursion depth"),
        (b'{"title": "x", "items": []}', "JSON but not a JSON Feed: missing version"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "title": "x"}', "missing items"),
        (b'{"version": "2.0", "items": []}', "unknown version"),
        (b"[1, 2, 3]", "top level is list"),
        (b'{"version": 1,}', "invalid JSON at line 1, column 15"),
    ],
)
def test_json_that_is_not_a_json_feed(body: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse(body, {"Content-Type": "application/json"}, "https://x.example/f.json")


# --------------------------------------------------------------------------- charsets


def test_http_charset_wins_over_a_wrong_prolog() -> None:
    body = fixture("charset-mismatch.xml")  # windows-1252 bytes, prolog says utf-8
    feed = parse(body, {"Content-Type": "text/xml; charset=windows-1252"}, "https://cafe-gazette.example/rss")
    assert feed.title == "Café Gazette"
    assert feed.entries[0].title == "\u201cNaïve\u201d pricing: espresso now costs 2 €"
    assert feed.entries[0].summary == "Crème brûlée stays on the menu."
    assert feed.warning is None


def test_iso_8859_1_label_is_read_as_windows_1252() -> None:
    body = fixture("charset-mismatch.xml")
    feed = parse(body, {"content-type": "application/rss+xml; charset=ISO-8859-1"}, "https://cafe-gazette.example/rss")
    assert feed.entries[0].title.endswith("2 €")  # 0x80 is the euro sign, not a C1 control


def test_utf8_bytes_under_a_legacy_label_are_read_as_utf8() -> None:
    body = (
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel>'
        "<title>Ünïcode ✓</title></channel></rss>"
    )
    feed = parse(body.encode("utf-8"), {}, "https://x.example/rss")
    assert feed.title == "Ünïcode ✓"
    assert feed.warning == "declared iso-8859-1 but the bytes are UTF-8; read as UTF-8"


def test_text_xml_without_charset_is_not_read_as_ascii() -> None:
    body = '<rss version="2.0"><channel><title>Zürich</title></channel></rss>'.encode()
    assert parse(body, {"Content-Type": "text/xml"}, "https://x.example/rss").title == "Zürich"


@pytest.mark.parametrize(
    ("prefix", "codec"),
    [
        (codecs.BOM_UTF32_LE, "utf-32"),  # starts with the UTF-16-LE mark: must win over it
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
        (b"<?xml", None),
    ],
)
def test_bom_codec(prefix: bytes, codec: str | None) -> None:
    assert bom_codec(prefix + b"<rss/>") == codec


def test_known_codec_normalises_labels() -> None:
    assert known_codec(' "ISO-8859-1" ') == "iso-8859-1"
    assert known_codec("no-such-charset") is None
    assert known_codec(None) is None and known_codec("") is None
    assert known_codec("base64") is None and known_codec("undefined") is None  # not text codecs


# --------------------------------------------------------------------------- malformed and not feeds


def test_malformed_but_recoverable_xml_keeps_entries_with_a_warning() -> None:
    feed = parse(fixture("malformed.xml"), {}, "https://quarry-bulletin.example/rss")
    assert feed.format == "rss20"
    assert [e.title for e in feed.entries] == ["Fish & chips van returns", "Choir concert on Friday"]
    assert feed.warning is not None and feed.warning.startswith("XML error at line 7:")
    assert len(feed.warning) <= 200


def test_malformed_feed_with_a_version_but_no_entries_is_empty_not_an_error() -> None:
    feed = parse(b"<rss version='2.0'><channel><title>Cut off", {}, "https://x.example/rss")
    assert feed.format == "rss20" and feed.entries == ()
    assert feed.warning is not None and feed.warning.startswith("XML error at line 1")


def test_whitespace_before_the_xml_declaration_is_tolerated() -> None:
    body = b"\n\n  " + fixture("rss20.xml")
    feed = parse(body, {}, "https://gazette.example/feeds/main.rss")
    assert feed.warning is None and len(feed.entries) == 3


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (fixture("page.html"), {"content-type": "text/html; charset=utf-8"}, "HTML page, not a feed"),
        (b"", {}, "empty body"),
        (b"  \n ", {}, "empty body"),
        (b"Service temporarily unavailable", {"content-type": "text/plain"}, r"plain text \(text/plain\), not a feed"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", {}, "binary data"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", {}, "gzip"),
        (
            b'<?xml version="1.0"?><urlset><url><loc>https://x.example/</loc></url></urlset>',
            {},
            "root element <urlset>",
        ),
        (b"<notes>\n<note>one</notes>", {}, "XML error at line 2: mismatched tag"),
    ],
)
def test_not_a_feed(body: bytes, headers: dict[str, str], message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse(body, headers, "https://x.example/feed")


def test_body_that_looks_like_a_path_is_never_opened(tmp_path: Path) -> None:
    secret = tmp_path / "feed.xml"
    secret.write_bytes(fixture("rss20.xml"))
    with pytest.raises(FeedError, match="plain text"):
        parse(str(secret).encode(), {}, "https://x.example/feed")


def test_feedparser_crash_is_a_feed_error() -> None:
    body = b'<?xml version="1.0" encoding="u\xcdf-8"?><rss version="2.0"><channel></channel></rss>'
    with pytest.raises(FeedError, match="^feed parser failed: UnicodeDecodeError: 'utf-8' codec can't decode"):
        parse(body, {}, "https://x.example/rss")


def test_broken_items_never_crash() -> None:
    body = b"""<rss version="2.0"><channel><title>t</title>
      <item></item><item><title/><link> </link></item>
      <item><title>ok</title><link>https://a.example/ok</link><pubDate>not a date</pubDate></item>
    </channel></rss>"""
    feed = parse(body, {}, "https://a.example/rss")
    assert [e.link for e in feed.entries] == ["https://a.example/ok"]
    assert feed.entries[0].published is None
    assert feed.skipped_without_link == 2


def test_summary_is_capped() -> None:
    text = " ".join(["word"] * 600)
    body = f'<rss version="2.0"><channel><item><link>https://a.example/1</link><description>{text}</description></item></channel></rss>'
    summary = parse(body.encode(), {}, "https://a.example/rss").entries[0].summary
    assert summary is not None and len(summary) <= 1000 and summary.endswith("…")


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("desk@site.example (Mara Quill)", "Mara Quill"),
        ("Mara Quill <desk@site.example>", "Mara Quill"),
        ("Mara Quill (desk@site.com)", "Mara Quill"),
        ("desk@site.example", None),
        ("By Olu Banjo", "Olu Banjo"),
        ("Ann Lee and Bo Chan", "Ann Lee and Bo Chan"),
        ("  ", None),
    ],
)
def test_author_name(raw: str, name: str | None) -> None:
    assert bylines.name(raw) == name


def test_email_author_with_long_tld_among_several_authors() -> None:
    body = b"""<rss version="2.0"><channel><item><link>https://a.example/1</link>
      <author>one@news.international (Ada Obi)</author><author>two@site.example (Ben Roe)</author>
    </item></channel></rss>"""
    assert parse(body, {}, "https://a.example/rss").entries[0].authors == ("Ada Obi", "Ben Roe")


# --------------------------------------------------------------------------- discovery


def test_discover_feed_links_in_page_order() -> None:
    found = discover(fixture("page.html"), "https://gazette.example/section/front")
    assert found == [
        "https://gazette.example/feed.rss",
        "https://gazette.example/section/harbour/atom.xml",  # relative to <base href>
        "https://gazette.example/feed.json",
        "https://gazette.example/feeds/all.json",  # the /wp-json/ API link is not a feed
        "https://comments.gazette.example/atom",
    ]


def test_discover_without_feeds() -> None:
    assert discover(b"<html><head><title>x</title></head><body>hi</body></html>", "https://x.example/") == []
    assert discover(b"", "https://x.example/") == []
    page = b'<link rel=alternate type="application/rss+xml" href="rss.xml">'
    assert discover(page, "https://x.example/blog/post") == ["https://x.example/blog/rss.xml"]


def test_discover_keeps_the_links_before_a_garbled_marked_section() -> None:
    link = b'<link rel=alternate type="application/rss+xml" href="/%s.rss">'
    page = link % b"a" + b"<![garbled[ x ]]>" + link % b"b"
    assert discover(page, "https://x.example/") == ["https://x.example/a.rss"]
    assert discover(b"<![ \x00", "https://x.example/") == []


def test_discover_ignores_an_unusable_base_href() -> None:
    page = b'<base href="http://[bad"><link rel=alternate type="application/rss+xml" href="/a.rss">'
    assert discover(page, "https://x.example/") == ["https://x.example/a.rss"]


def test_discover_decodes_the_page_like_extract_does() -> None:
    link = '<link rel=alternate type="application/rss+xml" href="/новости.rss">'
    legacy = ('<meta charset="windows-1251">' + link).encode("cp1251")
    assert discover(legacy, "https://x.example/") == ["https://x.example/новости.rss"]
    assert discover(link.encode("utf-16"), "https://x.example/") == ["https://x.example/новости.rss"]


# --------------------------------------------------------------------------- damaged input


def damaged(body: bytes, rng: random.Random, count: int) -> list[bytes]:
    """``count`` variants of ``body``: half cut off at random offsets, half with random bytes overwritten."""
    variants = [body[: rng.randrange(len(body))] for _ in range(count // 2)]
    for _ in range(count - count // 2):
        corrupted = bytearray(body)
        for _ in range(rng.randint(1, 10)):
            corrupted[rng.randrange(len(corrupted))] = rng.randrange(256)
        variants.append(bytes(corrupted))
    return variants


@pytest.mark.parametrize("name", ["rss20.xml", "atom10.xml", "rss10.rdf", "feed11.json", "malformed.xml"])
def test_damaged_feeds_give_a_parsed_feed_or_a_feed_error(name: str) -> None:
    for body in damaged(fixture(name), random.Random(1234), 60):
        try:
            assert isinstance(parse(body, {}, "https://x.example/feed"), ParsedFeed)
        except FeedError:  # anything else fails the test
            pass


def test_discover_on_damaged_pages_gives_a_list() -> None:
    rng = random.Random(1234)
    for body in damaged(fixture("page.html"), rng, 50):
        cut = rng.randrange(len(body) + 1)
        for page in (body, body[:cut] + b"<![" + body[cut:]):
            assert isinstance(discover(page, "https://x.example/"), list)


# --------------------------------------------------------------------------- real feeds (optional)


def _eval_rows() -> list[tuple[str, dict]]:
    rows = []
    for manifest in sorted(EVAL_FEEDS.glob("*/manifest.jsonl")):
        for line in manifest.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append((manifest.parent.name, json.loads(line)))
    return rows


def _is_cyrillic(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum("CYRILLIC" in unicodedata.name(c, "") for c in letters) / len(letters) > 0.5


@pytest.mark.slow
def test_eval_feeds_parse_or_raise_feed_error() -> None:
    if not EVAL_FEEDS.is_dir():
        pytest.skip(f"{EVAL_FEEDS} not present")
    results: dict[str, ParsedFeed | FeedError] = {}
    for suite, row in _eval_rows():
        headers = (row.get("notes") or {}).get("http_headers") or {}
        body = (EVAL_FEEDS / suite / row["path"]).read_bytes()
        try:
            results[f"{suite}/{row['path']}"] = parse(body, headers, f"https://feeds.example.org/{suite}/{row['path']}")
        except FeedError as exc:  # anything else fails the test
            results[f"{suite}/{row['path']}"] = exc

    captured = {k: v for k, v in results.items() if not k.startswith("feedparser-tests/")}
    assert len(captured) >= 80
    with_entries = [v for v in captured.values() if isinstance(v, ParsedFeed) and v.entries]
    assert len(with_entries) / len(captured) > 0.8
    for feed in with_entries:
        assert all(e.link.startswith(("http://", "https://")) for e in feed.entries)
    json_feeds = [v for k, v in captured.items() if k.endswith(".json") and isinstance(v, ParsedFeed) and v.entries]
    assert len(json_feeds) >= 6

    # the documents that are not feeds we can read, and why
    assert "HTML page" in str(results["rss-parser-tests/input/unrecognized.rss"])
    assert "truncated JSON" in str(results["netnewswire-rsparser/allthis-partial.json"])
    assert "missing version" in str(results["netnewswire-rsparser/ScriptingNews.json"])  # RSS-in-JSON

    def feed(path: str) -> ParsedFeed:
        result = results[path]
        assert isinstance(result, ParsedFeed), (path, result)
        return result

    golem = feed("miniflux-testdata/parser/encoding_ISO-8859-1.xml")
    titles = " ".join(e.title or "" for e in golem.entries)
    assert any(c in titles for c in "äöüÄÖÜß") and "Ã" not in titles
    for path in ("miniflux-testdata/parser/encoding_WINDOWS-1251.xml", "miniflux-testdata/encoding/koi8r.xml"):
        cyrillic = [e.title for e in feed(path).entries if e.title and _is_cyrillic(e.title)]
        assert len(cyrillic) >= 1, path
    assert feed("miniflux-testdata/encoding/koi8r.xml").title == "Пример RSS ленты"
    assert feed("miniflux-testdata/encoding/iso-8859-1.xml").title == "Café"
    assert feed("miniflux-testdata/encoding/windows-1252.xml").title == "Euro €"
    assert feed("miniflux-testdata/encoding/windows-1252-incorrect-prolog.xml").title == "Euro €"
    assert feed("miniflux-testdata/encoding/utf8-incorrect-prolog.xml").title == "테스트 피드"

import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from flows import extract
from flows.extract import bodyclean
from flows.identity import dedup
from flows.identity import neardup
from flows.text.charset import decode_html
from flows.records import FeedEntry
from tests.support.waiting import wait_for
from trafilatura.settings import Document

PAGES = Path(__file__).parent / "fixtures" / "pages"
URL = "https://gazette.example/news/2026/11/tide-gauge-upgrade?utm_source=rss"


def promo_page() -> bytes:
    return (PAGES / "promo-article.html").read_bytes()


def test_article_body_and_metadata():
    article = extract.article(promo_page(), URL)
    assert article.title == "Tide gauge upgrade gives Saltmarsh early flood warnings"
    assert article.authors == ("Ines Marlow", "Tobias Fenn")
    assert article.published_at == datetime(2026, 11, 23, 5, 45, tzinfo=timezone.utc)
    assert article.published_source == "jsonld"
    assert article.updated_at == datetime(2026, 11, 23, 8, 10, tzinfo=timezone.utc)
    assert article.language == "en"
    assert article.sitename == "The Saltmarsh Gazette"
    assert article.image_url == "https://gazette.example/img/gauge.jpg"
    assert article.canonical_url == "https://gazette.example/news/2026/11/tide-gauge-upgrade"
    assert article.body.startswith("Digital Desk: Saltmarsh will receive flood warnings")
    assert "first Saturday of December" in article.body
    assert article.word_count == len(article.body.split())
    assert article.content_hash == dedup.content_hash(article.body)
    assert list(article.band_keys) == neardup.RULES.band_keys(article.body)


def test_inline_promo_lines_are_removed():
    body = extract.article(promo_page(), URL).body
    assert "Also Read" not in body and "Ferry operator trims" not in body
    assert "Read more" not in body and "What went wrong" not in body
    assert "cookies" not in body and "Most read" not in body


def test_feed_date_fills_in_when_the_page_has_none():
    page = promo_page().replace(b'"datePublished": "2026-11-23T06:45:00+01:00", ', b"")
    entry = FeedEntry(link=URL, published=datetime(2026, 11, 22, 21, 5, tzinfo=timezone.utc))
    article = extract.article(page, URL, entry=entry)
    assert article.published_at == entry.published
    assert article.published_source in ("feed", "page+feed")


def test_page_without_a_real_body_is_an_extraction_failure():
    page = b"<html><body><nav><a href='/'>Home</a></nav><p>Subscribe today.</p></body></html>"
    with pytest.raises(extract.ExtractionFailed, match="body"):
        extract.article(page, "https://gazette.example/x")


def test_page_declaring_a_legacy_charset_but_sending_utf8_is_not_mojibake():
    page = promo_page().replace(b'<meta charset="utf-8">', b'<meta charset="iso-8859-1">')
    page = page.replace(b"Saltmarsh will", "Saltmarsh – Ålesund’s twin – will".encode())
    article = extract.article(page, URL, {"content-type": "text/html; charset=iso-8859-1"})
    assert "Saltmarsh – Ålesund’s twin – will" in article.body


def test_legacy_bytes_are_decoded_with_the_declared_charset():
    page = promo_page().replace(b'<meta charset="utf-8">', b'<meta charset="windows-1252">')
    page = page.replace(b"Saltmarsh will", "Saltmarsh caf\u00e9s will".encode("cp1252"))
    assert "Saltmarsh cafés will" in extract.article(page, URL).body


def test_clean_body_drops_a_leading_headline_repeat():
    assert bodyclean.clean("Big News\nFirst line.\nAlso Read: other", "Big news") == "First line."


@pytest.mark.parametrize(
    "line",
    [
        "Also Read: Ferry operator trims winter timetable",
        "READ MORE - What went wrong",
        "MORE: Council votes on budget",
        "Lesen Sie auch: Neue Buslinie",
        "Related: Market hall",
    ],
)
def test_promo_lines_in_several_forms_are_dropped(line):
    assert bodyclean.clean(f"Opening line.\n{line}\nClosing line.", None) == "Opening line.\nClosing line."


@pytest.mark.parametrize(
    "line",
    [
        "More than 200 people attended - the council said.",
        "Watch parties were held across the city: all of them.",
        "Related costs rose by a third.",
    ],
)
def test_ordinary_sentences_that_start_like_promos_are_kept(line):
    assert bodyclean.clean(line, None) == line


@pytest.mark.parametrize(
    "line",
    [
        "By Odile Ferrante | Published: Tue 24 Nov 2026 13:45 | Last updated: Tue 24 Nov 2026 13:45",
        "By Ines Marlow and Tobias Fenn",
        "Published: 24 November 2026, 13:45",
        "Von Jana Krüger",
    ],
)
def test_bylines_at_the_edges_of_the_body_are_dropped(line):
    body = "The council met on Monday.\nIt agreed the budget."
    assert bodyclean.clean(f"{line}\n{body}", None) == body
    assert bodyclean.clean(f"{body}\n{line}", None) == body


def test_a_sentence_starting_with_by_is_not_a_byline():
    body = "By Monday, the council had agreed the budget.\nIt takes effect in spring."
    assert bodyclean.clean(body, None) == body


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "utf-8"])
def test_a_byte_order_mark_decodes_with_its_own_byte_order(codec):
    page = "<p>Zürich – Ålesund</p>"
    assert decode_html(("\ufeff" + page).encode(codec)) == page


def test_a_charset_that_is_no_text_codec_falls_back_to_windows_1252():
    for charset in ("base64", "punycode", "idna", "undefined"):
        page = f'<meta charset="{charset}"><p>caf\xe9</p>'
        assert decode_html(page.encode("cp1252"), {"content-type": f"text/html; charset={charset}"}) == page


def test_feed_authors_fill_in_when_the_page_names_none():
    page = promo_page().replace(
        b'"author": [{"@type": "Person", "name": "Ines Marlow"}, {"@type": "Person", "name": "Tobias Fenn"}],', b""
    )
    page = page.replace(b'<p class="byline">By Ines Marlow and Tobias Fenn</p>', b"")
    entry = FeedEntry(link=URL, authors=("Ola Brandt",))
    assert extract.article(page, URL, entry=entry).authors == ("Ola Brandt",)


def test_the_pages_byline_names_the_author_where_the_metadata_credits_the_publisher():
    page = promo_page().replace(
        b'"author": [{"@type": "Person", "name": "Ines Marlow"}, {"@type": "Person", "name": "Tobias Fenn"}],',
        b'"author": {"@type": "Organization", "name": "The Saltmarsh Gazette"},',
    )
    assert extract.article(page, URL).authors == ("Ines Marlow", "Tobias Fenn")


def test_an_author_meta_tag_in_capitals_counts():
    page = promo_page().replace(
        b'"author": [{"@type": "Person", "name": "Ines Marlow"}, {"@type": "Person", "name": "Tobias Fenn"}],', b""
    )
    page = page.replace(b'<p class="byline">By Ines Marlow and Tobias Fenn</p>', b"")
    page = page.replace(b"<title>", b'<meta name="Author" content="Ola Brandt"><title>')
    assert extract.article(page, URL).authors == ("Ola Brandt",)


def test_a_day_in_the_title_dates_a_page_that_states_no_date():
    page = promo_page().replace(b'"datePublished": "2026-11-23T06:45:00+01:00", ', b"")
    page = page.replace(b'"dateModified": "2026-11-23T09:10:00+01:00",', b"")
    related = b'<p class="byline">By Ines Marlow and Tobias Fenn</p><p class="date">Related: 02.11.2026</p>'
    page = page.replace(b'<p class="byline">By Ines Marlow and Tobias Fenn</p>', related)
    page = page.replace(b"| The Saltmarsh Gazette</title>", b"| The Saltmarsh Gazette | 23.11.2026</title>")
    article = extract.article(page, "https://gazette.example/news/tide-gauge-upgrade")
    assert article.published_at == datetime(2026, 11, 23, tzinfo=timezone.utc)
    assert article.published_source == "page"


def test_the_entrys_image_fills_in_when_the_page_has_none():
    page = promo_page().replace(b'<meta property="og:image" content="https://gazette.example/img/gauge.jpg">', b"")
    entry = FeedEntry(link=URL, image_url="https://gazette.example/img/sitemap-gauge.jpg", origin="sitemap")
    assert extract.article(page, URL, entry=entry).image_url == entry.image_url
    assert extract.article(promo_page(), URL, entry=entry).image_url == "https://gazette.example/img/gauge.jpg"


def test_date_in_the_url_is_used_when_the_page_states_none():
    page = promo_page().replace(b'"datePublished": "2026-11-23T06:45:00+01:00", ', b"")
    page = page.replace(b'"dateModified": "2026-11-23T09:10:00+01:00",', b"")
    article = extract.article(page, "https://gazette.example/2026/11/21/tide-gauge")
    assert article.published_at == datetime(2026, 11, 21, tzinfo=timezone.utc)
    assert article.published_source in ("url", "page")


def test_declared_language_gives_way_to_a_confident_detection():
    page = promo_page().replace(b'<html lang="en-GB">', b'<html lang="de">')
    assert extract.article(page, URL).language == "en"


def test_dates_that_cannot_be_moved_to_utc_are_ignored_not_fatal():
    page = promo_page().replace(b"2026-11-23T06:45:00+01:00", b"9999-12-31T23:00:00-05:00")
    assert extract.article(page, URL).published_source != "jsonld"


def _with(old: bytes, new: bytes) -> bytes:
    page = promo_page()
    assert old in page
    return page.replace(old, new)


def test_text_after_an_html_comment_inside_a_paragraph_is_kept():
    page = _with(b"flood warnings up to", b"flood warnings <!-- ad slot --> up to")
    assert "three hours earlier this winter" in extract.article(page, URL).body


def test_a_plain_text_page_still_extracts():
    text = "The council met on Monday and agreed the budget for the new sea wall. " * 8
    article = extract.article(text.encode(), URL, {"content-type": "text/plain"})
    assert article.body.startswith("The council met on Monday")


def test_a_table_in_the_article_is_part_of_the_body():
    table = (
        b"<table><tr><th>Gauge</th><th>Readings per hour</th></tr>"
        b"<tr><td>Old estuary gauge</td><td>4</td></tr><tr><td>New estuary gauge</td><td>60</td></tr></table>"
    )
    page = _with(b"<p>The authority said", table + b"<p>The authority said")
    assert "New estuary gauge" in extract.article(page, URL).body


def test_a_paragraph_that_is_only_a_link_to_another_story_is_dropped():
    teaser = b'<p><a href="/news/lifeboat-crew">Lifeboat crew honoured for winter rescue</a></p>'
    page = _with(b"<p>The authority said", teaser + b"<p>The authority said")
    assert "Lifeboat crew" not in extract.article(page, URL).body


def test_precision_mode_gives_way_when_it_keeps_only_a_stub(monkeypatch):
    def fake(tree, favor_precision=False, **options):
        return Document(text="Stub." if favor_precision else "A full paragraph of the story. " * 40)

    monkeypatch.setattr(extract.page.trafilatura, "bare_extraction", fake)
    assert extract.article(promo_page(), URL, min_body_chars=0).body.startswith("A full paragraph")


def test_a_leading_dek_is_dropped_but_a_lede_equal_to_the_description_is_kept():
    dek = "Engineers swap the old tide gauge for minute-by-minute sensors"
    assert bodyclean.clean(f"{dek}\nThe council met.", None, dek) == "The council met."
    lede = "Engineers swapped the old tide gauge on Monday."
    assert bodyclean.clean(f"{lede}\nThe council met.", None, lede) == f"{lede}\nThe council met."


@pytest.mark.parametrize(
    "line",
    [
        "Ola Brandt contributed to this report.",
        "(Reporting by Ines Marlow; Editing by Tobias Fenn)",
        "Additional reporting by Jana Krüger",
        "Contributing: Odile Ferrante",
        "SOURCE: News agencies",
        "Follow the Gazette on Facebook, Twitter and Instagram.",
        "Email Ines Marlow at ines@gazette.example.",
        "Get the morning briefing delivered to your inbox by signing up for our newsletter.",
        "© 2026 The Saltmarsh Gazette. All rights reserved.",
        "Copyright Saltmarsh Gazette 2026",
        "12 comments",
        "Filed under: Harbour |",
        "This copy is for your personal, non-commercial use only.",
        "Liked this story? Share it with a friend!",
        "Share this article",
        "You may also like:",
    ],
)
def test_furniture_after_the_last_paragraph_is_dropped(line):
    body = "The council met on Monday.\nIt agreed the budget."
    assert bodyclean.clean(f"{body}\n{line}", None) == body


@pytest.mark.parametrize(
    "line",
    [
        "Its newsletter closed in spring.",
        "Subscribers pay five pounds a month.",
        "The harbour office inbox was flooded.",
        "She hopes to share it with her grandchildren one day.",
    ],
)
def test_a_closing_sentence_that_only_mentions_such_words_is_kept(line):
    body = f"The council met on Monday.\n{line}"
    assert bodyclean.clean(body, None) == body


@pytest.mark.parametrize(
    "line",
    [
        "SEE MORE: Lifeboat crew honoured",
        "DON'T MISS",
        "More:",
        "Leggi anche",
        "Also on gazette.example: Lifeboat crew honoured",
    ],
)
def test_bare_promo_labels_are_dropped(line):
    assert bodyclean.clean(f"Opening line.\n{line}\nClosing line.", None) == "Opening line.\nClosing line."


@pytest.mark.parametrize("stamp", ["Monday, 23 November 2026 at 6:45", "6:45 AM GMT 11/23/2026 by Ines Marlow"])
def test_a_leading_date_and_time_stamp_is_dropped(stamp):
    assert bodyclean.clean(f"{stamp}\nThe council met at 6:45 on 23 November 2026.", None) == (
        "The council met at 6:45 on 23 November 2026."
    )


THREADS = 4


def test_threads_extracting_at_once_load_the_language_model_once(monkeypatch):
    loads, arrived = [], []

    class CountedLock:
        """The module's lock, noting each thread that comes to it."""

        def __init__(self, lock):
            self._lock = lock

        def __enter__(self):
            arrived.append(threading.get_ident())
            return self._lock.__enter__()

        def __exit__(self, *exc_info):
            return self._lock.__exit__(*exc_info)

    def slow_load(*args, **kwargs):
        loads.append(threading.get_ident())
        # The load lasts until every other thread has come for the model too.
        wait_for(lambda: len(arrived) == THREADS, timeout=30, what="every thread asking for the model")
        return object()

    monkeypatch.setattr(extract.page, "_language_lock", CountedLock(extract.page._language_lock))
    monkeypatch.setattr(extract.page.LanguageIdentifier, "from_modelpath", slow_load)
    extract.page._loaded_language_identifier.cache_clear()
    try:
        threads = [threading.Thread(target=extract.page._language_identifier) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        extract.page._loaded_language_identifier.cache_clear()
    assert len(loads) == 1

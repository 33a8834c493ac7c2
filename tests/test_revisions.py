"""Articles re-checked after publication: every real edit is a revision, nothing else is."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import pytest

from flows.text import worddiff
from tests.support.cli import newsdesk
from tests.support.ingest import rows, run_ingest, scalar, write_sources
from tests.support.loopback import Loopback, Reply

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

SOON = [0.0001, 0.0002, 0.0003]  # hours: every later run finds the next re-check due
RETITLED_TRAM = "Tram depot closure delayed until the spring"

STORIES = {
    "tram": (
        "Tram depot to close for a month of track repairs",
        [
            "The Eastgate tram depot will close for four weeks from Monday while engineers replace "
            "worn points and a section of track that has been patched every winter since 2019.",
            "Route 4 will be run by replacement buses between the depot and the railway station, "
            "with a journey time about ten minutes longer at busy times of day.",
            "The transport authority said the repairs would cost 3.1 million crowns and should end "
            "the speed limits that have slowed trams on the eastern loop for two years.",
        ],
    ),
    "budget": (
        "Council agrees a budget with more money for libraries",
        [
            "Councillors approved next year's budget on Thursday after a debate that ran past "
            "midnight, adding money for longer library opening hours in four districts.",
            "The budget freezes parking charges and sets aside 12 million crowns for repairs to "
            "school roofs, which inspectors flagged as urgent in the spring.",
            "Opposition members said the plan relied on optimistic forecasts of business rates and "
            "would leave the city short if the economy slowed next year.",
        ],
    ),
    "bridge": (
        "Footbridge over the river reopens after inspection",
        [
            "The Millrace footbridge reopened on Wednesday morning after inspectors found that a "
            "crack reported by a jogger last week was in the paint and not in the steel beneath.",
            "Around 4,200 people cross the bridge on a normal weekday, most of them commuters walking "
            "from the western estates to the business park on the far bank.",
            "The city said it would repaint the whole structure in the spring and add lighting to the "
            "northern approach, where residents have complained about the dark after six.",
        ],
    ),
    "choir": (
        "Youth choir wins the regional festival for a third year",
        [
            "The Northfield youth choir won the regional choral festival for the third year running on "
            "Saturday, singing a programme of folk songs arranged by their conductor.",
            "Thirty-two singers aged between eleven and eighteen took part, and several travelled from "
            "villages an hour away for rehearsals twice a week through the summer holidays.",
            "The choir will represent the region at the national finals in March and is raising money "
            "for the coach fare with a concert at the town hall before Christmas.",
        ],
    ),
    "market": (
        "Farmers market moves to the old station yard",
        [
            "The weekly farmers market is moving from the high street car park to the old station yard, "
            "where traders will have covered stalls and space for twice as many vans.",
            "Market manager Irene Kowalczyk said the move would let the market open on Sunday mornings "
            "as well as Saturdays, which shoppers asked for in a survey last year.",
            "The first market at the new site is on the first Saturday of next month, and a shuttle bus "
            "will run from the high street every fifteen minutes while it is open.",
        ],
    ),
}


STREETS = ["Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir", "Gorse", "Hazel"]
for number, street in enumerate(STREETS, start=1):
    STORIES[street.lower()] = (
        f"{street} Street closed for {number + 2} days of water main work",
        [
            f"{street} Street will be closed to traffic for {number + 2} days from Monday while the water "
            f"company replaces {number * 40} metres of cast-iron main laid in the {1900 + number * 7}s.",
            f"Buses on route {number + 10} will be diverted along the ring road, and residents of {street} "
            f"Street can reach their homes from the northern end, the company said.",
            f"It is the {number}th street in the district to have its main replaced this year under a "
            "programme meant to cut the number of bursts in the coldest weeks of winter.",
        ],
    )


@dataclass
class EditableSite:
    """A publisher whose pages can be edited between runs; pages answer conditional GETs."""

    site: Loopback
    pages: dict[str, tuple[str, list[str], str]] = field(default_factory=dict)  # slug -> (title, paragraphs, ad)
    gone: set[str] = field(default_factory=set)

    def serve(self, slugs: list[str]) -> None:
        for slug in slugs:
            title, paragraphs = STORIES[slug]
            self.pages[slug] = (title, list(paragraphs), "Advert: winter tyres fitted while you wait")
            self.site.routes[f"/news/{slug}"] = lambda headers, slug=slug: self._page(slug, headers)
        self.site.routes["/feed.xml"] = lambda headers: Reply(
            200, self._feed(), {"Content-Type": "application/rss+xml"}
        )

    def retitle(self, slug: str, title: str) -> None:
        _, paragraphs, ad = self.pages[slug]
        self.pages[slug] = (title, paragraphs, ad)

    def _page(self, slug: str, headers: dict[str, str]) -> Reply:
        if slug in self.gone:
            return Reply(410, b"<html><body>This story is no longer available.</body></html>")
        title, paragraphs, ad = self.pages[slug]
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        html = (
            f"<!DOCTYPE html><html lang='en'><head><title>{title} | Riverside Post</title></head><body>"
            f"<header><a href='/'>Riverside Post</a></header><article><h1>{title}</h1>{body}</article>"
            f"<aside class='advert'><p>{ad}</p></aside><footer>© Riverside Post</footer></body></html>"
        ).encode()
        etag = '"' + hashlib.sha256(html).hexdigest()[:16] + '"'
        if {k.lower(): v for k, v in headers.items()}.get("if-none-match") == etag:
            return Reply(304, b"", {"ETag": etag})
        return Reply(200, html, {"Content-Type": "text/html; charset=utf-8", "ETag": etag})

    def _feed(self) -> bytes:
        items = "".join(
            f"<item><title>{title}</title><link>{self.site.url('/news/' + slug)}</link>"
            f"<pubDate>Mon, 30 Nov 2026 0{n}:00:00 GMT</pubDate></item>"
            for n, (slug, (title, _, _)) in enumerate(self.pages.items())
        )
        return f"<rss version='2.0'><channel><title>Riverside Post</title>{items}</channel></rss>".encode()

    def requests_for(self, slug: str, since: int) -> list[int]:
        return [seen for seen, (path, _) in enumerate(self.site.arrived) if seen >= since and path == f"/news/{slug}"]


def riverside(tmp_path, site: Loopback, **settings):
    source = {"name": "riverside", "url": site.url("/feed.xml"), "recheck_after_hours": SOON}
    return write_sources(tmp_path, [source], **settings)


def recheck_outcomes(db) -> dict[str, str]:
    """Slug -> the last re-check's outcome."""
    found = rows(db, "SELECT u.url, r.last_outcome FROM rechecks r JOIN article_urls u USING (article_id)")
    return {url.rsplit("/", 1)[-1]: outcome for url, outcome in found}


def article_id(db, slug: str) -> str:
    return scalar(db, "SELECT article_id FROM article_urls WHERE url LIKE ?", f"%/news/{slug}")


def test_each_real_edit_is_one_revision_and_an_ad_rotation_or_a_304_is_none(tmp_path):
    with Loopback() as server:
        site = EditableSite(server)
        site.serve(["tram", "budget", "bridge", "choir", "market"])
        path, db = riverside(tmp_path, server), tmp_path / "news"
        run_ingest(path)
        site.retitle("tram", RETITLED_TRAM)
        title, paragraphs, ad = site.pages["budget"]
        site.pages["budget"] = (title, [*paragraphs, "Correction: the library money is for three districts."], ad)
        title, paragraphs, ad = site.pages["bridge"]
        site.pages["bridge"] = (title, [paragraphs[0], paragraphs[1].replace("4,200", "2,400"), paragraphs[2]], ad)
        title, paragraphs, _ = site.pages["choir"]
        site.pages["choir"] = (title, paragraphs, "Advert: mortgage rates from 3.9 per cent")
        before = len(server.arrived)
        run_ingest(path)
    changes = rows(
        db,
        "SELECT u.url, c.title_before, c.title_after, c.words_added, c.words_removed FROM v_article_changes c "
        "JOIN article_urls u USING (article_id) ORDER BY u.url",
    )
    edited = {url.rsplit("/", 1)[-1]: change for url, *change in changes}
    assert set(edited) == {"tram", "budget", "bridge"}
    assert edited["tram"] == [STORIES["tram"][0], RETITLED_TRAM, 0, 0]
    assert edited["budget"][2:] == [worddiff.counts("", "Correction: the library money is for three districts.")[0], 0]
    assert edited["bridge"][2:] == [1, 1]
    assert scalar(db, "SELECT count(*) FROM articles") == 5
    assert scalar(db, "SELECT title FROM articles WHERE article_id = ?", article_id(db, "tram")).startswith(
        "Tram depot closure"
    )
    assert recheck_outcomes(db) == {
        "tram": "changed",
        "budget": "changed",
        "bridge": "changed",
        "choir": "unchanged",
        "market": "not_modified",
    }
    assert site.requests_for("market", before), "the unchanged page was asked for again, conditionally"


def test_a_page_that_is_gone_is_marked_withdrawn_and_keeps_its_revisions(tmp_path):
    with Loopback() as server:
        site = EditableSite(server)
        site.serve(["tram", "market"])
        path, db = riverside(tmp_path, server), tmp_path / "news"
        run_ingest(path)
        site.retitle("tram", RETITLED_TRAM)
        run_ingest(path)
        site.gone.add("tram")
        run_ingest(path)
    tram = article_id(db, "tram")
    assert rows(db, "SELECT revision FROM article_revisions WHERE article_id = ? ORDER BY revision", tram) == [
        (1,),
        (2,),
    ]
    assert rows(db, "SELECT change FROM v_article_changes WHERE article_id = ? ORDER BY change", tram) == [
        ("edited",),
        ("withdrawn",),
    ]
    assert scalar(db, "SELECT count(*) FROM articles") == 2
    listed = newsdesk("changes", "--db", str(db), "--format", "json")
    assert listed.returncode == 0, listed.stderr
    found = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(c["change"], c["title_before"], c["title_after"]) for c in found] == [
        ("edited", STORIES["tram"][0], RETITLED_TRAM),
        ("withdrawn", RETITLED_TRAM, None),
    ]
    table = newsdesk("changes", "--db", str(db))
    assert f"{STORIES['tram'][0]} → Tram depot closure delayed until the spring" in table.stdout.replace("\n", " ")
    diff = newsdesk("changes", tram, "--diff", "--db", str(db))
    assert diff.returncode == 0 and "revision 1" in diff.stdout and "→ 2" in diff.stdout
    assert "{+closure delayed until the spring+}" in diff.stdout and "body unchanged" in diff.stdout
    unknown = newsdesk("changes", "0000000000000000", "--diff", "--db", str(db))
    assert unknown.returncode == 1 and "no article 0000000000000000" in unknown.stderr
    refused = newsdesk("changes", "--diff", "--db", str(db))
    assert refused.returncode == 2 and "needs an ARTICLE_ID" in refused.stderr


def test_rechecks_take_at_most_their_share_while_new_pages_wait_and_the_rest_later(tmp_path):
    old = ["tram", "budget", "bridge"]
    with Loopback() as server:
        site = EditableSite(server)
        site.serve(old)
        path = riverside(tmp_path, server, recheck_share=0.2)
        run_ingest(path)
        site.serve([street.lower() for street in STREETS])
        busy = len(server.arrived)
        run_ingest(path)
        quiet = len(server.arrived)
        run_ingest(path)
        third = len(server.arrived)
    busy_run = [p for p, _ in server.arrived[busy:quiet]]
    rechecked = [p for p in busy_run if p.removeprefix("/news/") in old]
    assert 0 < len(rechecked) and len(rechecked) / len(busy_run) <= 0.2, busy_run
    quiet_run = [p for p, _ in server.arrived[quiet:third]]
    assert {p.removeprefix("/news/") for p in quiet_run if p.startswith("/news/")} >= set(old) - {
        p.removeprefix("/news/") for p in rechecked
    }


def test_a_feed_that_retitles_an_entry_brings_its_recheck_forward_once(tmp_path):
    with Loopback() as server:
        site = EditableSite(server)
        site.serve(["tram", "market"])
        source = {"name": "riverside", "url": server.url("/feed.xml"), "recheck_after_hours": [48]}
        path, db = write_sources(tmp_path, [source]), tmp_path / "news"
        run_ingest(path)
        site.retitle("tram", RETITLED_TRAM)
        second = len(server.arrived)
        run_ingest(path)
        third = len(server.arrived)
        run_ingest(path)
    assert site.requests_for("tram", second) and not site.requests_for("market", second)
    assert not site.requests_for("tram", third), "the signal is spent once acted on"
    assert scalar(db, "SELECT title FROM articles WHERE article_id = ?", article_id(db, "tram")).startswith(
        "Tram depot closure"
    )


def test_a_page_read_differently_only_because_the_extractor_changed_is_no_revision(tmp_path):
    import warehouse

    with Loopback() as server:
        site = EditableSite(server)
        site.serve(["tram", "market"])
        path, db = riverside(tmp_path, server), tmp_path / "news"
        run_ingest(path)
        with warehouse.writing(db) as con:  # as an older extractor stored it
            con.execute("UPDATE articles SET content_hash = 'older', title = 'Older reading'")
            con.execute("UPDATE pages SET extractor_version = 'newsdesk-0', etag = NULL")
        site.retitle("market", "Farmers market moves to the station yard in March")
        run_ingest(path)
    assert recheck_outcomes(db) == {
        "tram": "unchanged",
        "market": "changed",
    }
    assert rows(db, "SELECT DISTINCT article_id FROM article_revisions") == [(article_id(db, "market"),)]

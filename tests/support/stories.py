"""One story in several copies (rewritten, trimmed, lead only), other stories, shared boilerplate;
and articles built from them, as warehouse rows or as the pipeline's records."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import warehouse
from flows.identity import dedup
from flows.identity.dedup import content_hash
from flows.identity.neardup import StoryRules
from flows.records import Article
from warehouse import store

RULES = StoryRules()
START = datetime(2026, 11, 20, 8, tzinfo=timezone.utc)

STORY = [
    "LOWMARSH, March 3 — The county's only ferry across the Sallow estuary will stop running for "
    "six weeks from Monday while engineers replace the chain that hauls it between the two slipways, "
    "the harbour board said on Thursday, leaving some eight hundred daily passengers to take a forty "
    "minute detour by road.",
    "The chain, laid in 1998, has stretched so far that the ferry drifts sideways on every crossing. "
    "Inspectors found two links worn to half their thickness during the winter survey, and the board's "
    "insurer asked for the work to be brought forward by a year.",
    "A shuttle bus will run from the north slipway to the bridge at Tolland Cross every twenty minutes "
    "between six in the morning and eight at night. Season ticket holders will ride it free, and cyclists "
    "may bring their bikes on board outside the morning rush.",
    "Shopkeepers on the south bank were unhappy with the timing. The owner of a bakery beside the slipway "
    "said that spring was when walkers returned to the estuary path and that six quiet weeks could cost "
    "her a fifth of her year's takings.",
    "The harbour board said the new chain had been forged in Hallam and was waiting on the quay, and "
    "that the contractor had agreed to pay a penalty for every day the ferry stays out of service beyond "
    "the sixth week. A public meeting about the closure is planned for next Wednesday in the ferry hall.",
]
BODY = "\n\n".join(STORY)

BOILERPLATE = (
    "Keep up with the Lowmarsh Gazette: our morning newsletter brings the day's local stories to your "
    "inbox before seven, free of charge, and you can leave it with one click at any time.\n\n"
    "Spotted a mistake in this article? Our corrections desk reads every message and publishes changes "
    "at the foot of the page, with the date and the reason for the change."
)
OTHER_STORY = (
    "The primary school in Nettlebed has won a grant of forty thousand pounds to turn its car park into "
    "a vegetable garden and an outdoor classroom, the head teacher told parents in a letter this week.\n\n"
    "Pupils voted on the plan in the autumn. Beds for potatoes, beans and squash will go in first, with a "
    "greenhouse paid for by the parents' association to follow in the summer term."
)
THIRD_STORY = (
    "Volunteers counted more than three hundred wading birds on the Sallow mudflats at the weekend, the "
    "highest total for a March survey since the count began, the county wildlife trust said.\n\n"
    "Curlew and redshank made up most of the tally. Trust staff credited a mild winter and the new rule "
    "that keeps dogs on leads along the estuary path between October and April."
)


def article(number: int, source: str, body: str, title: str = "") -> dict:
    """A warehouse articles row: art<number>, from <source>, fetched <number> hours after START."""
    article_id = f"art{number:03d}"
    return {
        "article_id": article_id,
        "canonical_url": f"https://{source}.example/{number}",
        "url": f"https://{source}.example/{number}",
        "source": source,
        "title": title or f"story {number}",
        "fetched_at": START + timedelta(hours=number),
        "body": body,
        "word_count": len(body.split()),
        "content_hash": content_hash(body),
        "extractor_version": "test",
        "run_id": f"run{number}",
    }


def load(path, *articles: dict) -> None:
    """One run's load through its own connection, as a fresh process would."""
    with warehouse.writing(path) as con:
        store.load(con, {"articles": list(articles)}, matcher=RULES)


def article_record(url: str, body: str) -> Article:
    """An extracted article as the pipeline passes it on (records.Article)."""
    return Article(
        url=url,
        canonical_url=url,
        title="t",
        authors=(),
        published_at=None,
        published_source=None,
        updated_at=None,
        language="en",
        sitename=None,
        description=None,
        tags=(),
        image_url=None,
        body=body,
        word_count=len(body.split()),
        content_hash=dedup.content_hash(body),
        band_keys=(),
        extractor_version="test",
    )

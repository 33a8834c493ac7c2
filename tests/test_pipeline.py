from collections import Counter
from datetime import datetime, timedelta, timezone

from flows.plan import feedstate, pagejobs, retries, schedule, tally
from flows.records import (
    EntryRef,
    FeedEntry,
    FeedPoll,
    Page,
    PageJob,
    PageResult,
    ParsedFeed,
    SourceReport,
    Source,
    Stage,
)
from warehouse.records import FeedState, RememberedEntry, RetryJob

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def polled(name: str, *links: str) -> feedstate.SourcePoll:
    feed = ParsedFeed("rss20", name, tuple(FeedEntry(link=link) for link in links))
    return feedstate.SourcePoll(
        Source(name, f"https://{name}.example/feed"), FeedPoll(name, f"https://{name}.example/feed", 200, b"x"), feed
    )


def test_unseen_entries_become_one_job_per_canonical_link():
    polled_now = [
        polled("a", "https://n.example/1", "https://n.example/2?utm_source=rss"),
        polled("b", "https://n.example/2", "https://n.example/3"),
    ]
    known = {"a|link|https://n.example/1"}
    plan = pagejobs.plan_pages(pagejobs.keyed_entries(polled_now), known, {"https://n.example/3": "id3"}, [])
    assert known == {"a|link|https://n.example/1"}, "the caller's set is not changed"
    assert [job.url for job in plan.jobs] == ["https://n.example/2?utm_source=rss"]
    assert plan.jobs[0].entries == (
        EntryRef("a", "a|link|https://n.example/2"),
        EntryRef("b", "b|link|https://n.example/2"),
    )
    assert plan.known_links == (("b|link|https://n.example/3", "id3"),)
    assert len(plan.new_entries) == 3


def test_due_retries_join_the_jobs_with_their_feed_entry():
    retry = RetryJob(
        "https://n.example/9", "a", "a|guid|9", 2, RememberedEntry(title="Nine", published_at=NOW, authors=("X",))
    )
    plan = pagejobs.plan_pages([], set(), {}, [retry])
    (job,) = plan.jobs
    assert job.attempts == 2 and job.entry.title == "Nine" and job.entry.authors == ("X",)


def failed(status, error, attempts=0, stage=Stage.FETCH, transient=False, retry_after=None):
    job = PageJob("https://n.example/p", (EntryRef("a", "k"),), attempts=attempts)
    page = Page(job.url, None, status, fetched_at=NOW, transient=transient, retry_after=retry_after)
    return PageResult(job, page, failed_stage=stage, error=error)


def test_transient_fetch_failure_is_queued_with_backoff():
    (queued,) = retries.queued([failed(503, "HTTP 503", attempts=1, transient=True)], NOW)
    assert queued.state == "retry" and queued.attempts == 2
    assert queued.next_attempt_at == NOW + schedule.FIRST_RETRY_DELAY * 2


def test_a_long_retry_after_postpones_the_retry():
    (queued,) = retries.queued([failed(429, "HTTP 429", transient=True, retry_after=7200)], NOW)
    assert queued.next_attempt_at == NOW + timedelta(hours=2)


def test_permanent_or_exhausted_failures_become_dead_letters_with_their_error():
    queued = retries.queued(
        [
            failed(404, "HTTP 404"),
            failed(None, "timeout", attempts=schedule.MAX_FETCH_ATTEMPTS - 1, transient=True),
            failed(200, "body too short", stage=Stage.EXTRACT),
        ],
        NOW,
    )
    assert [(q.state, q.last_error) for q in queued] == [
        ("dead", "HTTP 404"),
        ("dead", "timeout"),
        ("dead", "body too short"),
    ]


def test_failed_poll_keeps_validators_and_backs_off():
    sp = feedstate.SourcePoll(
        Source("a", "https://a.example/f"),
        FeedPoll("a", "https://a.example/f", 500, error="HTTP 500"),
        error="HTTP 500",
    )
    previous = FeedState("a", etag='"e"', last_modified="x", consecutive_failures=2, last_success_at=NOW)
    state = feedstate.next_state(sp, previous, NOW)
    assert state.etag == '"e"' and state.consecutive_failures == 3
    assert state.next_poll_at == NOW + timedelta(minutes=20)
    assert state.last_error == "HTTP 500"


def test_backoff_is_capped_at_a_day_and_never_gives_up():
    assert schedule.next_poll(NOW, 0) == NOW
    assert schedule.next_poll(NOW, 50) == NOW + timedelta(days=1)


def test_outcome_fails_only_when_every_source_failed():
    ok, bad = SourceReport("a"), SourceReport("b", error="HTTP 500")
    assert tally.outcome([ok, ok]) == "ok"
    assert tally.outcome([ok, bad]) == "partial"
    assert tally.outcome([bad, bad]) == "failed"
    assert tally.outcome([]) == "ok"


def test_an_article_from_a_queued_retry_is_not_counted_as_a_negative_duplicate():
    from flows.identity import dedup
    from tests.support.stories import article_record as article

    job = PageJob("https://n.example/9", (EntryRef("a", "a|guid|9"),), attempts=1)
    result = PageResult(job, Page(job.url, job.url, 200, fetched_at=NOW), article(job.url, "a retried story"))
    resolution = dedup.resolve([result], {}, {})
    (report,) = tally.source_reports(
        [polled("a")], pagejobs.Plan((), (job,), ()), tally.batch_tally([result], resolution), NOW
    )
    assert (report.articles_new, report.duplicates) == (1, 0)


def test_jobs_are_interleaved_across_hosts_so_no_batch_is_one_host():
    jobs = [
        PageJob(f"https://{host}.example/{n}", (EntryRef(host, f"{host}{n}"),))
        for host, count in (("a", 3), ("b", 1), ("c", 2))
        for n in range(count)
    ]
    order = [job.url for job in pagejobs.interleave_by_host(jobs)]
    assert order == [
        "https://a.example/0",
        "https://b.example/0",
        "https://c.example/0",
        "https://a.example/1",
        "https://c.example/1",
        "https://a.example/2",
    ]


def test_each_new_entry_is_written_once_with_its_page_or_at_the_close():
    polled_now = [polled("a", "https://n.example/1", "https://n.example/2"), polled("b", "https://n.example/3")]
    plan = pagejobs.plan_pages(pagejobs.keyed_entries(polled_now), set(), {"https://n.example/3": "id3"}, [])
    first_page = [PageResult(plan.jobs[0], Page(plan.jobs[0].url, None, 200, fetched_at=NOW))]
    assert [k.key for k in pagejobs.entries_of(first_page, plan)] == ["a|link|https://n.example/1"]
    assert [k.key for k in pagejobs.entries_without_page(plan)] == ["b|link|https://n.example/3"]
    assert tally.known_links_tally(plan).linked == {"b": 1}


def test_tallies_of_batches_add_up_per_source():
    one = tally.Tally(
        created=Counter(a=2), linked=Counter(a=3), failed=Counter({("a", Stage.FETCH): 1}), pages_fetched=4
    )
    two = tally.Tally(created=Counter(b=1), linked=Counter(a=1, b=1), pages_fetched=2)
    total = one + two
    assert (total.created, total.linked, total.pages_fetched) == (Counter(a=2, b=1), Counter(a=4, b=1), 6)
    (report,) = tally.source_reports([polled("a")], pagejobs.Plan((), (), ()), total, NOW)
    assert (report.articles_new, report.duplicates, report.fetch_failures) == (2, 2, 1)

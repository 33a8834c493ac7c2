"""Which pages a run fetches: unseen entries become page jobs, one per canonical link,
and queued retries join them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flows.identity import dedup, urls
from flows.plan.feedstate import SourcePoll
from flows.records import EntryRef, FeedEntry, PageJob, PageResult
from warehouse.records import RememberedEntry, RetryJob


@dataclass(frozen=True)
class KeyedEntry:
    """A polled entry with its identity, computed once per run."""

    source: str
    key: str
    entry: FeedEntry
    canonical_link: str


@dataclass(frozen=True)
class Plan:
    """New entries, the pages they need, and entries that point at articles we already have."""

    new_entries: tuple[KeyedEntry, ...]
    jobs: tuple[PageJob, ...]
    known_links: tuple[tuple[str, str], ...]  # (entry_key, article_id)
    retitled: tuple[KeyedEntry, ...] = ()  # known entries whose title or updated date changed
    signalled: frozenset[str] = frozenset()  # their articles: re-checked this run


def keyed_entries(polls: Iterable[SourcePoll]) -> list[KeyedEntry]:
    return [
        KeyedEntry(sp.source.name, key, entry, urls.canonical(entry.link))
        for sp in polls
        for key, entry in zip(dedup.entry_keys(sp.source.name, sp.entries), sp.entries)
    ]


def plan_pages(
    keyed: Iterable[KeyedEntry], known_keys: set[str], known_urls: Mapping[str, str], retries: Iterable[RetryJob]
) -> Plan:
    """Unseen entries become page jobs (one per canonical link); queued retries join them."""
    new_entries: list[KeyedEntry] = []
    jobs: dict[str, PageJob] = {}
    known_links: list[tuple[str, str]] = []
    seen = set(known_keys)
    for keyed_entry in keyed:
        if keyed_entry.key in seen:
            continue
        seen.add(keyed_entry.key)
        new_entries.append(keyed_entry)
        link, ref = keyed_entry.canonical_link, EntryRef(keyed_entry.source, keyed_entry.key)
        if link in known_urls:
            known_links.append((keyed_entry.key, known_urls[link]))
        elif link in jobs:
            jobs[link] = PageJob(jobs[link].url, jobs[link].entries + (ref,), jobs[link].entry)
        else:
            jobs[link] = PageJob(keyed_entry.entry.link, (ref,), keyed_entry.entry)
    for retry in retries:
        link = urls.canonical(retry.url)
        if link not in jobs:
            jobs[link] = PageJob(
                retry.url,
                (EntryRef(retry.source, retry.entry_key),),
                remembered_entry(retry.url, retry.entry),
                attempts=retry.attempts,
            )
    return Plan(tuple(new_entries), tuple(jobs.values()), tuple(known_links))


def remembered_entry(url: str, remembered: RememberedEntry) -> FeedEntry:
    """The feed entry behind a page (a queued retry, a stored page), as the warehouse remembers it."""
    return FeedEntry(
        link=url,
        guid=remembered.guid,
        title=remembered.title,
        published=remembered.published_at,
        updated=remembered.updated_at,
        authors=remembered.authors,
        tags=remembered.tags,
        summary=remembered.summary,
        language=remembered.language,
        image_url=remembered.image_url,
    )


def entries_of(results: Iterable[PageResult], plan: Plan) -> list[KeyedEntry]:
    """The run's new entries that led to these pages."""
    keys = {ref.entry_key for result in results for ref in result.job.entries}
    return [keyed for keyed in plan.new_entries if keyed.key in keys]


def entries_without_page(plan: Plan) -> list[KeyedEntry]:
    """New entries whose link is an article we already have: no page job carries them."""
    keys = {ref.entry_key for job in plan.jobs for ref in job.entries}
    return [keyed for keyed in plan.new_entries if keyed.key not in keys]


def interleave_by_host(jobs: Sequence[PageJob]) -> list[PageJob]:
    """Jobs in round-robin order over their hosts, so every batch spreads over many hosts
    and no host's politeness delay holds up a whole batch."""
    by_host: dict[str, list[PageJob]] = {}
    for job in jobs:
        by_host.setdefault(urls.host_of(job.url), []).append(job)
    queues = list(by_host.values())
    return [queue[i] for i in range(max(map(len, queues), default=0)) for queue in queues if i < len(queue)]

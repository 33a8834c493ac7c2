"""Extraction in worker processes: results as in-process, failures as ExtractionFailed, and a
worker that dies is replaced."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from flows import extract, extractpool
from tests.support.waiting import until

PAGE = (
    "<html lang='en'><head><title>Pier reopens</title></head><body><article><h1>Pier reopens</h1>"
    + "".join(
        f"<p>The pier at Saltcote reopened on day {n} after repairs to its deck and railings, "
        "and the kiosk at its end sold out of tea by noon.</p>"
        for n in range(8)
    )
    + "</article></body></html>"
).encode()


def test_a_page_is_extracted_in_a_worker_as_it_would_be_here():
    found = asyncio.run(extractpool.article(PAGE, "https://h.example/pier", {}, None, 200))
    assert found == extract.article(PAGE, "https://h.example/pier", {}, None, 200)


def test_a_page_without_a_body_fails_as_extraction_failed():
    with pytest.raises(extract.ExtractionFailed, match="body too short"):
        asyncio.run(
            extractpool.article(b"<html><body><nav>Home</nav></body></html>", "https://h.example/menu", {}, None, 200)
        )


def test_a_killed_worker_is_replaced_and_the_page_still_extracted():
    asyncio.run(extractpool.article(PAGE, "https://h.example/pier", {}, None, 200))
    for pid in list(extractpool._shared()._processes):
        os.kill(pid, signal.SIGKILL)
    found = asyncio.run(extractpool.article(PAGE, "https://h.example/pier", {}, None, 200))
    assert found.title == "Pier reopens"


def _models_loaded() -> int:
    return extract.page._loaded_language_identifier.cache_info().currsize


def test_every_worker_has_loaded_the_language_model_before_its_first_page():
    extractpool.warm()
    pool = extractpool._shared()
    loaded = [pool.submit(_models_loaded) for _ in range(4 * extractpool.workers())]
    assert [future.result(timeout=60) for future in loaded] == [1] * len(loaded)


def _page(number: int) -> bytes:
    return PAGE.replace(b"Pier reopens", f"Pier {number} reopens".encode())


def test_pages_sent_together_come_back_each_to_its_own_caller():
    async def many():
        menu = b"<html><body><nav>Home</nav></body></html>"
        return await asyncio.wait_for(
            asyncio.gather(
                *(extractpool.article(_page(n), f"https://h.example/{n}", {}, None, 200) for n in range(40)),
                extractpool.article(menu, "https://h.example/menu", {}, None, 200),
                return_exceptions=True,
            ),
            60,
        )

    *pages, menu = asyncio.run(many())
    assert [page.title for page in pages] == [f"Pier {n} reopens" for n in range(40)]
    assert isinstance(menu, extract.ExtractionFailed)


def test_pages_waiting_for_busy_workers_go_to_them_together(monkeypatch):
    extractpool.warm()
    pool = extractpool._shared()
    submitted = []
    monkeypatch.setattr(
        pool, "submit", lambda *args, **kwargs: submitted.append(args) or type(pool).submit(pool, *args, **kwargs)
    )

    async def many():
        return await asyncio.wait_for(
            asyncio.gather(
                *(extractpool.article(_page(n), f"https://h.example/{n}", {}, None, 200) for n in range(40))
            ),
            60,
        )

    assert len(asyncio.run(many())) == 40
    in_flight = extractpool.CHUNKS_IN_FLIGHT_PER_WORKER * extractpool.workers()
    assert len(submitted) <= 40 / extractpool.MAX_CHUNK + in_flight


def test_a_worker_killed_with_pages_in_flight_loses_none_of_them():
    async def many():
        extractpool.warm()
        pages = asyncio.gather(
            *(extractpool.article(_page(n), f"https://h.example/{n}", {}, None, 200) for n in range(40))
        )
        await until(lambda: extractpool._sender_here().in_flight, what="a chunk in flight")
        os.kill(next(iter(extractpool._shared()._processes)), signal.SIGKILL)
        return await asyncio.wait_for(pages, 60)  # a page lost would leave its caller waiting

    assert [page.title for page in asyncio.run(many())] == [f"Pier {n} reopens" for n in range(40)]

"""Extraction in worker processes: results as in-process, failures as ExtractionFailed, and a
worker that dies is replaced."""
from __future__ import annotations

import asyncio
import os
import signal

import pytest

from flows import extract, extractpool

PAGE = ("<html lang='en'><head><title>Pier reopens</title></head><body><article><h1>Pier reopens</h1>"
        + "".join(f"<p>The pier at Saltcote reopened on day {n} after repairs to its deck and railings, "
                  "and the kiosk at its end sold out of tea by noon.</p>" for n in range(8))
        + "</article></body></html>").encode()


def test_a_page_is_extracted_in_a_worker_as_it_would_be_here():
    found = asyncio.run(extractpool.article(PAGE, "https://h.example/pier", {}, None, 200))
    assert found == extract.article(PAGE, "https://h.example/pier", {}, None, 200)


def test_a_page_without_a_body_fails_as_extraction_failed():
    with pytest.raises(extract.ExtractionFailed, match="body too short"):
        asyncio.run(extractpool.article(b"<html><body><nav>Home</nav></body></html>",
                                        "https://h.example/menu", {}, None, 200))


def test_a_killed_worker_is_replaced_and_the_page_still_extracted():
    asyncio.run(extractpool.article(PAGE, "https://h.example/pier", {}, None, 200))
    for pid in list(extractpool._shared()._processes):
        os.kill(pid, signal.SIGKILL)
    found = asyncio.run(extractpool.article(PAGE, "https://h.example/pier", {}, None, 200))
    assert found.title == "Pier reopens"


def _models_loaded() -> int:
    return extract._loaded_language_identifier.cache_info().currsize


def test_every_worker_has_loaded_the_language_model_before_its_first_page():
    extractpool.warm()
    pool = extractpool._shared()
    loaded = [pool.submit(_models_loaded) for _ in range(4 * extractpool.workers())]
    assert [future.result(timeout=60) for future in loaded] == [1] * len(loaded)

"""Fixtures only: Prefect kept local and temporary, the demo newsroom, a Chromium or a skip.

What tests share besides fixtures lives in tests/support; nothing imports this module.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

from tests.support.cli import ROOT

if "NEWSDESK_STATE_DIR" not in os.environ:
    os.environ["NEWSDESK_STATE_DIR"] = tempfile.mkdtemp(prefix="newsdesk-test-state-")
    atexit.register(shutil.rmtree, os.environ["NEWSDESK_STATE_DIR"], ignore_errors=True)
from flows.localstate import configure_prefect  # noqa: E402

configure_prefect()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that starts the session's Prefect server must say so (the `prefect` mark), so that
    `make test-fast` (-m "not prefect ...") never pays ~20 s for a server it did not ask for."""
    unmarked = [
        item.nodeid
        for item in items
        if "prefect_harness" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("prefect")
    ]
    if unmarked:
        raise pytest.UsageError(
            "these tests use prefect_harness but are not marked prefect:\n  " + "\n  ".join(unmarked)
        )


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for the whole session (~20 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def prefect_env(prefect_harness) -> dict[str, str]:
    """Environment for a `newsdesk` subprocess that talks to the session's Prefect server."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PYTHONPATH": str(ROOT)}
    env.pop("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL")  # as a user's shell would be: let the CLI choose
    return env


@pytest.fixture
def newsroom():
    from flows.demo.site import Newsroom

    with Newsroom() as room:
        yield room


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of a headless-capable Chromium; the test is skipped, saying why, when there is none.
    Tests never install one: `make chromium` does, and CI runs it."""
    from tests.support import browser

    try:
        return browser.find_chromium()
    except browser.NoBrowser as exc:
        pytest.skip(f"browser test needs Chromium: {exc}")

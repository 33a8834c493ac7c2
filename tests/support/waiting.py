"""Waiting for something to happen: poll a condition until a deadline, never sleep a fixed time.

A slow machine makes these waits longer, never wrong: the deadline only bounds a wait for
something that is not going to happen, and the message says what did not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    condition: Callable[[], T], timeout: float = 30.0, what: str = "the condition", interval: float = 0.01
) -> T:
    """Call `condition()` until it returns something true, and return that; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout:g}s"
        time.sleep(interval)
    return found


async def until(condition: Callable[[], object], seconds: float = 30.0, what: str = "the condition") -> None:
    """Poll `condition()` in the running event loop until it holds; fail after `seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, f"{what} did not happen within {seconds:g}s"
        await asyncio.sleep(0.01)

"""How newsdesk behaves towards one host: bounded concurrency, spacing, robots.txt.

No network here: http.py fetches robots.txt and asks these objects for turns.
"""
from __future__ import annotations

import asyncio
import ipaddress
import time
import urllib.robotparser
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

MAX_CRAWL_DELAY_SECONDS = 30.0


class HostDeferred(Exception):
    """The host asked us to stay away for longer than a run should wait."""

    def __init__(self, seconds: float):
        super().__init__(f"host asked us to wait {seconds:.0f}s (Retry-After)")
        self.seconds = seconds


class HostGate:
    """At most `concurrency` requests in flight to one host, starts at least `delay` apart."""

    def __init__(self, concurrency: int, delay: float):
        self.delay = delay
        self._slots = asyncio.Semaphore(concurrency)
        self._spacing = asyncio.Lock()
        self._next_start = 0.0
        self._held_until = 0.0

    @asynccontextmanager
    async def turn(self, max_wait: float) -> AsyncIterator[None]:
        """Wait for a slot and for the spacing; refuse (HostDeferred) rather than wait out a
        hold (Retry-After) longer than `max_wait`. The spacing itself is always waited for."""
        async with self._slots:
            async with self._spacing:
                held = self._held_until - time.monotonic()
                if held > max_wait:
                    raise HostDeferred(held)
                wait = max(self._next_start, self._held_until) - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._next_start = time.monotonic() + self.delay
            yield

    def hold(self, seconds: float) -> None:
        """The host asked us to come back later (Retry-After): no request starts before then."""
        self._held_until = max(self._held_until, time.monotonic() + seconds)

    def slow_down_to(self, delay: float) -> None:
        self.delay = max(self.delay, min(delay, MAX_CRAWL_DELAY_SECONDS))


class RobotsRules:
    """A host's robots.txt as it applies to our user agent."""

    def __init__(self, text: str | None, agent: str):
        self._agent = agent
        self._parser = urllib.robotparser.RobotFileParser()
        self._parser.parse((text or "").splitlines())

    def allows(self, url: str) -> bool:
        return self._parser.can_fetch(self._agent, url)

    @property
    def crawl_delay(self) -> float | None:
        delay = self._parser.crawl_delay(self._agent)
        return float(delay) if delay is not None else None


def robots_agent(user_agent: str) -> str:
    """The product token robots.txt rules are matched against: 'newsdesk' for 'newsdesk/0.1 (...)'."""
    return user_agent.split("/")[0].split()[0] if user_agent.strip() else "*"


def is_private(address: str) -> bool:
    """Private, loopback, link-local, reserved or otherwise not on the public internet."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def ip_literal(host: str) -> str | None:
    candidate = host.strip("[]")
    try:
        ipaddress.ip_address(candidate.split("%")[0])
    except ValueError:
        return None
    return candidate

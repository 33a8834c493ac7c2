"""How newsdesk behaves towards one host: bounded concurrency, spacing, robots.txt.

No network here: http.py fetches robots.txt and asks these objects for turns.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
import urllib.robotparser
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

MAX_CRAWL_DELAY_SECONDS = 30.0
THROTTLED_MIN_DELAY_SECONDS = 0.25  # the least spacing a host gets once it throttled us
HOST_HOLD_RESOURCES = 3  # distinct throttled resources before a whole host is held
DEFAULT_HOST_HOLD_SECONDS = 300.0  # a host-wide hold when no Retry-After said how long


class HostDeferred(Exception):
    """The host asked us to stay away for longer than a run should wait."""

    def __init__(self, seconds: float):
        super().__init__(f"host asked us to wait {seconds:.0f}s (Retry-After)")
        self.seconds = seconds


class HostGate:
    """At most `concurrency` requests in flight to one host, starts at least `delay` apart."""

    def __init__(self, concurrency: int, delay: float):
        self.delay = delay
        self.concurrency = concurrency
        self._in_flight = 0
        self._free = asyncio.Condition()
        self._spacing = asyncio.Lock()
        self._next_start = 0.0
        self._held_until = 0.0

    @asynccontextmanager
    async def turn(self, max_wait: float) -> AsyncIterator[None]:
        """Wait for a slot and for the spacing; refuse (HostDeferred) rather than wait out a
        hold (Retry-After) longer than `max_wait`. The spacing itself is always waited for."""
        async with self._free:
            await self._free.wait_for(lambda: self._in_flight < self.concurrency)
            self._in_flight += 1
        try:
            async with self._spacing:
                held = self._held_until - time.monotonic()
                if held > max_wait:
                    raise HostDeferred(held)
                wait = max(self._next_start, self._held_until) - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._next_start = time.monotonic() + self.delay
            yield
        finally:
            async with self._free:
                self._in_flight -= 1
                self._free.notify_all()

    def hold(self, seconds: float) -> None:
        """The whole host asked us to come back later: no request starts before then."""
        self._held_until = max(self._held_until, time.monotonic() + seconds)

    def slow_down_to(self, delay: float) -> None:
        self.delay = max(self.delay, min(delay, MAX_CRAWL_DELAY_SECONDS))

    def throttle(self) -> None:
        """The host answered 429/503: half as many requests in flight, twice the spacing."""
        self.concurrency = max(1, self.concurrency // 2)
        self.slow_down_to(max(self.delay * 2, THROTTLED_MIN_DELAY_SECONDS))


class HostThrottle:
    """What one host answered in a run, to tell a throttled resource from a throttled host.

    A 429 or 503 is about the resource it answered. Only when several distinct resources
    (HOST_HOLD_RESOURCES) were throttled, and they are at least half of the host's resources
    that answered at all, is the whole host held: a shared feed host with one rate-limited
    feed keeps serving the others."""

    def __init__(self) -> None:
        self._throttled: set[str] = set()
        self._answered: set[str] = set()
        self._longest_wait: float | None = None

    def first_throttle(self, url: str, throttled: bool) -> bool:
        """Whether this answer is the first 429/503 from this resource in the run."""
        return throttled and url not in self._throttled

    def answered(self, url: str, throttled: bool, retry_after: float | None) -> float | None:
        """Record an answer; returns how long to hold the whole host when it is time to."""
        self._answered.add(url)
        if not throttled:
            return None
        self._throttled.add(url)
        if retry_after is not None:
            self._longest_wait = max(self._longest_wait or 0.0, retry_after)
        if len(self._throttled) < HOST_HOLD_RESOURCES or 2 * len(self._throttled) < len(self._answered):
            return None
        return self._longest_wait or DEFAULT_HOST_HOLD_SECONDS

    @property
    def throttled(self) -> int:
        return len(self._throttled)


class RobotsRules:
    """A host's robots.txt as it applies to our user agent."""

    def __init__(self, text: str | None, agent: str):
        self._agent = agent
        self._parser = urllib.robotparser.RobotFileParser()
        self._parser.parse((text or "").splitlines())

    def allows(self, url: str) -> bool:
        return self._parser.can_fetch(self._agent, url)

    def disallowing(self, url: str, agents: Iterable[str]) -> tuple[str, ...]:
        """Those of `agents` that the rules keep off `url`."""
        return tuple(agent for agent in agents if not self._parser.can_fetch(agent, url))

    @property
    def crawl_delay(self) -> float | None:
        delay = self._parser.crawl_delay(self._agent)
        return float(delay) if delay is not None else None


# Crawlers that gather text for AI models, by the names robots.txt files address them by.
AI_CRAWLERS = (
    "GPTBot", "ChatGPT-User", "OAI-SearchBot", "ClaudeBot", "anthropic-ai", "Claude-Web", "CCBot",
    "Google-Extended", "Applebot-Extended", "PerplexityBot", "Bytespider", "meta-externalagent",
    "FacebookBot", "Amazonbot", "cohere-ai", "Diffbot", "Omgilibot", "YouBot", "Timpibot", "ImagesiftBot",
)  # fmt: skip


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

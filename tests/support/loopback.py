"""A programmable HTTP server on 127.0.0.1 for tests: each path answers with a function.

Built on :class:`flows.demo.server.LoopbackServer`, as the demo newsroom and the benchmark
newsroom are. Replies can be ordinary, streamed slowly, endless, or withheld (the server
holds the connection and says nothing). Every request is logged with the server's own
clock, so tests can check timing and concurrency from the server's side.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flows.demo.server import Exchange, Logged, LoopbackServer


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Iterable[bytes] | None = None  # streamed without a length, instead of `body`
    chunk_delay: float = 0.0  # pause before each chunk
    withhold: float = 0.0  # say nothing for this long first


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    started: float  # time.monotonic() when the request arrived
    finished: float  # ... and when the server was done with it
    connection: int  # the client's port: one per TCP connection


Handler = Callable[[dict[str, str]], Reply]


class Loopback:
    """Serve `routes` (path -> handler) on `host` (any 127.x.y.z address) until stopped;
    every request is logged: `arrived` on arrival, `seen` once answered."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Handler] = {}
        self._server = LoopbackServer(self._answer, host)
        self.port = self._server.port
        self.base_url = self._server.base_url

    def __enter__(self) -> Loopback:
        self._server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.stop()

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def arrived(self) -> list[tuple[str, dict[str, str]]]:
        """(path, lower-cased headers) of every request, in arrival order."""
        return [(logged.path, _lower(logged.headers)) for logged in self._server.logged()]

    @property
    def seen(self) -> list[Seen]:
        """Every request the server is done with, in the order it finished them."""
        done = [logged for logged in self._server.logged() if logged.finished is not None]
        return [_seen(logged) for logged in sorted(done, key=lambda logged: logged.finished)]

    def hits(self, path: str) -> list[dict[str, str]]:
        return [headers for seen_path, headers in self.arrived if seen_path == path]

    def _answer(self, exchange: Exchange) -> None:
        headers = _lower(exchange.logged.headers)
        route = self.routes.get(exchange.logged.path)
        reply = route(headers) if route else Reply(404, b"not found")
        if reply.withhold and exchange.stopping.wait(reply.withhold):
            return
        if reply.chunks is None:
            exchange.send(reply.status, reply.body, reply.headers)
            return
        request = exchange.request
        exchange.logged.status = reply.status
        request.send_response(reply.status)
        for name, value in reply.headers.items():
            request.send_header(name, value)
        request.send_header("Connection", "close")
        request.end_headers()
        request.close_connection = True
        for chunk in reply.chunks:
            if reply.chunk_delay and exchange.stopping.wait(reply.chunk_delay):
                return
            request.wfile.write(chunk)
            request.wfile.flush()


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _seen(logged: Logged) -> Seen:
    return Seen(logged.path, _lower(logged.headers), logged.arrived, logged.finished, logged.connection)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (as the OS hands them out)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

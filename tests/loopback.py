"""A programmable HTTP server on 127.0.0.1 for tests: each path answers with a function.

Replies can be ordinary, streamed slowly, endless, or withheld (the server holds the
connection and says nothing). Every request is logged with the server's own clock,
so tests can check timing and concurrency from the server's side.
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Iterable[bytes] | None = None   # streamed without a length, instead of `body`
    chunk_delay: float = 0.0                # pause before each chunk
    withhold: float = 0.0                   # say nothing for this long first


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    started: float    # time.monotonic() when the request arrived
    finished: float   # ... and when the server was done with it
    connection: int   # the client's port: one per TCP connection


Handler = Callable[[dict[str, str]], Reply]


class Loopback:
    """Serve `routes` (path -> handler) on `host` (any 127.x.y.z address) until stopped;
    every request is logged in `seen`."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Handler] = {}
        self.arrived: list[tuple[str, dict[str, str]]] = []   # logged on arrival
        self.seen: list[Seen] = []                             # logged when answered
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Loopback:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return self.base_url + path

    def hits(self, path: str) -> list[dict[str, str]]:
        with self._lock:
            return [headers for seen_path, headers in self.arrived if seen_path == path]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        started = time.monotonic()
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.arrived.append((handler.path, headers))
        route = self.routes.get(handler.path)
        reply = route(headers) if route else Reply(404, b"not found")
        try:
            self._send(handler, reply)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, which is what some tests want
        finally:
            with self._lock:
                self.seen.append(Seen(handler.path, headers, started, time.monotonic(), handler.client_address[1]))

    def _send(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.withhold and self._stopping.wait(reply.withhold):
            return
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if reply.chunks is None:
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            handler.wfile.write(reply.body)
            return
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        for chunk in reply.chunks:
            if reply.chunk_delay and self._stopping.wait(reply.chunk_delay):
                return
            handler.wfile.write(chunk)
            handler.wfile.flush()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each small reply waits ~40 ms for a delayed ACK

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                server._answer(self)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        return _Handler


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (as the OS hands them out)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

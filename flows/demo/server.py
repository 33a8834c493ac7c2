"""One small threaded HTTP server on a loopback address, for the demo, the tests and the benchmarks.

:class:`LoopbackServer` binds ``host:port`` (port 0: a free one the OS picks), serves
every request from a thread of its own, and hands it to one ``handler`` function. Each
request is logged in :attr:`LoopbackServer.log` when it arrives (before the handler runs),
with the server's own clock; the handler may note the status it answers, and the time the
server was done with the request is filled in afterwards. What to answer, and whether to
keep the connection open, is the handler's business (it writes through the stdlib's
``BaseHTTPRequestHandler`` it is given).

    def hello(exchange: Exchange) -> None:
        exchange.send(200, b"hello", {"Content-Type": "text/plain"})

    with LoopbackServer(hello) as server:
        httpx.get(server.url("/"))
        server.log[0].path  # "/"
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass
class Logged:
    """One request as the server saw it; ``headers`` keep the client's spelling of the names."""

    method: str
    path: str  # the request target as sent (path and query)
    headers: dict[str, str]
    connection: int  # the client's port: one per TCP connection
    arrived: float  # time.monotonic() when the request had been read
    status: int | None = None  # what the handler said it answers, if it said
    finished: float | None = None  # time.monotonic() when the server was done with it


@dataclass
class Exchange:
    """A request being answered: what was logged, and the stdlib handler to answer through."""

    request: BaseHTTPRequestHandler
    logged: Logged
    stopping: threading.Event = field(repr=False)  # set when the server stops: long waits should end

    def send(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | Iterable[tuple[str, str]] = (),
        send_body: bool = True,
        close: bool = False,
    ) -> None:
        """Answer with a Content-Length; ``close`` asks the client not to send another request."""
        self.logged.status = status
        request = self.request
        request.send_response(status)
        for name, value in headers.items() if isinstance(headers, dict) else headers:
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        if close:
            request.send_header("Connection", "close")
            request.close_connection = True
        request.end_headers()
        if send_body:
            request.wfile.write(body)


Handler = Callable[[Exchange], None]


class _ThreadingServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the stdlib's 5 drops connections a concurrent client opens at once


class LoopbackServer:
    """Serve ``handler`` on ``host:port`` from daemon threads until :meth:`stop`.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. The socket is bound
    when the object is made, so :attr:`port` and :attr:`base_url` are known before start.
    """

    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        methods: tuple[str, ...] = ("GET",),
        server_version: str | None = None,
        timeout: float | None = None,
        name: str = "loopback",
    ) -> None:
        self.host = host
        self.log: list[Logged] = []
        self.stopping = threading.Event()
        self._handler = handler
        self._lock = threading.Lock()
        self._name = name
        self._thread: threading.Thread | None = None
        self._server = _ThreadingServer((host, port), self._request_class(methods, server_version, timeout))
        self.port: int = self._server.server_address[1]
        self.base_url = f"http://{host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self._name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, wake handlers waiting on :attr:`stopping`, release the port. Idempotent."""
        self.stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def logged(self) -> list[Logged]:
        """A copy of the log, taken under its lock."""
        with self._lock:
            return list(self.log)

    def _dispatch(self, request: BaseHTTPRequestHandler) -> None:
        logged = Logged(
            request.command, request.path, dict(request.headers.items()), request.client_address[1], time.monotonic()
        )
        with self._lock:
            self.log.append(logged)
        try:
            self._handler(Exchange(request, logged, self.stopping))
        except (BrokenPipeError, ConnectionResetError):
            request.close_connection = True  # the client gave up, which is what some tests want
        finally:
            logged.finished = time.monotonic()

    def _request_class(
        self, methods: tuple[str, ...], version: str | None, timeout: float | None
    ) -> type[BaseHTTPRequestHandler]:
        server = self

        def answer(request: BaseHTTPRequestHandler) -> None:
            server._dispatch(request)

        def quiet(request: BaseHTTPRequestHandler, format: str, *args: object) -> None:  # noqa: A002
            """Nothing on stderr: the server's log is :attr:`LoopbackServer.log`."""

        attributes: dict[str, object] = {
            "protocol_version": "HTTP/1.1",
            "disable_nagle_algorithm": True,  # else each small reply waits ~40 ms for a delayed ACK
            "timeout": timeout,
            "log_message": quiet,
            **{f"do_{method}": answer for method in methods},
        }
        if version:
            attributes["server_version"] = version
        return type("LoopbackRequest", (BaseHTTPRequestHandler,), attributes)

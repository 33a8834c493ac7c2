"""Where a run's Prefect API comes from, and running the ingest flow on a schedule.

A one-off `newsdesk run` uses, in this order: the user's PREFECT_API_URL (checked first,
so an unreachable one is one clear line); the server of a `newsdesk serve` running on
this machine; else Prefect's own server app, served from a thread of this process for the
length of the run. (Prefect's default, a temporary server in a second process, imports
Prefect a second time and took twice as long per run.)

A Prefect ephemeral server cannot run schedules, so `newsdesk serve` needs a real one:
the user's (PREFECT_API_URL), or a local one started here on 127.0.0.1 with its own
PREFECT_HOME under the state dir and stopped with us. While it runs, its API URL is kept
in that home, so that a `newsdesk run` by hand uses it instead of starting a temporary
server of its own. Prefect is imported only once PREFECT_API_URL points at the server,
because Prefect reads its settings on import.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.metadata
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from flows import localstate
from warehouse.db import Location

DEPLOYMENT_NAME = "newsdesk-ingest"
SERVER_START_SECONDS = 180.0
PREFECT_RUN_RETENTION_DAYS = 14  # the local server deletes flow runs that ended longer ago
API_URL_FILE = "api-url"
DRAIN_SECONDS = 10.0
MIGRATED_FILE = "newsdesk-migrated"
# What a one-run server does not need: the UI, automations, the live event stream, and the
# block-type registration check, which first imports every installed Prefect integration
# (prefect-dask pulls in all of Dask: up to 1 s); the memo must be off too, or it would
# record a registration that never happened.
_IN_PROCESS_SETTINGS = {
    "PREFECT_SERVER_REGISTER_BLOCKS_ON_START": "false",
    "PREFECT_SERVER_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_EVENTS_STREAM_OUT_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_EVENT_LOGGER_ENABLED": "false",
}


class ServerFailed(RuntimeError):
    """The local Prefect server did not come up, or a Prefect API cannot be reached."""


def running_server() -> str | None:
    """The API URL of the local server of a `newsdesk serve` on this machine, if it answers."""
    try:
        api = (_server_home() / API_URL_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return api if api and _healthy(api, timeout=1) else None


def check_reachable(api: str) -> None:
    """Any HTTP answer will do (Prefect Cloud wants a key for /health); no answer is a clear error."""
    try:
        httpx.get(f"{api.rstrip('/')}/health", timeout=5, trust_env=not _is_loopback(api))
    except httpx.HTTPError as exc:
        raise ServerFailed(
            f"cannot reach the Prefect API at {api} (PREFECT_API_URL): {type(exc).__name__}: {exc}"
        ) from None


@contextmanager
def in_process_server() -> Iterator[str]:
    """Serve Prefect's API app on a free loopback port from a thread of this process, with
    PREFECT_API_URL pointing at it, so that every Prefect client (logs, events, artifacts)
    talks to it as to any server. Must be entered before `prefect` is imported."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        api = f"http://127.0.0.1:{listener.getsockname()[1]}/api"
        os.environ["PREFECT_API_URL"] = api
        for name, value in _IN_PROCESS_SETTINGS.items():
            os.environ.setdefault(name, value)
        migrating = _needs_migrations()
        skip = {} if migrating else {"PREFECT_SERVER_DATABASE_MIGRATE_ON_START": "false"}
        os.environ.update(skip)
        try:
            server, thread = _start_in_thread(listener)  # the server's start-up reads the setting
        finally:
            for name in skip:  # not left behind: a later check would take it for the user's own
                del os.environ[name]
        if migrating:
            _record_migrations()
        try:
            yield api
        finally:
            _drain_prefect_workers()
            server.should_exit = True
            thread.join(timeout=DRAIN_SECONDS)
            del os.environ["PREFECT_API_URL"]


def _needs_migrations() -> bool:
    """Checking Prefect's database schema costs a tenth of a run; it is needed only when the
    database file or Prefect's version changed since the last run that migrated it."""
    stamp = _migration_stamp()
    try:
        recorded = (_prefect_home() / MIGRATED_FILE).read_text(encoding="utf-8")
    except OSError:
        return True
    return stamp is None or stamp != recorded


def _record_migrations() -> None:
    stamp = _migration_stamp()
    if stamp is not None:
        (_prefect_home() / MIGRATED_FILE).write_text(stamp, encoding="utf-8")


def _migration_stamp() -> str | None:
    """Prefect's version and the identity of its default database file; None when there is
    no such file yet, or the user chose a database of their own."""
    if any(name.startswith(("PREFECT_SERVER_DATABASE_", "PREFECT_API_DATABASE_")) for name in os.environ):
        return None
    try:
        database = (_prefect_home() / "prefect.db").stat()
    except OSError:
        return None
    return f"prefect {importlib.metadata.version('prefect')} database inode {database.st_ino}\n"


def _prefect_home() -> Path:
    return Path(os.environ["PREFECT_HOME"]).expanduser()


def _start_in_thread(listener: socket.socket) -> tuple[Any, threading.Thread]:
    gc.disable()  # a quarter of importing the server app is the collector walking new modules
    try:
        import uvicorn
        from prefect.server.api.server import create_app

        app = create_app(ephemeral=True, final=True)
    finally:
        gc.freeze()
        gc.enable()
    server = uvicorn.Server(
        uvicorn.Config(
            app, log_level="error", access_log=False, lifespan="on", loop="asyncio", timeout_graceful_shutdown=5
        )
    )
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            asyncio.run(server.serve(sockets=[listener]))
        except BaseException as exc:  # reported by the wait below
            failures.append(exc)

    thread = threading.Thread(target=serve, name="prefect-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not server.started:
        if failures or not thread.is_alive():
            raise ServerFailed(f"Prefect's API server did not start: {failures[0] if failures else 'it stopped'}")
        if time.monotonic() > deadline:
            raise ServerFailed(f"Prefect's API server did not start within {SERVER_START_SECONDS:.0f}s")
        time.sleep(0.01)
    return server, thread


def _drain_prefect_workers() -> None:
    """Send the run's last logs and events before the server stops (Prefect would try at exit,
    to a server that is gone). Waiting for the events queue to empty first keeps Prefect from
    printing 'still processing items' while it drains."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    deadline = time.monotonic() + DRAIN_SECONDS
    for worker in list(getattr(EventsWorker, "_instances", {}).values()):
        pending = getattr(worker, "_queue", None)
        while pending is not None and pending.qsize() and time.monotonic() < deadline:
            time.sleep(0.01)
    APILogWorker.drain_all(timeout=DRAIN_SECONDS, at_exit=False)
    EventsWorker.drain_all(timeout=DRAIN_SECONDS, at_exit=False)


@contextmanager
def local_prefect_server(port: int) -> Iterator[str]:
    """Start `prefect server start` on 127.0.0.1:port; yield its API URL; stop it on exit."""
    home = localstate.ensure_dir(_server_home(), "the Prefect server's home")
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # Without this the server keeps every flow run for ever (its database grows by each
        # run); the warehouse's `runs` ledger is the lasting record of them.
        "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",
        "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": str(PREFECT_RUN_RETENTION_DAYS * 86400),
    }
    env.pop("PREFECT_API_URL", None)
    with open(home / "server.log", "ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    advertised = home / API_URL_FILE
    try:
        api = f"http://127.0.0.1:{port}/api"
        _wait_healthy(api, server, home / "server.log")
        advertised.write_text(api, encoding="utf-8")
        yield api
    finally:
        advertised.unlink(missing_ok=True)
        _stop(server)


def serve_ingest(sources_path: Path, db: Path | None, interval: int | None, cron: str | None) -> None:
    """Serve the ingest deployment until interrupted; runs never overlap."""
    localstate.configure_prefect()
    from flows.ingest import ingest

    parameters = {"sources_path": str(sources_path.resolve()), "db": str(db.resolve()) if db else None}
    ingest.serve(
        name=DEPLOYMENT_NAME,
        interval=interval,
        cron=cron,
        parameters=parameters,
        global_limit=1,
        limit=1,
        print_starting_message=False,
    )


def serve_metrics(port: int, location: Location) -> None:
    """/metrics on `port` of every interface, from a daemon thread, read from the warehouse on each scrape."""
    from prometheus_client import CollectorRegistry, start_http_server

    from flows import monitoring

    registry = CollectorRegistry(auto_describe=False)
    registry.register(monitoring.Collector(location))
    start_http_server(port, registry=registry)


def ui_url(api_url: str) -> str:
    return api_url.removesuffix("/").removesuffix("/api")


def _wait_healthy(api: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """Poll /health until it answers, the process dies, or the deadline passes."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ServerFailed(f"the Prefect server exited with status {server.returncode}; see {log}")
        if _healthy(api, timeout=2):
            return
        time.sleep(0.5)
    raise ServerFailed(f"the Prefect server did not answer within {SERVER_START_SECONDS:.0f}s; see {log}")


def _healthy(api: str, timeout: float) -> bool:
    try:
        return httpx.get(f"{api}/health", timeout=timeout, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


def _is_loopback(api: str) -> bool:
    return httpx.URL(api).host in localstate.LOOPBACK_HOSTS


def _server_home() -> Path:
    return localstate.state_dir() / "prefect-server"


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, then SIGKILL whatever is left after 20 s."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    server.wait()

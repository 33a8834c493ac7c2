"""Process environment for Prefect: quiet, local and private unless the user says otherwise.

Must run before `prefect` is imported, because Prefect reads its settings then.
"""
from __future__ import annotations

import os
from pathlib import Path

STATE_DIR_ENV = "NEWSDESK_STATE_DIR"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def state_dir() -> Path:
    """Where newsdesk keeps its own state (Prefect home, demo files): ./.state by default."""
    return Path(os.environ.get(STATE_DIR_ENV) or ".state").resolve()


def configure_prefect() -> None:
    """Set Prefect defaults without overriding anything the user set."""
    defaults = {
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_HOME": str(state_dir() / "prefect"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        # Flow-run logs still reach the Prefect API (the UI) at INFO; the console stays quiet.
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
        "PREFECT_LOGGING_TO_API_BATCH_INTERVAL": "1",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    _bypass_proxy_for_loopback()


def _bypass_proxy_for_loopback() -> None:
    """With a proxy configured, Prefect's client would send calls to its own local server
    through it; loopback must always go direct."""
    if not any(os.environ.get(name) for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY",
                                                  "https_proxy", "ALL_PROXY", "all_proxy")):
        return
    for name in ("NO_PROXY", "no_proxy"):
        present = [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]
        missing = [host for host in _LOOPBACK if host not in present]
        os.environ[name] = ",".join(present + missing)

"""Process environment for Prefect: quiet, local and private unless the user says otherwise.

Must run before `prefect` is imported, because Prefect reads its settings then.

newsdesk's own state (the Prefect home of its temporary and `serve` servers, the demo's
files) lives in $NEWSDESK_STATE_DIR, else in the platform's user state directory
(`~/.local/state/newsdesk` on Linux, honouring XDG_STATE_HOME), wherever newsdesk is run
from. The warehouse itself lives wherever settings.warehouse or --db says.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import platformdirs

from flows.configuration import Config, ConfigError

STATE_DIR_ENV = "NEWSDESK_STATE_DIR"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class UnusablePath(RuntimeError):
    """A directory newsdesk needs cannot be created or is not a directory."""


def state_dir() -> Path:
    """Where newsdesk keeps its own state (not created: see `ensure_dir`)."""
    configured = os.environ.get(STATE_DIR_ENV)
    return Path(configured).expanduser().resolve() if configured else platformdirs.user_state_path("newsdesk")


def ensure_dir(path: Path, what: str) -> Path:
    """Create `path` with its parents, or say in one line why it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UnusablePath(f"cannot create {what} {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UnusablePath(f"cannot write to {what} {path}: permission denied")
    return path


def check_dask(config: Config) -> None:
    """settings.dask needs the [dask] extra, and a Prefect server: Dask workers are other
    processes, maybe on other machines; without a server they all reach (PREFECT_API_URL),
    each would start a temporary one of its own, racily."""
    if not config.settings.dask:
        return
    if importlib.util.find_spec("prefect_dask") is None:
        raise ConfigError(f"{config.path}: settings.dask needs the Dask extra: pip install 'newsdesk[dask]'")
    if not os.environ.get("PREFECT_API_URL"):
        raise ConfigError(
            f"{config.path}: settings.dask needs a Prefect server the Dask workers can reach: "
            "set PREFECT_API_URL (see `prefect server start`), or run under `newsdesk serve`"
        )


def configure_prefect() -> None:
    """Set Prefect defaults without overriding anything the user set, and make sure the
    Prefect home exists (Prefect itself creates only its last component)."""
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
    ensure_dir(Path(os.environ["PREFECT_HOME"]).expanduser(), "the Prefect home")
    _bypass_proxy_for_loopback()


def _bypass_proxy_for_loopback() -> None:
    """With a proxy configured, Prefect's client would send calls to its own local server
    through it; loopback must always go direct."""
    if not any(
        os.environ.get(name)
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
    ):
        return
    for name in ("NO_PROXY", "no_proxy"):
        present = [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]
        missing = [host for host in LOOPBACK_HOSTS if host not in present]
        os.environ[name] = ",".join(present + missing)

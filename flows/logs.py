"""`--log-format json`: one JSON object per line on stderr, for log shippers.

Every line has `time` (UTC, ISO 8601), `level`, `logger`, `run_id` (newsdesk's run, when one is
under way), `flow_run_id` (Prefect's), `source` (when the event is about one) and `event` (the
message); a key without a value is null. The format is chosen through the environment, so
the flow runs that `newsdesk serve` starts in their own processes log the same way; Prefect's
own console lines go through the same formatter.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from contextvars import ContextVar
from datetime import datetime, timezone

FORMAT_ENV = "NEWSDESK_LOG_FORMAT"
RUN_ID: ContextVar[str | None] = ContextVar("newsdesk_run_id", default=None)


def json_enabled() -> bool:
    return os.environ.get(FORMAT_ENV) == "json"


def use_json() -> None:
    """JSON lines from here on, in this process and the processes it starts."""
    os.environ[FORMAT_ENV] = "json"
    # Prefect's logging settings can be overridden per key from the environment (read on import)
    os.environ["PREFECT_LOGGING_FORMATTERS_JSON_CLASS"] = f"{__name__}.{JsonLines.__name__}"
    os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_FORMATTER"] = "json"


def json_handler() -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    return handler


class JsonLines(logging.Formatter):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__()  # Prefect's logging config passes a format string: the fields are fixed here

    def format(self, record: logging.LogRecord) -> str:
        fields = record.__dict__
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "run_id": fields.get("run_id") or RUN_ID.get(),
            "flow_run_id": fields.get("flow_run_id"),
            "source": fields.get("source"),
            "event": record.getMessage(),
        }
        if record.exc_info and record.exc_info[1] is not None:
            line["error"] = f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        return json.dumps(line, ensure_ascii=False, default=str)

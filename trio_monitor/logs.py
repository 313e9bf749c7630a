"""Structured logging: JSON lines in production or when not on a terminal, text otherwise."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from collectors.logctx import ContextFilter

from .settings import LogFormat, Mode, Settings

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is data.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "source", "poll_id"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("source", "poll_id"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s%(context)s: %(message)s%(data)s")

    def format(self, record: logging.LogRecord) -> str:
        source = getattr(record, "source", None)
        poll_id = getattr(record, "poll_id", None)
        record.context = f" [{source}{'#' + poll_id if poll_id else ''}]" if source else ""
        data = {
            k: v for k, v in vars(record).items()
            if k not in _STANDARD and k not in {"context", "data"} and not k.startswith("_")
        }
        record.data = (" " + " ".join(f"{k}={v}" for k, v in data.items())) if data else ""
        return super().format(record)


# The name of the root handler configure_logging installs (tests that run the command line
# in-process remove it afterwards: its stream is their captured stderr, closed after them).
HANDLER_NAME = "trio-monitor"


def configure_logging(settings: Settings, stream=None) -> None:
    stream = stream or sys.stderr
    fmt = settings.log_format
    if fmt == LogFormat.AUTO:
        tty = hasattr(stream, "isatty") and stream.isatty()
        fmt = LogFormat.TEXT if tty and settings.mode != Mode.PRODUCTION else LogFormat.JSON
    handler = logging.StreamHandler(stream)
    handler.set_name(HANDLER_NAME)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if fmt == LogFormat.JSON else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for noisy in ("httpx", "httpcore", "apscheduler.executors.default", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

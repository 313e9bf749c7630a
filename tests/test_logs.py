"""Structured logs: every line of one poll carries its source and poll id."""

from __future__ import annotations

import io
import json
import logging

import pytest

from collectors.logctx import poll_context
from trio_monitor.logs import configure_logging
from trio_monitor.settings import load_settings


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_it_writes_json_lines_with_source_and_poll_id(restore_logging):
    stream = io.StringIO()
    configure_logging(load_settings(log_format="json"), stream=stream)
    with poll_context("trio", "ab12cd34"):
        logging.getLogger("collectors.trio").warning("skipped %d record(s)", 2,
                                                     extra={"records": 2})
    logging.getLogger("collectors.runner").info("outside a poll")

    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["source"] == "trio" and first["poll_id"] == "ab12cd34"
    assert first["msg"] == "skipped 2 record(s)" and first["records"] == 2
    assert first["level"] == "warning"
    assert "source" not in second and second["msg"] == "outside a poll"


def test_it_writes_readable_text_with_the_poll_in_brackets(restore_logging):
    stream = io.StringIO()
    configure_logging(load_settings(log_format="text"), stream=stream)
    with poll_context("trio", "ab12cd34"):
        logging.getLogger("collectors.runner").info("poll ok", extra={"samples": 80})

    line = stream.getvalue().strip()
    assert "INFO" in line and "[trio#ab12cd34]: poll ok samples=80" in line


def test_auto_format_is_json_when_not_on_a_terminal(restore_logging):
    stream = io.StringIO()
    configure_logging(load_settings(log_format="auto"), stream=stream)
    logging.getLogger("x").warning("hej")
    assert json.loads(stream.getvalue())["msg"] == "hej"

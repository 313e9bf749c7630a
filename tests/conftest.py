"""Shared fixtures: each fixture module is owned by one part of the system."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Iterator

import pytest

pytest_plugins = [
    "tests.fixtures.clock",
    "tests.fixtures.db",
    "tests.fixtures.sim",
    "tests.fixtures.collect",
    "tests.fixtures.proxy",
    "tests.fixtures.live",
    "tests.fixtures.notify",
    "tests.fixtures.actors",
    "tests.fixtures.leaks",
]

# Every collector a test starts would serve its metrics on the default fixed port: tests
# run in parallel, so it is off unless a test turns it on with a free port of its own.
os.environ.setdefault("TRIO_MONITOR_METRICS_BIND", "")

# A connection, socket or process a test leaves open is reported when the garbage
# collector gets to it, which may be during a later, innocent test. With
# TRIO_MONITOR_TEST_GC=1 every test collects garbage at its end, so the warning names the
# test that leaked (slower: for hunting a leak, not for CI).
_COLLECT_EACH_TEST = os.environ.get("TRIO_MONITOR_TEST_GC") == "1"


@pytest.fixture(autouse=_COLLECT_EACH_TEST)
def _collect_garbage_after_the_test() -> Iterator[None]:
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def _no_command_line_logging_after_the_test() -> Iterator[None]:
    """A command run in-process (``cli.main``) installs the product's root log handler on
    the test's captured stderr, which pytest closes after the test: a later test whose
    command logs without configuring (``status`` is quiet) would write to the closed
    stream ("--- Logging error ---"). Remove that handler and the level it set."""
    from trio_monitor.logs import HANDLER_NAME

    root = logging.getLogger()
    level = root.level
    yield
    for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(handler)
    root.setLevel(level)

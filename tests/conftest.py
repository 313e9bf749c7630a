"""Shared fixtures: each fixture module is owned by one part of the system."""

pytest_plugins = [
    "tests.fixtures.clock",
    "tests.fixtures.db",
    "tests.fixtures.sim",
    "tests.fixtures.collect",
    "tests.fixtures.proxy",
    "tests.fixtures.live",
    "tests.fixtures.notify",
    "tests.fixtures.actors",
]

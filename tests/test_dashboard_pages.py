"""The page registry: a page is its module; navigation, kiosk rotation, the display
session's scope and callback registration all come from ``dash.register_page``."""

from __future__ import annotations

from pathlib import Path

import dash
import flask
import pytest
from sqlalchemy.engine import Engine

from collectors.clock import ManualClock
from dashboard import DashboardConfig, create_dash, registry
from dashboard.components.layout import build_nav
from dashboard.registry import Page, PageCallbacks

pytestmark = pytest.mark.sqlite_only

PAGES_FOLDER = Path(registry.__file__).parent / "pages"


def _app(engine: Engine, clock: ManualClock, config: DashboardConfig) -> dash.Dash:
    server = flask.Flask(__name__)
    server.secret_key = "dashboard-tests-secret-key-of-enough-length"
    return create_dash(server, engine, config, clock=clock.time)


def _registered(app: dash.Dash, output: dash.Output) -> bool:
    wanted = f"{output.component_id_str()}.{output.component_property}"
    return any(wanted in key for key in app.callback_map)


@pytest.mark.parametrize("logout_form", [True, False])
def test_it_registers_every_declared_callback_of_every_page_on_each_app(
    engine: Engine, clock: ManualClock, logout_form: bool
) -> None:
    config = DashboardConfig(logout_form=logout_form)
    first, second = _app(engine, clock, config), _app(engine, clock, config)
    pages = registry.pages()
    assert pages, "no page registered"
    for app in (first, second):
        for page in pages:
            outputs = page.callbacks.outputs(config)
            assert outputs, f"{page.module} declares no callback"
            missing = [str(out) for out in outputs if not _registered(app, out)]
            assert not missing, f"{page.module}: not registered: {missing}"


def test_every_page_module_is_in_the_registry(engine: Engine, clock: ManualClock) -> None:
    _app(engine, clock, DashboardConfig())
    files = {f"dashboard.pages.{path.stem}" for path in PAGES_FOLDER.glob("*.py")
             if not path.name.startswith("_")}
    assert {page.module for page in registry.pages()} == files


def test_a_page_without_its_callbacks_is_refused_at_start() -> None:
    with pytest.raises(RuntimeError, match="callbacks"):
        Page.of({"module": "dashboard.pages.new", "path": "/new"})
    assert Page.of({"module": "dashboard.pages.new", "path": "/new",
                    "callbacks": PageCallbacks()}).nav is None


def test_the_nav_is_the_pages_that_declare_a_link_in_their_order(
    engine: Engine, clock: ManualClock
) -> None:
    _app(engine, clock, DashboardConfig())

    def hrefs(role: str) -> list[str]:
        return [link.href for link in build_nav("/", "en", role=role).children]

    declared = sorted((page for page in registry.pages() if page.nav),
                      key=lambda page: page.nav_order)
    assert hrefs("admin") == [page.path for page in declared]
    assert hrefs("viewer") == [page.path for page in declared if page.nav_role is None]
    assert hrefs("viewer") == ["/", "/health", "/drift", "/alerts", "/thresholds"]
    assert hrefs("display") == []


def test_kiosk_rotation_and_display_scope_come_from_the_registry(
    engine: Engine, clock: ManualClock
) -> None:
    _app(engine, clock, DashboardConfig())
    assert registry.kiosk_pages() == {
        "wallboard": "/", "drift": "/drift", "health": "/health", "alerts": "/alerts",
    }
    assert list(registry.kiosk_pages()) == ["wallboard", "drift", "health", "alerts"]
    assert set(registry.display_pages()) == {"/", "/kiosk", "/alerts", "/drift", "/health"}
    assert set(registry.display_output_prefixes()) == {
        "wallboard-", "pages-", "ksk-", "alr-", "drift-", "health-", "_pages_", "ticker",
    }

"""The dashboard's pages, as each declares itself at ``dash.register_page``.

A page is one module in ``dashboard/pages/`` (plus its components). Beside Dash's own
arguments it passes to ``dash.register_page`` (Dash keeps extra ones in
``dash.page_registry``):

- ``callbacks``: its ``PageCallbacks`` (required), registered on every app built;
- ``nav``: the text key of its link in the pages' navigation, ``nav_order`` its place
  (no ``nav``: no link); ``nav_role``: shown to that role only (the page checks again);
- ``kiosk``: its name in a wall screen's ``?rotate=``, ``kiosk_order`` its place in the
  list offered (no ``kiosk``: a screen cannot rotate to it);
- ``display_ids``: the prefixes of its callbacks' output ids, when a display session (a
  wall screen) may open the page (none: the guard refuses it to a screen).

Navigation, kiosk rotation, the display session's scope and callback registration are
all read from here, so a new page is its module and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import dash
import flask
from dash import ClientsideFunction, Input, Output, State

from ._config import DashboardConfig

PAGES_PACKAGE = "dashboard.pages."
PAGES_FOLDER = Path(__file__).resolve().parent / "pages"
# Ids every page's callbacks may write besides its own: the shared page frame
# (components/pageframe.py), Dash's own page routing and the floor's ticker
# (components/ticker.py, beside every page).
FRAME_OUTPUT_PREFIXES = ("pages-", "_pages_", "ticker")

Dependency = Input | Output | State
Setup = Callable[[dash.Dash, DashboardConfig], None]
F = TypeVar("F", bound=Callable[..., Any])


class PageCallbacks:
    """A page's callbacks, declared beside the functions they call.

    Not ``dash.callback``: Dash runs page modules again for every app it builds, and hands
    global callbacks to whichever app serves a request first, so with several apps in one
    process (the tests) they would pile up on one app and be missing from the others.
    Here each app gets the page's callbacks when ``create_dash`` calls ``register``.
    """

    def __init__(self) -> None:
        self._setups: list[Setup] = []
        self._outputs: list[Callable[[DashboardConfig], list[Output]]] = []

    def callback(self, *dependencies: Dependency, **options: Any) -> Callable[[F], F]:
        """Like ``dash.callback``: the decorated function stays a plain function."""
        return self.callback_for(lambda _config: dependencies, **options)

    def callback_for(self, dependencies: Callable[[DashboardConfig], Sequence[Dependency]],
                     **options: Any) -> Callable[[F], F]:
        """A callback whose dependencies depend on the configuration (say, a logout
        button's label that only exists with ``logout_form``)."""
        def declare(function: F) -> F:
            def setup(app: dash.Dash, config: DashboardConfig) -> None:
                app.callback(*dependencies(config), **options)(function)

            self._setups.append(setup)
            self._outputs.append(lambda config: _outputs(dependencies(config)))
            return function

        return declare

    def clientside(self, function: ClientsideFunction, *dependencies: Dependency,
                   **options: Any) -> None:
        """A callback that runs in the browser (``assets/``), no inline script."""
        def setup(app: dash.Dash, _config: DashboardConfig) -> None:
            app.clientside_callback(function, *dependencies, **options)

        self._setups.append(setup)
        self._outputs.append(lambda _config: _outputs(dependencies))

    def setup(self, function: Setup) -> Setup:
        """Something else the page needs on each app's server (a route, a request hook)."""
        self._setups.append(function)
        return function

    def register(self, app: dash.Dash, config: DashboardConfig) -> None:
        for setup in self._setups:
            setup(app, config)

    def outputs(self, config: DashboardConfig) -> list[Output]:
        """Every output of the declared callbacks (to check that they are registered)."""
        return [output for outputs in self._outputs for output in outputs(config)]


def _outputs(dependencies: Iterable[Dependency]) -> list[Output]:
    return [item for item in dependencies if isinstance(item, Output)]


@dataclass(frozen=True)
class Page:
    """What a page declared at ``dash.register_page``."""

    module: str
    path: str
    callbacks: PageCallbacks
    nav: str | None = None
    nav_order: int = 0
    nav_role: str | None = None
    kiosk: str | None = None
    kiosk_order: int = 0
    display_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, entry: dict[str, Any]) -> Page:
        callbacks = entry.get("callbacks")
        if not isinstance(callbacks, PageCallbacks):
            raise RuntimeError(f"page {entry['module']} passes no callbacks=PageCallbacks() "
                               "to dash.register_page: its callbacks would never run")
        return cls(
            module=entry["module"], path=entry["path"], callbacks=callbacks,
            nav=entry.get("nav"), nav_order=entry.get("nav_order", 0),
            nav_role=entry.get("nav_role"), kiosk=entry.get("kiosk"),
            kiosk_order=entry.get("kiosk_order", 0),
            display_ids=tuple(entry.get("display_ids", ())),
        )


def pages() -> list[Page]:
    """The dashboard's pages in ``dash.page_registry`` (filled when an app is built)."""
    if not any(module.startswith(PAGES_PACKAGE) for module in dash.page_registry):
        _load_pages()
    entries = sorted(dash.page_registry.items())  # by module: the same order everywhere
    return [Page.of(entry) for module, entry in entries if module.startswith(PAGES_PACKAGE)]


def _load_pages() -> None:
    """Run the page modules as building an app does, when none was built in this process
    (a builder's unit test): Dash refuses ``register_page`` outside an app."""
    dash.Dash(PAGES_PACKAGE.split(".")[0], use_pages=True,
              server=flask.Flask(__name__),  # type: ignore[arg-type]  # typed as a callable
              pages_folder=str(PAGES_FOLDER))


def nav_links(role: str) -> list[tuple[str, str]]:
    """(path, text key) of the links ``role`` sees, in order; none for a wall screen."""
    if role == "display":
        return []
    shown = [page for page in pages()
             if page.nav is not None and page.nav_role in (None, role)]
    return [(page.path, page.nav) for page in sorted(shown, key=lambda p: p.nav_order)
            if page.nav is not None]


def kiosk_pages() -> dict[str, str]:
    """Name in ``?rotate=`` -> path, of the pages a wall screen may rotate through."""
    shown = sorted((page for page in pages() if page.kiosk), key=lambda p: p.kiosk_order)
    return {page.kiosk: page.path for page in shown if page.kiosk}


def display_pages() -> tuple[str, ...]:
    """The paths a display session may open."""
    return tuple(page.path for page in pages() if page.display_ids)


def display_output_prefixes() -> tuple[str, ...]:
    """The prefixes of the callback outputs a display session may ask for."""
    prefixes = [prefix for page in pages() for prefix in page.display_ids]
    return tuple(dict.fromkeys([*prefixes, *FRAME_OUTPUT_PREFIXES]))

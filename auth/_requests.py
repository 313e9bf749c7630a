"""What a request is, for the guard: a person's page or a script's request, a Dash
callback, and whether a display session (a wall screen) may have it.

A display session may open the pages in ``AuthConfig.display_pages`` and run Dash
callbacks whose every output id starts with one of ``display_output_prefixes``. Left
unset (None), both are what the app on the server declared with
``declare_display_scope`` (the dashboard: what its pages declare at
``dash.register_page``); with neither, a display session may open nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, current_app, request

from .config import AuthConfig

DISPLAY_PAGES_KEY = "TRIO_DISPLAY_PAGES"
DISPLAY_OUTPUTS_KEY = "TRIO_DISPLAY_OUTPUT_PREFIXES"
DASH_UPDATE_SEGMENT = "_dash-update-component"
SAFE_METHODS = frozenset({"GET", "HEAD"})
# Paths answered with 401 JSON rather than a redirect: made by scripts, not by people
# typing an address. Dash's own endpoints all start with "_" (/_dash-layout,
# /_dash-update-component, /_dash-component-suites/..., /_reload-hash, /_favicon.ico);
# any segment is checked so a Dash url prefix (/monitor/_dash-layout) is covered too.
_MACHINE_DIRS = frozenset({"assets", "static"})


def declare_display_scope(server: Flask, pages: Iterable[str],
                          output_prefixes: Iterable[str]) -> None:
    """The pages of the app on ``server`` a wall screen shows, and the prefixes of their
    callbacks' output ids: what a display session may have, unless AuthConfig says."""
    server.config[DISPLAY_PAGES_KEY] = tuple(pages)
    server.config[DISPLAY_OUTPUTS_KEY] = tuple(output_prefixes)


def is_machine_path(path: str) -> bool:
    segments = [s for s in path.split("/") if s]
    return any(s.startswith("_") for s in segments) or any(
        s in _MACHINE_DIRS for s in segments[:-1]
    )


def is_dash_update(path: str) -> bool:
    return path.rstrip("/").rsplit("/", 1)[-1] == DASH_UPDATE_SEGMENT


def local_page(path: str) -> str:
    """``path`` without the application's mount point and a trailing slash."""
    root = request.script_root
    if root and path.startswith(root + "/"):
        path = path[len(root):]
    return path.rstrip("/") or "/"


def outside_display_scope(config: AuthConfig) -> str | None:
    """What in this request a display session may not have (None: nothing): a page
    outside its pages (GET and HEAD alike), or a Dash callback with an output outside
    its output prefixes or routing to such a page."""
    pages = _display_pages(config)
    if request.method in SAFE_METHODS and not is_machine_path(request.path):
        if local_page(request.path) not in pages:
            return f"page {request.path[:100]}"
    elif request.method == "POST" and is_dash_update(request.path):
        return _callback_outside_scope(request.get_json(silent=True), pages,
                                       _display_outputs(config))
    return None


def _display_pages(config: AuthConfig) -> tuple[str, ...]:
    if config.display_pages is not None:
        return config.display_pages
    return tuple(current_app.config.get(DISPLAY_PAGES_KEY, ()))


def _display_outputs(config: AuthConfig) -> tuple[str, ...]:
    if config.display_output_prefixes is not None:
        return config.display_output_prefixes
    return tuple(current_app.config.get(DISPLAY_OUTPUTS_KEY, ()))


def _callback_outside_scope(body: object, pages: tuple[str, ...],
                            prefixes: tuple[str, ...]) -> str | None:
    if not isinstance(body, dict):
        return "a malformed callback"
    outputs = body.get("outputs")
    for spec in outputs if isinstance(outputs, list) else [outputs]:
        component = spec.get("id") if isinstance(spec, dict) else None
        if isinstance(component, dict):
            component = component.get("type")
        if not isinstance(component, str) or not component.startswith(prefixes):
            return f"callback output {str(component)[:80]}"
    inputs = body.get("inputs")
    for item in inputs if isinstance(inputs, list) else []:
        # Dash pages' router: its pathname input decides which page's layout is built.
        if isinstance(item, dict) and item.get("id") == "_pages_location" \
                and item.get("property") == "pathname":
            path = item.get("value")
            if not isinstance(path, str) or local_page(path) not in pages:
                return f"page {str(path)[:100]} through the router"
    return None

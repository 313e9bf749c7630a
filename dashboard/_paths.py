"""Paths as the browser must ask for them."""

from __future__ import annotations

import flask


def app_path(path: str) -> str:
    """``path`` (from the app's root, "/queues/12") under the mount point the request
    came through (URL_PREFIX, e.g. "/monitor/queues/12"); as given outside a request."""
    return (flask.request.script_root if flask.has_request_context() else "") + path

"""The wall screen's refresh, served from bytes rendered once per (snapshot, language,
second, people, view).

A refresh response depends on nothing but the snapshot, the language, the second it is
rendered in, whether the session may see names and the team view it shows; hundreds of
screens asking in the same second get the same bytes. Serving them here skips Dash's
dispatch and its JSON encoding of two dozen tiles, which is most of a refresh's cost. It
runs after the auth guard (registered later), so a request without a session never
reaches it.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import flask

from . import _runtime, ids, screenview, teams
from ._memo import RenderMemo

UPDATE_PATH_SUFFIX = "/_dash-update-component"
_KEY = "trio_monitor.refresh_cache_key"


class RefreshResponseCache:
    def __init__(self, output_spec: str, size: int = 8) -> None:
        self.output_spec = output_spec  # Dash's id of the refresh callback's outputs
        self._bodies: RenderMemo[bytes] = RenderMemo(size)
        self.hits = 0

    def install(self, server: flask.Flask) -> None:
        server.before_request(self._serve_cached)
        server.after_request(self._remember)

    def key_for(self, body: Any) -> Hashable | None:
        """The cache key of a refresh request, or None for any other callback."""
        if not isinstance(body, dict) or body.get("output") != self.output_spec:
            return None
        stored_lang = asked_view = None
        for item in body.get("inputs") or []:
            if isinstance(item, dict) and item.get("id") == ids.WALLBOARD_LANG:
                stored_lang = item.get("value")
            if isinstance(item, dict) and item.get("id") == ids.WALLBOARD_VIEW:
                asked_view = item.get("value")
        runtime = _runtime.current()
        lang = screenview.wall_language(stored_lang if isinstance(stored_lang, str) else None,
                                        runtime.config.default_language)
        snapshot = runtime.read_model.snapshot()
        # Display sessions get a render without names (dashboard.screenview); a team's
        # screen its own (a display token's view or the address's ?view=).
        view, unknown = teams.requested_view(snapshot, asked_view)
        return (snapshot.version, lang, int(runtime.clock()), screenview.sees_people(),
                teams.view_key(view, unknown))

    def _serve_cached(self) -> flask.Response | None:
        request = flask.request
        if request.method != "POST" or not request.path.endswith(UPDATE_PATH_SUFFIX):
            return None
        key = self.key_for(request.get_json(silent=True))
        if key is None:
            return None
        body = self._bodies.peek(key)
        if body is None:
            flask.g.setdefault(_KEY, key)
            return None
        self.hits += 1  # for tests and debugging
        return flask.Response(body, mimetype="application/json")

    def _remember(self, response: flask.Response) -> flask.Response:
        key = flask.g.pop(_KEY, None)
        if key is not None and response.status_code == 200 and not response.direct_passthrough:
            self._bodies.put(key, response.get_data())
        return response

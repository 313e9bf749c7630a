"""Kiosk mode's pure parts: the playlist of ``?rotate=&every=``, the start and error
pages of ``/kiosk``, and the build id a screen compares to notice an upgrade."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from dash import dcc, html

from ..i18n import t

# Component ids of /kiosk, "ksk-" first (assets/kiosk.js and browser tests use them).
KSK_PLAYLIST = "ksk-playlist"  # {"paths", "everyMs", "query", "display"} for kiosk.js
KSK_STATUS = "ksk-status"

BUILD_HEADER = "X-Trio-Build"
DEFAULT_PAGES = ("wallboard",)
EVERY_DEFAULT_S = 30
EVERY_MIN_S = 5
EVERY_MAX_S = 3600
MAX_PAGES = 20
# Whose code and assets make up the build id (folders beside the dashboard package).
_BUILD_PACKAGES = ("dashboard", "auth", "alerts", "storage", "specs", "trio_monitor")
_BUILD_SUFFIXES = (".py", ".js", ".css")


class PlaylistError(ValueError):
    """A bad ``rotate`` or ``every``: ``key`` and ``fields`` make the readable message."""

    def __init__(self, key: str, **fields: Any) -> None:
        super().__init__(f"{key}: {fields}")
        self.key = key
        self.fields = fields

    def text(self, lang: str) -> str:
        return t(self.key, lang, **self.fields)


@dataclass(frozen=True)
class Playlist:
    pages: tuple[str, ...]
    every_s: int
    paths: tuple[str, ...]  # of the pages, in the same order

    @property
    def query(self) -> str:
        """The canonical query of this playlist, to open ``/display/<token>`` again."""
        return "?" + urlencode({"rotate": ",".join(self.pages), "every": self.every_s})


def parse_playlist(
    rotate: str | None, every: str | None, available: Mapping[str, str]
) -> Playlist:
    """The playlist of ``?rotate=a,b&every=30``; PlaylistError on anything else.

    ``available``: name -> path of the pages a screen may show, in the order offered
    (those that declare ``kiosk=`` at ``dash.register_page``).

    No ``rotate``: the wall screen alone. No ``every``: 30 s. ``every`` is a whole number
    of seconds, 5-3600; a page may appear more than once (at most 20 entries)."""
    names = tuple(part.strip().lower() for part in (rotate or "").split(",") if part.strip())
    pages = names or DEFAULT_PAGES
    if len(pages) > MAX_PAGES:
        raise PlaylistError("ksk_too_many", n=len(pages), max=MAX_PAGES)
    for name in pages:
        if name not in available:
            raise PlaylistError("ksk_unknown_page", page=name[:40],
                                allowed=", ".join(available))
    return Playlist(pages=pages, every_s=_every(every),
                    paths=tuple(available[name] for name in pages))


def _every(value: str | None) -> int:
    if value is None or not value.strip():
        return EVERY_DEFAULT_S
    text = value.strip()
    if not text.isdecimal() or len(text) > 6:
        raise PlaylistError("ksk_bad_every", value=text[:20])
    seconds = int(text)
    if not EVERY_MIN_S <= seconds <= EVERY_MAX_S:
        raise PlaylistError("ksk_every_range", value=seconds, min=EVERY_MIN_S, max=EVERY_MAX_S)
    return seconds


def build_start(playlist: Playlist, display: bool, lang: str) -> html.Div:
    """What /kiosk shows while it hands the playlist to assets/kiosk.js. A display
    session's browser becomes a wall screen; a logged-in user's tab rotates the same
    pages, and is told how a wall screen is set up."""
    pages = ", ".join(playlist.pages)
    if len(playlist.pages) > 1:
        pages = t("ksk_every", lang, pages=pages, every=playlist.every_s)
    data = {"paths": list(playlist.paths), "everyMs": playlist.every_s * 1000,
            "query": playlist.query, "display": display}
    lines = [html.H1(t("ksk_title", lang)), html.P(t("ksk_starting", lang, pages=pages))]
    if not display:
        lines.append(html.P(t("ksk_not_display", lang), className="kiosk__note"))
    return html.Div([dcc.Store(id=KSK_PLAYLIST, data=data),
                     html.Div(id=KSK_STATUS, hidden=True), *lines],
                    className="kiosk-start")


def build_error(message: str, lang: str) -> html.Div:
    """A readable page for a screen whose address is wrong (read from across a room)."""
    return html.Div([
        dcc.Store(id=KSK_PLAYLIST, data=None),
        html.Div(id=KSK_STATUS, hidden=True),
        html.H1(t("ksk_error_title", lang)),
        html.P(message, className="kiosk__error", role="alert"),
        html.P(t("ksk_example", lang), className="kiosk__note"),
    ], className="kiosk-start kiosk-start--error")


def build_id(root: Path | None = None, override: str | None = None) -> str:
    """``override`` if given, else a short hash of the code and assets under ``root``
    (the folder holding the project's packages): a restart keeps it, an upgrade
    changes it."""
    if override:
        return override[:64]
    return _code_hash(root if root is not None else Path(__file__).resolve().parents[2])


@functools.cache
def _code_hash(base: Path) -> str:
    digest = hashlib.sha256()
    for package in _BUILD_PACKAGES:
        folder = base / package
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix in _BUILD_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]

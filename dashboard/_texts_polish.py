"""Texts of the `polish` branch, folded into the catalog at merge
(``scripts/i18n.py import-dict dashboard._texts_polish --remove``)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # A tile's foot: "uppdaterad för 12 s sedan" beside "larm sedan 15:13" fitted one
    # row of a 48-queue wall only at 7.5 px; "uppd." is the abbreviation Swedish news
    # pages use for the same thing. Replaces "updated_ago" on the tiles.
    "tile_updated_ago": ("updated {age} ago", "uppd. {age} sedan"),
}

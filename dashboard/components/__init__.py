"""Pure builders: plain data in, Dash components out. No I/O, no clock."""

from .layout import build_layout
from .strip import build_status_strip
from .tiles import build_tile, build_tiles
from .topbar import build_summary
from .wallboard import WallboardParts, build_tile_area, build_wallboard

__all__ = [
    "WallboardParts",
    "build_layout",
    "build_status_strip",
    "build_summary",
    "build_tile",
    "build_tile_area",
    "build_tiles",
    "build_wallboard",
]

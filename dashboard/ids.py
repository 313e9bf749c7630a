"""Component ids used by more than one page or by the app itself: the page frame every
page but the wall screen has (``pages-``), and the wall screen's (its refresh, heartbeat
and language are read by ``_app`` and the response cache; its alert sound by the layout).

A page's own ids live in its components module (``components/alerts.py``: ``ALR_*``), or
in the page module when only it uses them. One constant each, kebab-case with the page as
prefix; browser tests use the strings.
"""

# wall screen (pages/wallboard.py)
WALLBOARD_LANG = "wallboard-lang"
WALLBOARD_LANG_EN = "wallboard-lang-en"
WALLBOARD_LANG_SV = "wallboard-lang-sv"
WALLBOARD_REFRESH = "wallboard-refresh"
WALLBOARD_TICK = "wallboard-tick"
WALLBOARD_HEARTBEAT = "wallboard-heartbeat"
WALLBOARD_HEARTBEAT_SEEN = "wallboard-heartbeat-seen"
WALLBOARD_WATCHDOG_CONFIG = "wallboard-watchdog-config"
WALLBOARD_CLOCK = "wallboard-clock"
WALLBOARD_SUMMARY = "wallboard-summary"
WALLBOARD_STRIP = "wallboard-strip"
WALLBOARD_TILES = "wallboard-tiles"
WALLBOARD_OVERLAY = "wallboard-overlay"
WALLBOARD_OVERLAY_TEXT = "wallboard-overlay-text"
WALLBOARD_LOGOUT_BUTTON = "wallboard-logout-button"
# The team view asked for in the address (?view=<name>) and the top bar's title.
WALLBOARD_VIEW = "wallboard-view"
WALLBOARD_TITLE = "wallboard-title"
WALLBOARD_NAV = "wallboard-nav"  # the wall's navigation (an interactive session only)
WALLBOARD_MENU = "wallboard-menu"  # the menu button (assets/layout.js finds it by class)
# The tile type for dict ids / browser tests: {"type": WALLBOARD_TILE, "queue": id}.
WALLBOARD_TILE = "wallboard-tile"

# pages shared by /health and /drift (components/pageframe.py)
PAGES_LANG = "pages-lang"
PAGES_LANG_EN = "pages-lang-en"
PAGES_LANG_SV = "pages-lang-sv"
PAGES_LOGOUT_BUTTON = "pages-logout-button"
PAGES_NAV = "pages-nav"
PAGES_META = "pages-meta"  # {"title": text key, "path": the page's path}
PAGES_TITLE = "pages-title"
PAGES_ZONE = "pages-zone"  # the footer naming the site's time zone
PAGES_MENU = "pages-menu"  # the menu button (assets/layout.js finds it by class)

# wall screen: the sound toggle (stored per screen) and the critical alerts it beeps on
ALR_WALL_SOUND = "alr-wall-sound"  # localStorage: true = beep on a new critical alert
ALR_WALL_SOUND_BUTTON = "alr-wall-sound-button"
ALR_WALL_CRITICAL = "alr-wall-critical"  # ids of the critical alerts firing now
ALR_WALL_BEEPED = "alr-wall-beeped"  # what the beeper last did (for browser tests)

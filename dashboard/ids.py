"""Component ids: one constant each, kebab-case with the page as prefix."""

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

# source health (pages/health.py)
HEALTH_REFRESH = "health-refresh"
HEALTH_SOURCE = "health-source"  # the source shown in detail (from ?source=), or None
HEALTH_BODY = "health-body"
HEALTH_TARGETS = "health-targets"
HEALTH_TARGETS_CHANGED = "health-targets-changed"
HEALTH_FORM = "health-form"
HEALTH_FORM_EDITING = "health-form-editing"  # name of the target being edited, or None
HEALTH_FORM_TITLE = "health-form-title"
HEALTH_FORM_MESSAGE = "health-form-message"
HEALTH_FORM_SAVE = "health-form-save"
HEALTH_FORM_DELETE = "health-form-delete"
HEALTH_FORM_NEW = "health-form-new"
# One input and one error line per field of a target: f"{prefix}{field}".
HEALTH_FORM_INPUT_PREFIX = "health-form-input-"
HEALTH_FORM_ERROR_PREFIX = "health-form-error-"
# A card of the grid, for browser tests: {"type": HEALTH_CARD, "source": name}.
HEALTH_CARD = "health-card"

# reconciliation drift (pages/drift.py)
DRIFT_REFRESH = "drift-refresh"
DRIFT_BODY = "drift-body"

# thresholds page (pages/thresholds.py, issue 5): ids start with "thr-"
# alerts page (pages/alerts.py, issue 5) and wall screen alert marks: ids start with "alr-"

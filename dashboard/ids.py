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
PAGES_ZONE = "pages-zone"  # the footer naming the site's time zone

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

# thresholds page (pages/thresholds.py): ids start with "thr-"
THR_RULES = "thr-rules"
THR_RULES_MESSAGE = "thr-rules-message"
THR_AUDIT = "thr-audit"
THR_CHANGED = "thr-changed"  # set after the form saved or deleted: tables reload
THR_TOGGLED = "thr-toggled"  # set after a table button enabled or disabled a rule
# The enable/disable button of a rule: {"type": THR_TOGGLE, "rule": id, "version": v}.
THR_TOGGLE = "thr-toggle"
# A row of the rules table, for browser tests: {"type": THR_ROW, "rule": id}.
THR_ROW = "thr-row"
THR_FORM = "thr-form"
THR_FORM_EDITING = "thr-form-editing"  # {"id", "version"} of the rule edited, or None
THR_FORM_TITLE = "thr-form-title"
THR_FORM_MESSAGE = "thr-form-message"
THR_FORM_SAVE = "thr-form-save"
THR_FORM_DELETE = "thr-form-delete"  # a confirm dialog around the delete button
THR_FORM_DELETE_BUTTON = "thr-form-delete-button"
THR_FORM_NEW = "thr-form-new"
THR_FORM_BACKTEST = "thr-form-backtest"
THR_METRICS = "thr-metrics"  # the metric input's suggestions (a datalist)
# One input and one error line per field of a rule: f"{prefix}{field}".
THR_FORM_INPUT_PREFIX = "thr-form-input-"
THR_FORM_ERROR_PREFIX = "thr-form-error-"
# Time windows: rows {"type": THR_WINDOW_DAYS | _START | _END, "index": n}.
THR_WINDOWS = "thr-windows"
THR_WINDOW_DAYS = "thr-window-days"
THR_WINDOW_START = "thr-window-start"
THR_WINDOW_END = "thr-window-end"
THR_WINDOW_ADD = "thr-window-add"
THR_BACKTEST = "thr-backtest"
# alerts page (pages/alerts.py) and wall screen alert marks: ids start with "alr-"
ALR_REFRESH = "alr-refresh"
ALR_FIRING = "alr-firing"
ALR_PENDING = "alr-pending"
ALR_HISTORY = "alr-history"
ALR_HISTORY_TITLE = "alr-history-title"
ALR_SILENCES = "alr-silences"
ALR_CHANNELS = "alr-channels"
ALR_FILTER_RULE = "alr-filter-rule"
ALR_FILTER_ENTITY = "alr-filter-entity"
# Acknowledging: a button per open alert picks it ({"type": ALR_ACK_PICK, "rule": id,
# "series": key, "alert": alert id}); the panel outside the refreshed tables takes the
# comment, so a refresh never wipes what someone is typing.
ALR_ACK_PICK = "alr-ack-pick"
ALR_ACK_TARGET = "alr-ack-target"
ALR_ACK_PANEL = "alr-ack-panel"
ALR_ACK_TITLE = "alr-ack-title"
ALR_ACK_COMMENT = "alr-ack-comment"
ALR_ACK_SUBMIT = "alr-ack-submit"
ALR_ACK_CANCEL = "alr-ack-cancel"
ALR_ACK_MESSAGE = "alr-ack-message"
ALR_ACKED = "alr-acked"  # changes after an acknowledgement: refreshes the tables
# Silences: the list (end buttons {"type": ALR_SILENCE_END, "silence": id}) and the
# admins' form.
ALR_SILENCE_END = "alr-silence-end"
ALR_SILENCES_CHANGED = "alr-silences-changed"
ALR_SILENCES_MESSAGE = "alr-silences-message"
ALR_SILENCE_FORM = "alr-silence-form"
ALR_SILENCE_TICK = "alr-silence-tick"  # refreshes the form's choices
ALR_SILENCE_RULE = "alr-silence-rule"
ALR_SILENCE_SOURCE = "alr-silence-source"
ALR_SILENCE_KIND = "alr-silence-kind"
ALR_SILENCE_ENTITIES = "alr-silence-entities"
ALR_SILENCE_DURATION = "alr-silence-duration"
ALR_SILENCE_REASON = "alr-silence-reason"
ALR_SILENCE_CREATE = "alr-silence-create"
# Channels: a test button per channel ({"type": ALR_CHANNEL_TEST, "channel": name}) and
# the outbox ids of the test messages this page asked for ({channel: id}).
ALR_CHANNEL_TEST = "alr-channel-test"
ALR_TESTS = "alr-tests"
ALR_CHANNELS_MESSAGE = "alr-channels-message"
# A row of the firing table, for browser tests: {"type": ALR_ROW, "alert": alert id}.
ALR_ROW = "alr-row"
# wall screen: the sound toggle (stored per screen) and the critical alerts it beeps on
ALR_WALL_SOUND = "alr-wall-sound"  # localStorage: true = beep on a new critical alert
ALR_WALL_SOUND_BUTTON = "alr-wall-sound-button"
ALR_WALL_CRITICAL = "alr-wall-critical"  # ids of the critical alerts firing now
ALR_WALL_BEEPED = "alr-wall-beeped"  # what the beeper last did (for browser tests)

# admin page (pages/admin.py): ids start with "adm-"
ADM_REFRESH = "adm-refresh"
ADM_CHANGED = "adm-changed"  # set after a change: the tables reload at once
ADM_USERS = "adm-users"
ADM_USERS_MESSAGE = "adm-users-message"
# A button of a user's row: {"type": ADM_USER_ACTION, "user": name, "action": what}.
ADM_USER_ACTION = "adm-user-action"
ADM_NEW_USERNAME = "adm-new-username"
ADM_NEW_PASSWORD = "adm-new-password"
ADM_NEW_ROLE = "adm-new-role"
ADM_ADD_USER = "adm-add-user"
ADM_RESET_USER = "adm-reset-user"
ADM_RESET_PASSWORD = "adm-reset-password"
ADM_RESET_SUBMIT = "adm-reset-submit"
ADM_DISPLAYS = "adm-displays"
ADM_DISPLAYS_MESSAGE = "adm-displays-message"
ADM_DISPLAYS_CHANGED = "adm-displays-changed"  # set after a token was created or revoked
ADM_DISPLAY_NAME = "adm-display-name"
ADM_DISPLAY_CREATE = "adm-display-create"
ADM_DISPLAY_TOKEN = "adm-display-token"  # the new token's address, shown once
# A token's revoke button (a confirm dialog): {"type": ADM_DISPLAY_REVOKE, "display": id}.
ADM_DISPLAY_REVOKE = "adm-display-revoke"
# A row of the screens table, for tests: {"type": ADM_DISPLAY_ROW, "display": id}.
ADM_DISPLAY_ROW = "adm-display-row"
# Login sessions and locks.
ADM_SESSIONS = "adm-sessions"
ADM_SESSIONS_MESSAGE = "adm-sessions-message"
# A session's end button: {"type": ADM_SESSION_END, "session": id, "user": name}.
ADM_SESSION_END = "adm-session-end"
ADM_LOCKS = "adm-locks"
# A lock's unlock button: {"type": ADM_UNLOCK, "user": name}.
ADM_UNLOCK = "adm-unlock"
ADM_LOGOUT_EVERYWHERE = "adm-logout-everywhere"
ADM_SESSIONS_CHANGED = "adm-sessions-changed"  # set after a session ended or a lock lifted
ADM_AUDIT = "adm-audit"
ADM_AUDIT_ACTOR = "adm-audit-actor"
ADM_AUDIT_ACTION = "adm-audit-action"
ADM_AUDIT_RANGE = "adm-audit-range"

# kiosk mode (pages/kiosk.py, assets/kiosk.js): ids start with "ksk-"
KSK_PLAYLIST = "ksk-playlist"  # {"paths", "everyMs", "query", "display"} for kiosk.js
KSK_STATUS = "ksk-status"

# queue history (pages/queue.py): ids start with "hst-"
HST_VIEW = "hst-view"  # {"queue": id, "range", "from", "to"}: the range the page shows
HST_LOCATION = "hst-location"  # set by the custom range form: the URL holds the range
HST_CHARTS_REFRESH = "hst-charts-refresh"
HST_AGENTS_REFRESH = "hst-agents-refresh"
HST_RANGES = "hst-ranges"  # the preset links
HST_FROM = "hst-from"
HST_FROM_LABEL = "hst-from-label"
HST_TO = "hst-to"
HST_TO_LABEL = "hst-to-label"
HST_APPLY = "hst-apply"
HST_TIME_HINT = "hst-time-hint"
HST_RANGE_MESSAGE = "hst-range-message"  # what is wrong with the custom range typed
HST_NOTICE = "hst-notice"  # what was wrong with the range in the address
HST_STATUS = "hst-status"  # stale queue, failing source, no collector
HST_LEGEND = "hst-legend"
HST_CHARTS = "hst-charts"
HST_AGENTS = "hst-agents"
HST_DAILY = "hst-daily"
HST_CSV = "hst-csv"  # the CSV download link (inside HST_DAILY)
HST_MISSING = "hst-missing"  # the "no such queue" text (an unknown id in the address)

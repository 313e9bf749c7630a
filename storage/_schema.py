"""Tables, as SQLAlchemy Core metadata. Revision 0001 must create exactly this.

All timestamps are BIGINT epoch milliseconds (UTC).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

# Named constraints make SQLite batch migrations (copy-and-move) deterministic.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# SQLite only auto-increments an "INTEGER PRIMARY KEY"; BIGINT there would not.
EventId = BigInteger().with_variant(Integer(), "sqlite")

series = Table(
    "series",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String, nullable=False),
    Column("entity_kind", String, nullable=False),
    Column("entity_id", String, nullable=False),
    Column("entity_name", String, nullable=False),
    Column("metric", String, nullable=False),
    Column("unit", String, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # The natural key; also serves "series of a source" lookups (leading column).
    UniqueConstraint("source", "entity_kind", "entity_id", "metric"),
)

samples = Table(
    "samples",
    metadata,
    # Deliberately no FOREIGN KEY to series: PostgreSQL checks an FK with one lookup
    # query per inserted row, which halved bulk-insert throughput (measured ~130k vs
    # ~270k samples/s). The write path only inserts ids it resolved from `series` in
    # the same transaction, and series rows are never deleted while samples exist.
    Column("series_id", Integer, primary_key=True),
    Column("ts", BigInteger, primary_key=True),
    Column("value", Double, nullable=False),
    # No other index: the PK (series_id, ts) serves the range read
    # `WHERE series_id = ? AND ts BETWEEN ? AND ?` and the duplicate check of
    # `INSERT OR IGNORE` / `ON CONFLICT DO NOTHING` on write.
    # WITHOUT ROWID stores rows in the PK b-tree itself: half the size, faster inserts.
    sqlite_with_rowid=False,
)

current = Table(
    "current",
    metadata,
    Column("series_id", Integer, ForeignKey("series.id"), primary_key=True),
    Column("ts", BigInteger, nullable=False),
    Column("value", Double, nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("name", String, primary_key=True),
    Column("kind", String, nullable=False),
    Column("url", String, nullable=False),
    Column("last_poll_at", BigInteger),
    Column("last_success_at", BigInteger),
    Column("last_error", Text),
    Column("last_error_at", BigInteger),
    Column("failing_since", BigInteger),
    Column("consecutive_failures", Integer, nullable=False),
    Column("breaker_state", String, nullable=False),
    Column("breaker_opened_at", BigInteger),
    Column("breaker_retry_at", BigInteger),
    Column("last_duration_ms", BigInteger),
    Column("failover_active", Boolean, nullable=False),
    Column("active_url", String),
    Column("records_skipped", Integer, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # The shown state the collector decided (health: up/degraded/down/pending), why, since.
    Column("state", String),
    Column("state_reason", Text),
    Column("state_since", BigInteger),
)

source_events = Table(
    "source_events",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("source", String, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("kind", String, nullable=False),
    Column("message", Text, nullable=False),
    # Set on kind "state": the transition, so uptime is computed from the events.
    Column("from_state", String),
    Column("to_state", String),
    # Serves source_events(source) newest first.
    Index(None, "source", "ts"),
)

agents = Table(
    "agents",
    metadata,
    Column("source", String, primary_key=True),
    Column("agent_id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("state", String, nullable=False),
    Column("state_since", BigInteger),
    Column("queue_ids", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

agent_events = Table(
    "agent_events",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("source", String, nullable=False),
    Column("agent_id", String, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("from_state", String),
    Column("to_state", String, nullable=False),
    # Serves agent_events(source[, agent_id]) newest first.
    Index(None, "source", "agent_id", "ts"),
    Index(None, "source", "ts"),
)

lease = Table(
    "lease",
    metadata,
    Column("name", String, primary_key=True),
    Column("holder", String, nullable=False),
    Column("token", BigInteger, nullable=False),
    Column("acquired_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("renewed_at", BigInteger, nullable=False),
)

ALL_TABLES = (series, samples, current, sources, source_events, agents, agent_events, lease)

# -- revision 0002: users and login failures ------------------------------------------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Stored lower-case; the unique constraint is the only username lookup index.
    Column("username", String(64), nullable=False),
    Column("password_hash", String, nullable=False),
    Column("role", String, nullable=False),
    Column("disabled", Boolean, nullable=False),
    # Bumped when existing sessions must end (password change, disabling): a session
    # remembers the value it was issued with and is refused once they differ.
    Column("session_version", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("last_login_at", BigInteger),
    Column("updated_at", BigInteger, nullable=False),
    # (revision 0008) The language the user last chose ("en", "sv"); NULL: not chosen,
    # the browser's or the site's default applies.
    Column("language", String(8), nullable=True),
    UniqueConstraint("username"),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    # Normalised as typed; may name no user at all (so lockout cannot tell them apart).
    Column("username", String, nullable=False),
    Column("client_addr", String, nullable=False),
    Column("ts", BigInteger, nullable=False),
    # (revision 0007) An attempt refused because a lock was in force: it counts towards
    # the per-address limit only, so hammering a lock neither extends nor deepens it.
    Column("refused", Boolean, nullable=False, server_default=false()),
    # Serve the two lockout counts: failures of a name / of an address since a time.
    Index(None, "username", "ts"),
    Index(None, "client_addr", "ts"),
)

# Server-side login sessions (revision 0007). The browser's signed cookie holds a random
# token; only its SHA-256 is stored (32 random bytes: nothing to guess, so a fast hash
# and a single index probe per request). A session is valid while ``revoked_at`` is
# NULL and ``expires_at`` is in the future; logout, a password change, disabling and
# demotion set ``revoked_at`` so the next request with the cookie is refused.
sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("last_seen_at", BigInteger, nullable=False),
    # Idle expiry (last_seen_at + idle timeout), never beyond created_at + 30 days.
    Column("expires_at", BigInteger, nullable=False),
    Column("client_addr", String(64), nullable=True),
    Column("user_agent", String(300), nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
    # Why it ended: logout, password, disabled, role, ended by an admin, ...
    Column("revoked_reason", String(40), nullable=True),
    # Serves the lookup of every request's session by its token.
    UniqueConstraint("token_hash"),
    # Serves "the sessions of a user" (the admin page, ending them all).
    Index(None, "user_id", "expires_at"),
)

AUTH_TABLES = (users, login_failures, sessions)


health_targets = Table(
    "health_targets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("url", String, nullable=False),
    Column("interval_s", Float, nullable=False),
    Column("timeout_s", Float, nullable=False),
    # "2xx" or a comma list of codes, as specs.health validates it.
    Column("expected_status", String, nullable=False),
    # JSON list of condition strings, e.g. ["status == \"ok\"", "age(last_successful_run) < 10m"].
    Column("conditions", Text, nullable=False),
    Column("degraded_latency_ms", Integer),
    Column("down_after", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False),
    # Created from TRIO_MONITOR_HEALTH_TARGETS at start: read-only in the UI.
    Column("from_config", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("name"),
)

# The resources drifting now, per reconciler source; a row leaves when reconciled.
drift_resources = Table(
    "drift_resources",
    metadata,
    Column("source", String, primary_key=True),
    Column("resource_id", String, primary_key=True),
    Column("field", String, primary_key=True),
    Column("provider", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("desired", Text, nullable=False),
    Column("actual", Text, nullable=False),
    Column("detected_at", BigInteger, nullable=False),
    Column("last_seen_at", BigInteger, nullable=False),
)

# Append-only: "started" when a (resource, field) begins drifting, "reconciled" (with
# duration_ms) when it stops; "how long did drift last" is answered from these rows.
drift_events = Table(
    "drift_events",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("source", String, nullable=False),
    Column("resource_id", String, nullable=False),
    Column("field", String, nullable=False),
    Column("provider", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("event", String, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("desired", Text),
    Column("actual", Text),
    Column("duration_ms", BigInteger),
    # Serves drift_events(source) newest first.
    Index(None, "source", "ts"),
)

# -- alerting (revision 0004) ----------------------------------------------------------

# Key/value facts the application keeps about itself ("alert_rules_seeded").
app_meta = Table(
    "app_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    # JSON of alerts.rule_as_mapping without id, name and enabled.
    Column("spec", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("builtin", Boolean, nullable=False),  # one of the shipped defaults
    Column("version", Integer, nullable=False),  # optimistic concurrency for edits
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("updated_by", String, nullable=True),
    UniqueConstraint("name"),
)

# One row per (rule, series): the persisted alerts.AlertStatus plus the open alert.
alert_states = Table(
    "alert_states",
    metadata,
    Column("rule_id", Integer, primary_key=True),
    Column("series_key", String, primary_key=True),  # "source|entity_kind|entity_id"
    Column("source", String, nullable=False),
    Column("entity_kind", String, nullable=False),
    Column("entity_id", String, nullable=False),
    Column("entity_name", String, nullable=False),
    Column("metric", String, nullable=False),
    Column("state", String, nullable=False),
    Column("severity", String, nullable=True),
    Column("since_at", BigInteger, nullable=False),
    Column("pending_since_at", BigInteger, nullable=True),
    Column("breach_ended_at", BigInteger, nullable=True),
    Column("last_value", Double, nullable=True),
    Column("last_value_at", BigInteger, nullable=True),
    Column("reason", Text, nullable=False),
    Column("alert_id", String, nullable=True),  # the open alert; None when nothing is open
    Column("opened_at", BigInteger, nullable=True),
    Column("last_notified_at", BigInteger, nullable=True),
    Column("ack_by", String, nullable=True),
    Column("ack_at", BigInteger, nullable=True),
    Column("ack_comment", Text, nullable=True),
    Column("version", Integer, nullable=False),  # compare-and-set
    Column("updated_at", BigInteger, nullable=False),
)

alert_events = Table(
    "alert_events",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("ts", BigInteger, nullable=False),
    Column("rule_id", Integer, nullable=False),
    Column("rule_name", String, nullable=False),
    Column("series_key", String, nullable=False),
    Column("source", String, nullable=False),
    Column("entity_kind", String, nullable=False),
    Column("entity_id", String, nullable=False),
    Column("entity_name", String, nullable=False),
    Column("alert_id", String, nullable=True),
    Column("event", String, nullable=False),  # alerts.AlertEvent, or acknowledged, ...
    Column("from_state", String, nullable=True),
    Column("to_state", String, nullable=True),
    Column("severity", String, nullable=True),
    Column("value", Double, nullable=True),
    Column("reason", Text, nullable=False),
    Column("silenced", Boolean, nullable=False),
    Column("actor", String, nullable=True),  # who, for events a person caused
    Index("ix_alert_events_ts", "ts"),
    Index("ix_alert_events_rule_series_ts", "rule_id", "series_key", "ts"),
)

alert_silences = Table(
    "alert_silences",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule_id", Integer, nullable=True),  # None = every rule
    Column("source", String, nullable=True),  # None = every source
    Column("entity_kind", String, nullable=True),
    Column("entity_ids", Text, nullable=False),  # JSON list; [] = every entity
    Column("starts_at", BigInteger, nullable=False),
    Column("ends_at", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_by", String, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger, nullable=True),  # ended early by a person
    Column("ended_by", String, nullable=True),
)

# State of each configured notification channel (channels are configured in settings).
notify_channels = Table(
    "notify_channels",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("kind", String, nullable=False),
    Column("state", String, nullable=False),  # ok | failing
    Column("state_since", BigInteger, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("last_error_at", BigInteger, nullable=True),
    Column("last_ok_at", BigInteger, nullable=True),
    Column("updated_at", BigInteger, nullable=False),
)

# Durable outbox: a notification is written in the transaction that changed the state,
# then delivered by the collector's notifier.
notify_outbox = Table(
    "notify_outbox",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("channel", String(64), nullable=False),
    Column("kind", String, nullable=False),  # firing | resolved | repeat | test
    Column("alert_id", String, nullable=True),
    Column("payload", Text, nullable=False),  # JSON of alerts.notify.Notification
    Column("status", String, nullable=False),  # queued | sending | delivered | failed
    Column("created_at", BigInteger, nullable=False),
    Column("due_at", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("claimed_at", BigInteger, nullable=True),
    Column("finished_at", BigInteger, nullable=True),
    Column("requested_by", String, nullable=True),  # test messages: the admin
    Index("ix_notify_outbox_status_due", "status", "due_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", EventId, primary_key=True, autoincrement=True),
    Column("ts", BigInteger, nullable=False),
    Column("actor", String, nullable=False),  # username, or "system"
    Column("action", String, nullable=False),  # "rule.update", "alert.ack", ...
    Column("target", String, nullable=False),
    Column("before", Text, nullable=True),  # JSON
    Column("after", Text, nullable=True),  # JSON
    Column("client_addr", String, nullable=True),
    Index("ix_audit_log_ts", "ts"),
    Index("ix_audit_log_action_ts", "action", "ts"),
)

# -- rollups (revision 0005) -----------------------------------------------------------


def _rollup_table(name: str) -> Table:
    """A rollup of ``samples`` into buckets; ``ts`` is the bucket's start (epoch ms).

    mean = sum / count; ``last`` is the value of the bucket's newest sample, taken at
    ``last_ts``. Like ``samples``: no FK to series, and WITHOUT ROWID on SQLite.
    """
    return Table(
        name,
        metadata,
        Column("series_id", Integer, primary_key=True),
        Column("ts", BigInteger, primary_key=True),
        Column("min", Double, nullable=False),
        Column("max", Double, nullable=False),
        Column("sum", Double, nullable=False),
        Column("count", Integer, nullable=False),
        Column("last", Double, nullable=False),
        Column("last_ts", BigInteger, nullable=False),
        # The PK (series_id, ts) serves every range read and the batched retention deletes.
        sqlite_with_rowid=False,
    )


rollup_1m = _rollup_table("rollup_1m")
rollup_1h = _rollup_table("rollup_1h")
# Revision 0011: one row per series and local day of the site's zone (``rollup_state``'s
# ``zone`` of "1d"); ``ts`` is the day's start as UTC epoch ms (days of 23 or 25 hours).
rollup_1d = _rollup_table("rollup_1d")

# One row per resolution ("raw", "1m", "1h"): how far it is complete and how far back it
# still reaches. Written only by the collector's rollup and retention jobs (fenced).
rollup_state = Table(
    "rollup_state",
    metadata,
    Column("resolution", String(8), primary_key=True),
    # Every sample of the finer resolution with ts < watermark is rolled up (None for raw).
    Column("watermark", BigInteger, nullable=True),
    # Rows with ts < retained_from may have been deleted by retention (None: none were).
    Column("retained_from", BigInteger, nullable=True),
    Column("updated_at", BigInteger, nullable=False),
    # "1d" only (revision 0011): the IANA zone whose local days rollup_1d holds.
    Column("zone", String, nullable=True),
)

# -- displays (revision 0006) ----------------------------------------------------------

# A named token for one wall screen. Only the token's SHA-256 is stored: the
# token is 32 random bytes, so a fast hash is enough (nothing to brute-force), and a
# lookup by hash is one index probe. The last_* columns are what the screen last did.
displays = Table(
    "displays",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False),  # hex SHA-256 of the token
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
    Column("revoked_by", String, nullable=True),
    Column("last_seen_at", BigInteger, nullable=True),
    Column("last_addr", String, nullable=True),
    Column("last_user_agent", String, nullable=True),
    Column("last_page", String, nullable=True),
    # (revision 0008) The screen's language ("en", "sv"); NULL: the site's default.
    Column("language", String(8), nullable=True),
    # (revision 0012) The team view the screen always shows; NULL: the whole site.
    # No database foreign key (SQLite would need a table rebuild to add one): deleting a
    # view clears it here in the same transaction (storage/_views.py).
    Column("view_id", Integer, nullable=True),
    # Serves the lookup of every display login by its token.
    UniqueConstraint("token_hash"),
)


# A team's wall screen: a title and the queues it shows, in order. ``name`` is the URL
# slug a logged-in user opens it by (``/?view=<name>``); display tokens point at one
# through displays.view_id. Changes are audited ("view.*").
wall_views = Table(
    "wall_views",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("title", String(100), nullable=False),
    Column("queue_ids", Text, nullable=False),  # JSON list of queue ids, in screen order
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("updated_by", String, nullable=False),
    UniqueConstraint("name"),
)

# Messages to the floor: a ticker on the wall screens until it expires or is withdrawn.
floor_messages = Table(
    "floor_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text", Text, nullable=False),
    Column("displays", Text, nullable=False),  # JSON list of display token ids; [] = all
    Column("expires_at", BigInteger, nullable=False),
    Column("created_by", String, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("withdrawn_at", BigInteger, nullable=True),
    Column("withdrawn_by", String, nullable=True),
    # Serves the screens' read of the messages still running (expires_at > now).
    Index(None, "expires_at"),
)

# Planned maintenance: a silence that starts later ("once", starts_at .. ends_at) or a
# weekly window in a time zone ("weekly": weekdays, start_minute .. end_minute of local
# time). Scoped like alert_silences.
maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule_id", Integer, nullable=True),  # None = every rule
    Column("source", String, nullable=True),  # None = every source
    Column("entity_kind", String, nullable=True),
    Column("entity_ids", Text, nullable=False),  # JSON list; [] = every entity
    Column("kind", String(16), nullable=False),  # once | weekly
    Column("starts_at", BigInteger, nullable=True),  # once
    Column("ends_at", BigInteger, nullable=True),  # once
    Column("weekdays", String(16), nullable=True),  # weekly: "6" (Sunday), "0,2" ...
    Column("start_minute", Integer, nullable=True),  # weekly: minutes after local midnight
    Column("end_minute", Integer, nullable=True),  # weekly: <= start_minute: the next day
    Column("timezone", String(64), nullable=True),  # weekly: the zone of those minutes
    Column("reason", Text, nullable=False),
    Column("created_by", String, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger, nullable=True),  # withdrawn by a person
    Column("ended_by", String, nullable=True),
)

# A queue's own service-level target ("90/30"); queues without a row have the site's
# default (settings). One row per queue of a source; the audit log keeps the changes.
queue_targets = Table(
    "queue_targets",
    metadata,
    Column("source", String, primary_key=True),
    Column("queue_id", String, primary_key=True),
    Column("sl_target_pct", Float, nullable=False),
    Column("sl_threshold_s", Integer, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("updated_by", String, nullable=False),
)

"""Storage: tables, engine, migrations and every query of Trio Monitor.

Imports nothing of the project's other packages. See docs/DESIGN.md "Storage".
"""

from ._engine import make_engine
from ._errors import (
    LeaseLost,
    SchemaOutOfDate,
    SchemaTooNew,
    StorageError,
    StorageUnavailable,
    StorageWriteFailed,
)
from ._migrate import (
    check_schema,
    current_revision,
    head_revision,
    is_known_revision,
    upgrade,
)
from ._records import (
    AgentEvent,
    AgentRecord,
    AgentRow,
    CurrentRow,
    DriftItem,
    EventTuple,
    LeaseInfo,
    PollWrite,
    Sample,
    SeriesKey,
    SeriesRow,
    SourceEvent,
    SourceFacts,
)
from ._schema import metadata
from ._store import Store

__all__ = [
    "AgentEvent",
    "AgentRecord",
    "AgentRow",
    "CurrentRow",
    "DriftItem",
    "EventTuple",
    "LeaseInfo",
    "LeaseLost",
    "PollWrite",
    "Sample",
    "SchemaOutOfDate",
    "SchemaTooNew",
    "SeriesKey",
    "SeriesRow",
    "SourceEvent",
    "SourceFacts",
    "StorageError",
    "StorageUnavailable",
    "StorageWriteFailed",
    "Store",
    "check_schema",
    "current_revision",
    "head_revision",
    "is_known_revision",
    "make_engine",
    "metadata",
    "upgrade",
]

# -- users and login failures (auth) ---------------------------------------------------
from ._engine import ping
from ._users import FailureCount, UserRow, UserStore

__all__ += ["FailureCount", "UserRow", "UserStore", "ping"]

# -- health targets --------------------------------------------------------------------
from ._health import (  # noqa: E402 - after the users block's __all__ +=
    HealthTargetRow,
    HealthTargetStore,
    ReadOnlyTarget,
    SyncSummary,
    TargetExists,
    TargetFields,
    UnknownTarget,
)

__all__ += [
    "HealthTargetRow",
    "HealthTargetStore",
    "ReadOnlyTarget",
    "SyncSummary",
    "TargetExists",
    "TargetFields",
    "UnknownTarget",
]

# -- reconciliation drift --------------------------------------------------------------
from ._drift import DriftEventKind, DriftEventRow, DriftResourceRow, DriftStore  # noqa: E402

__all__ += ["DriftEventKind", "DriftEventRow", "DriftResourceRow", "DriftStore"]

# -- alerting --------------------------------------------------------------------------
from ._alert_records import (  # noqa: E402
    AlertNotOpen,
    ChannelRow,
    EventRow,
    OutboxItem,
    OutboxRow,
    RuleExists,
    RuleRow,
    SeriesSamples,
    SilenceRow,
    StaleRule,
    StateChange,
    StateRow,
    UnknownRule,
    UnknownSilence,
    series_key,
)
from ._alerts import AlertStore  # noqa: E402
from ._audit import AuditRow  # noqa: E402

__all__ += [
    "AlertNotOpen",
    "AlertStore",
    "AuditRow",
    "ChannelRow",
    "EventRow",
    "OutboxItem",
    "OutboxRow",
    "RuleExists",
    "RuleRow",
    "SeriesSamples",
    "SilenceRow",
    "StaleRule",
    "StateChange",
    "StateRow",
    "UnknownRule",
    "UnknownSilence",
    "series_key",
]

# -- history: rollups, retention, history reads ----------------------------------------
from ._history import (  # noqa: E402
    DailyRow,
    History,
    HistoryStore,
    Point,
    Segment,
    choose_resolution,
)
from ._rollup import (  # noqa: E402
    Bucket,
    DeleteResult,
    RecheckResult,
    Resolution,
    RollupStore,
    StepResult,
    TierState,
)

__all__ += [
    "Bucket",
    "DailyRow",
    "DeleteResult",
    "History",
    "HistoryStore",
    "Point",
    "RecheckResult",
    "Resolution",
    "RollupStore",
    "Segment",
    "StepResult",
    "TierState",
    "choose_resolution",
]

# -- display tokens of wall screens ----------------------------------------------------
from ._displays import (  # noqa: E402
    DisplayExists,
    DisplayRow,
    DisplayStore,
    SeenRequest,
    UnknownDisplay,
)

__all__ += ["DisplayExists", "DisplayRow", "DisplayStore", "SeenRequest", "UnknownDisplay"]

# -- team views of the wall screen -----------------------------------------------------
from ._views import (  # noqa: E402
    QUEUES_MAX as VIEW_QUEUES_MAX,
)
from ._views import (  # noqa: E402
    InvalidView,
    UnknownView,
    ViewExists,
    ViewRow,
    ViewStore,
    parse_queue_list,
    slug,
)

__all__ += ["VIEW_QUEUES_MAX", "InvalidView", "UnknownView", "ViewExists", "ViewRow",
            "ViewStore", "parse_queue_list", "slug"]

# -- server-side login sessions --------------------------------------------------------
from ._sessions import SessionRow, SessionStore, SessionUserRow  # noqa: E402

__all__ += ["SessionRow", "SessionStore", "SessionUserRow"]

# -- backup and restore of a SQLite database -------------------------------------------
from ._backup import (  # noqa: E402
    BackupError,
    BackupFile,
    DatabaseInUse,
    Restored,
    backup_sqlite,
    inspect_backup,
    restore_sqlite,
)

__all__ += [
    "BackupError",
    "BackupFile",
    "DatabaseInUse",
    "Restored",
    "backup_sqlite",
    "inspect_backup",
    "restore_sqlite",
]
# -- the product's own metrics ---------------------------------------------------------
from ._selfstats import ChannelOutbox, ScreenCounts, SelfStats, SelfStatsStore  # noqa: E402

__all__ += ["ChannelOutbox", "ScreenCounts", "SelfStats", "SelfStatsStore"]

# -- the floor: messages to the wall screens, planned maintenance ----------------------
from ._floor_messages import TEXT_MAX as FLOOR_MESSAGE_MAX  # noqa: E402
from ._floor_messages import FloorMessageRow, FloorMessageStore, UnknownMessage  # noqa: E402
from ._maintenance import (  # noqa: E402
    MaintenanceKind,
    MaintenanceRow,
    MaintenanceScope,
    MaintenanceStore,
    UnknownMaintenance,
    Weekly,
)

__all__ += [
    "FLOOR_MESSAGE_MAX",
    "FloorMessageRow",
    "FloorMessageStore",
    "MaintenanceKind",
    "MaintenanceRow",
    "MaintenanceScope",
    "MaintenanceStore",
    "UnknownMaintenance",
    "UnknownMessage",
    "Weekly",
]

# -- queues' own service-level targets -------------------------------------------------
from ._queue_targets import QueueTargetRow, QueueTargetStore  # noqa: E402

__all__ += ["QueueTargetRow", "QueueTargetStore"]

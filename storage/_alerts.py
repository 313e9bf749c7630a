"""Alerting storage: rules, per-series alert states (compare-and-set), events, silences,
acknowledgements, notification channel states, the notification outbox, the audit log.

``AlertStore`` is composed of one part per subject, each in its own module:
``_alert_rules``, ``_alert_states``, ``_alert_events``, ``_silences``, ``_channels``,
``_outbox``, ``_audit``, ``_alert_inputs``; the records and errors are in
``_alert_records`` (exported by ``storage``).

Storage imports nothing of ours: rules are stored as a JSON mapping (``alerts``
validates it), notifications as a JSON payload. Every method is one transaction; storage
never reads the clock (``now_ms`` comes from the caller). Any method may raise
``StorageUnavailable``. Methods the collector calls while holding the lease take
``lease_name``/``lease_token`` and raise ``LeaseLost`` (nothing written) when the fence
fails, like ``Store.write_poll``.
"""

from __future__ import annotations

from ._alert_events import EventQueries
from ._alert_inputs import InputQueries
from ._alert_rules import SEEDED_KEY, SYSTEM_ACTOR, RuleQueries
from ._alert_states import StateQueries
from ._audit import AuditQueries
from ._channels import ChannelQueries
from ._outbox import INTERRUPTED, OutboxQueries
from ._silences import SilenceQueries

# The constants callers and tests know from here, beside the class.
__all__ = ["INTERRUPTED", "SEEDED_KEY", "SYSTEM_ACTOR", "AlertStore"]


class AlertStore(
    RuleQueries,
    StateQueries,
    EventQueries,
    SilenceQueries,
    ChannelQueries,
    OutboxQueries,
    AuditQueries,
    InputQueries,
):
    """Queries on the alerting tables. Safe to share between threads."""

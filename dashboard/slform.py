"""The per-queue service-level target form of ``/queues/<id>``: check, save or clear,
and say what happened. The callback checks the administrator role first; the store
writes the audit row with the change."""

from __future__ import annotations

import logging
from typing import Any

from auth import Actor
from specs.sltarget import ServiceLevelTarget, check_pct, check_threshold
from storage import StorageUnavailable

from .daymodel import FloorModel
from .i18n import t

log = logging.getLogger(__name__)


def save(model: FloorModel, queue_id: str, pct: Any, seconds: Any, actor: Actor,
         now_ms: int, lang: str) -> tuple[str, bool]:
    """Store the queue's own target; ``(message, changed)``."""
    try:
        share = check_pct(float(pct))
    except (TypeError, ValueError):
        return t("erl_target_bad_pct", lang), False
    try:
        within = check_threshold(float(seconds))
    except (TypeError, ValueError):
        return t("erl_target_bad_s", lang), False
    try:
        row = model.targets.set_target(model.source, queue_id, share, within,
                                       actor=actor.name, now_ms=now_ms,
                                       client_addr=actor.client_addr)
    except StorageUnavailable as err:
        log.warning("queue %s: service-level target not saved: %s", queue_id, err)
        return f"{t('db_unavailable', lang)}: {err}", False
    model.invalidate()
    target = ServiceLevelTarget(row.sl_target_pct, row.sl_threshold_s, own=True)
    log.info("queue %s: service-level target set to %s by %s", queue_id, target.text(),
             actor.name)
    return t("erl_target_saved", lang, target=target.text()), True


def reset(model: FloorModel, queue_id: str, actor: Actor, now_ms: int,
          lang: str) -> tuple[str, bool]:
    """Back to the site's default; ``(message, changed)``."""
    try:
        cleared = model.targets.clear_target(model.source, queue_id, actor=actor.name,
                                             now_ms=now_ms, client_addr=actor.client_addr)
    except StorageUnavailable as err:
        log.warning("queue %s: service-level target not reset: %s", queue_id, err)
        return f"{t('db_unavailable', lang)}: {err}", False
    model.invalidate()
    if cleared:
        log.info("queue %s: service-level target back to the default, by %s", queue_id,
                 actor.name)
    return t("erl_target_cleared", lang, target=model.default.text()), cleared

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
from .rulewords import parse_number

log = logging.getLogger(__name__)


def save(model: FloorModel, queue_id: str, pct: Any, seconds: Any, actor: Actor,
         now_ms: int, lang: str) -> tuple[str, bool]:
    """Store the queue's own target; ``(message, changed)``."""
    try:
        share = check_pct(_number(pct))
    except (TypeError, ValueError) as err:
        log.info("queue %s: service-level share %r not saved: %s", queue_id, pct, err)
        return t("erl_target_bad_pct", lang), False
    try:
        within = check_threshold(_number(seconds))
    except (TypeError, ValueError) as err:
        log.info("queue %s: service-level seconds %r not saved: %s", queue_id, seconds, err)
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


def _number(value: Any) -> float:
    """The form's text as a number (a decimal comma allowed: the fields are text inputs,
    Dash's number input has English-only stepper labels). Raises ``ValueError``
    (``InputError`` is one) when it is empty or not a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    number = parse_number(value)
    if number is None:
        raise ValueError("empty")
    return number


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

"""The health target form's actions: validate with specs, then store; nothing half-saved.

Plain functions over the form's raw values, so the page's callback stays thin and the
rules are testable without a browser. Role checks are the caller's (the page callback).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from specs.health import SpecError, validate_target
from storage import (
    HealthTargetRow,
    HealthTargetStore,
    ReadOnlyTarget,
    StorageUnavailable,
    TargetExists,
    UnknownTarget,
)

from .components.health import FORM_FIELDS
from .i18n import t

# Fields that fall back to the target's default when left empty.
_DEFAULTED = frozenset({"interval_s", "timeout_s", "expected_status", "down_after"})


@dataclass(frozen=True, slots=True)
class FormResult:
    """What the form shows after an action. ``target`` is the target now being edited
    (None: a new one); ``fill`` says whether the inputs are to be replaced by it."""

    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    target: HealthTargetRow | None = None
    fill: bool = False
    changed: bool = False


def form_mapping(values: Sequence[Any]) -> dict[str, Any]:
    """The mapping ``validate_target`` takes, from the inputs in FORM_FIELDS order."""
    raw = dict(zip(FORM_FIELDS, values, strict=True))
    mapping: dict[str, Any] = {}
    for name, value in raw.items():
        if name == "conditions":
            mapping[name] = [line.strip() for line in (value or "").splitlines()
                             if line.strip()]
        elif name == "enabled":
            mapping[name] = "enabled" in (value or [])
        else:
            text = "" if value is None else str(value).strip()
            if text or name not in _DEFAULTED:
                mapping[name] = text or None if name == "degraded_latency_ms" else text
    return mapping


def error_field(spec_field: str) -> str:
    """``conditions[2]`` -> ``conditions``: the form field a SpecError belongs to."""
    name = spec_field.split("[", 1)[0].split(".", 1)[0]
    return name if name in FORM_FIELDS else "name"


def save(store: HealthTargetStore, values: Sequence[Any], editing: str | None,
         now_ms: int, lang: str) -> FormResult:
    """Create (``editing`` None) or update the target ``editing``."""
    mapping = form_mapping(values)
    if editing is not None:
        mapping["name"] = editing  # the name is the target's identity: not editable
    try:
        target = validate_target(mapping)
    except SpecError as err:
        message = err.message
        if "[" in err.field:
            message = f"{err.field}: {message}"
        return FormResult(t("not_saved_fields", lang), {error_field(err.field): message})
    try:
        if editing is None:
            row = store.create(target, now_ms)
        else:
            row = store.update(editing, target, now_ms)
    except TargetExists:
        return FormResult(t("not_saved_fields", lang), {"name": t("target_exists", lang)})
    except ReadOnlyTarget:
        return FormResult(t("read_only_target", lang, name=target.name))
    except UnknownTarget:
        return FormResult(t("unknown_target", lang, name=target.name), fill=True,
                          changed=True)
    except StorageUnavailable as err:
        return FormResult(t("not_saved", lang, error=str(err)))
    return FormResult(t("saved", lang, name=row.name), target=row, fill=True, changed=True)


def delete(store: HealthTargetStore, editing: str | None, lang: str) -> FormResult:
    if editing is None:
        return FormResult()
    try:
        store.delete(editing)
    except ReadOnlyTarget:
        return FormResult(t("read_only_target", lang, name=editing))
    except UnknownTarget:
        return FormResult(t("unknown_target", lang, name=editing), fill=True, changed=True)
    except StorageUnavailable as err:
        return FormResult(t("not_saved", lang, error=str(err)))
    return FormResult(t("deleted", lang, name=editing), fill=True, changed=True)


def editable(store: HealthTargetStore, name: str) -> HealthTargetRow | None:
    """The stored target ``name`` for the form; None if unknown, read-only or unreadable
    (the form then offers a new target)."""
    try:
        row = store.get(name)
    except StorageUnavailable:
        return None
    return None if row is None or row.from_config else row

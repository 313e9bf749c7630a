"""Worker health targets and reconciliation drift sources: JSON lists, parsed once."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from specs.drift import DriftSourceSpec, parse_drift_sources_json
from specs.health import HealthTarget, SpecError, parse_targets_json

# Settings that hold a JSON list of monitored things, and the parser that validates each.
_SPEC_PARSERS: dict[str, Callable[[str], list[Any]]] = {
    "health_targets": parse_targets_json,
    "drift_sources": parse_drift_sources_json,
}


class SourceSettings(BaseModel):
    # JSON lists, validated by specs.health / specs.drift (see config.example.env); the
    # text is kept as given (check-config shows it), the specs are parsed once.
    health_targets: str = "[]"
    health_concurrency: int = Field(50, ge=1, le=1000)
    target_sync_interval_s: float = Field(10.0, ge=1, le=3600)
    drift_sources: str = "[]"

    @field_validator("health_targets", "drift_sources")
    @classmethod
    def _spec_list(cls, value: str, info: ValidationInfo) -> str:
        """Parse the JSON list with its specs parser, which names the bad item and field."""
        try:
            _SPEC_PARSERS[info.field_name or ""](value or "[]")
        except SpecError as exc:
            raise ValueError(str(exc)) from None
        return value or "[]"

    @cached_property
    def _health_targets(self) -> tuple[HealthTarget, ...]:
        return tuple(parse_targets_json(self.health_targets))

    @cached_property
    def _drift_sources(self) -> tuple[DriftSourceSpec, ...]:
        return tuple(parse_drift_sources_json(self.drift_sources))

    def health_target_specs(self) -> list[HealthTarget]:
        return list(self._health_targets)

    def drift_source_specs(self) -> list[DriftSourceSpec]:
        return list(self._drift_sources)

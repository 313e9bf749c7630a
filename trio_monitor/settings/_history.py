"""History: rollups to 1 minute and 1 hour every ROLLUP_INTERVAL_S, how long each
resolution is kept, and rows deleted per retention transaction."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from ._common import ENV_PREFIX


class HistorySettings(BaseModel):
    retention_raw_days: int = Field(7, ge=1, le=3650)
    retention_1m_days: int = Field(90, ge=1, le=3650)
    retention_1h_days: int = Field(730, ge=1, le=36500)
    rollup_interval_s: float = Field(60.0, ge=5, le=3600)
    retention_batch_rows: int = Field(5000, ge=100, le=1_000_000)

    @model_validator(mode="after")
    def _retention_order(self) -> HistorySettings:
        days = (self.retention_raw_days, self.retention_1m_days, self.retention_1h_days)
        if list(days) != sorted(days):
            raise ValueError(
                f"{ENV_PREFIX}RETENTION_RAW_DAYS <= {ENV_PREFIX}RETENTION_1M_DAYS <= "
                f"{ENV_PREFIX}RETENTION_1H_DAYS is required (got {', '.join(map(str, days))})"
            )
        return self

"""Polling and resilience: interval and deadline, the HTTP seam's limits, retries, breaker."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from collectors.http import HttpConfig
from collectors.retry import RetryPolicy

from ._common import ENV_PREFIX, build

_MB = 1024 * 1024


class PollingSettings(BaseModel):
    poll_interval_s: float = Field(5.0, ge=0.2, le=3600)
    poll_deadline_s: float = Field(0.0, ge=0)  # 0: 80 % of the interval

    http_connect_timeout_s: float = Field(3.0, gt=0, le=120)
    http_read_timeout_s: float = Field(10.0, gt=0, le=600)
    http_write_timeout_s: float = Field(10.0, gt=0, le=600)
    http_pool_timeout_s: float = Field(3.0, gt=0, le=120)
    http_max_body_mb: float = Field(10.0, gt=0, le=1024)
    http_verify_tls: bool = True

    rate_limit_per_s: float = Field(50.0, gt=0)
    rate_limit_burst: int = Field(100, ge=1)

    retry_max_attempts: int = Field(3, ge=1, le=20)
    retry_base_delay_s: float = Field(0.2, ge=0)
    retry_max_delay_s: float = Field(2.0, ge=0)

    breaker_failure_threshold: int = Field(3, ge=1, le=100)
    breaker_cooldown_s: float = Field(30.0, gt=0)
    breaker_max_cooldown_s: float = Field(600.0, gt=0)

    @model_validator(mode="after")
    def _polling(self) -> PollingSettings:
        if self.poll_deadline_s == 0:
            self.poll_deadline_s = round(self.poll_interval_s * 0.8, 3)
        if self.poll_deadline_s > self.poll_interval_s:
            raise ValueError(
                f"{ENV_PREFIX}POLL_DEADLINE_S ({self.poll_deadline_s}) must not exceed "
                f"{ENV_PREFIX}POLL_INTERVAL_S ({self.poll_interval_s})"
            )
        if self.breaker_max_cooldown_s < self.breaker_cooldown_s:
            raise ValueError(
                f"{ENV_PREFIX}BREAKER_MAX_COOLDOWN_S must be >= {ENV_PREFIX}BREAKER_COOLDOWN_S"
            )
        return self

    def http_config(self) -> HttpConfig:
        """The limits of every HTTP seam the collector opens."""
        return build(HttpConfig, self, "http_", keep=("max_connections", "user_agent"),
                     max_body_bytes=int(self.http_max_body_mb * _MB),
                     rate_per_s=self.rate_limit_per_s, burst=self.rate_limit_burst)

    def retry_policy(self) -> RetryPolicy:
        return build(RetryPolicy, self, "retry_")

    def tls_problems(self) -> list[str]:
        """What production mode refuses here: certificates not checked."""
        if self.http_verify_tls:
            return []
        return [f"{ENV_PREFIX}HTTP_VERIFY_TLS=false is not allowed in production"]

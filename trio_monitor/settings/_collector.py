"""The collector process: its lease, the buffer that keeps polls through a database outage,
the shutdown bound, the HTTP seam's transport and its own metrics' address."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class CollectorSettings(BaseModel):
    lease_ttl_s: float = Field(15.0, ge=1, le=600)
    buffer_max_age_s: float = Field(600.0, ge=0)
    buffer_max_samples: int = Field(2_000_000, ge=0)
    shutdown_timeout_s: float = Field(10.0, gt=0, le=300)
    # The HTTP seam's transport (collectors/_transport.py): aiohttp, or httpx's own.
    http_transport: Literal["aiohttp", "httpx"] = "aiohttp"
    # Where the collector serves its Prometheus metrics (``host:port``); empty: not served.
    metrics_bind: str = Field(
        "127.0.0.1:9108", pattern=r"^$|^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$")

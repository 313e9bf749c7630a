"""Alert evaluation: the tick that judges no-data, schedules and ages; how often a firing
alert nobody acknowledged is sent again (0 = never); where people reach the site."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator


class AlertSettings(BaseModel):
    alert_tick_s: float = Field(1.0, ge=0.1, le=60)
    alert_repeat_interval_s: float = Field(3600.0, ge=0, le=7 * 86400)
    # The base of links in notifications and display addresses ("" = http://<web_bind>).
    public_url: str = ""

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http:// or https:// URL, e.g. https://monitor.example.se")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("expected scheme, host and optional port and path only, "
                             "e.g. https://monitor.example.se")
        return value

    @property
    def public_host(self) -> str | None:
        """The host[:port] of PUBLIC_URL, lower case (what a request's Host must be), or
        None when PUBLIC_URL is not set."""
        if not self.public_url:
            return None
        return urlsplit(self.public_url).netloc.lower()

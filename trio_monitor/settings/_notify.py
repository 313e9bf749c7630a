"""Notifications: channels as a JSON list (alerts.notify.config), parsed once; the SMTP
server every email channel uses; grouping and retries of delivery; the site's zone."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from alerts.notify.config import ChannelSpec, EmailChannelSpec, parse_channels_json
from alerts.notify.email import SmtpSecurity, validate_address
from alerts.notify.message import zone
from alerts.notify.webhook import safe_url
from specs.health import SpecError

from ._common import ENV_PREFIX, is_loopback, is_loopback_host, secret_from_file


class NotifySettings(BaseModel):
    notify_channels: str = "[]"
    smtp_host: str = ""
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_security: SmtpSecurity = SmtpSecurity.STARTTLS
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    smtp_password_file: Path | None = None
    smtp_from: str = ""
    smtp_timeout_s: float = Field(10.0, gt=0, le=300)
    notify_group_window_s: float = Field(0.5, ge=0, le=600)
    notify_max_attempts: int = Field(5, ge=1, le=50)
    notify_retry_base_s: float = Field(2.0, gt=0, le=3600)
    notify_retry_max_s: float = Field(60.0, gt=0, le=86400)
    timezone: str = "Europe/Stockholm"

    @field_validator("notify_channels")
    @classmethod
    def _notify_channels(cls, value: str) -> str:
        try:
            parse_channels_json(value or "[]")
        except SpecError as exc:
            raise ValueError(str(exc)) from None
        return value or "[]"

    @field_validator("smtp_host", "smtp_username")
    @classmethod
    def _stripped(cls, value: str) -> str:
        return value.strip()

    @field_validator("smtp_from")
    @classmethod
    def _smtp_from(cls, value: str) -> str:
        return validate_address(value, role="sender") if value.strip() else ""

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        zone(value.strip())
        return value.strip()

    @model_validator(mode="after")
    def _notify(self) -> NotifySettings:
        self.smtp_password = secret_from_file(
            self.smtp_password, self.smtp_password_file, "SMTP_PASSWORD"
        )
        if self.notify_retry_max_s < self.notify_retry_base_s:
            raise ValueError(
                f"{ENV_PREFIX}NOTIFY_RETRY_MAX_S must be >= {ENV_PREFIX}NOTIFY_RETRY_BASE_S"
            )
        has_password = bool(self.smtp_password and self.smtp_password.get_secret_value())
        if bool(self.smtp_username) != has_password:
            raise ValueError(
                f"set {ENV_PREFIX}SMTP_USERNAME and {ENV_PREFIX}SMTP_PASSWORD (or _FILE) together"
            )
        email = [s.name for s in self._channels if isinstance(s, EmailChannelSpec)]
        missing = [
            f"{ENV_PREFIX}{name}"
            for name, value in (("SMTP_HOST", self.smtp_host), ("SMTP_FROM", self.smtp_from))
            if not value
        ]
        if email and missing:
            raise ValueError(
                f"email channel {email[0]!r} needs {' and '.join(missing)} (the SMTP server)"
            )
        return self

    @cached_property
    def _channels(self) -> tuple[ChannelSpec, ...]:
        return tuple(parse_channels_json(self.notify_channels))

    def notify_channel_specs(self) -> list[ChannelSpec]:
        return list(self._channels)

    def notify_problems(self) -> list[str]:
        """Notification settings production mode refuses: secrets sent unencrypted."""
        problems = []
        specs = self._channels
        if (
            any(isinstance(s, EmailChannelSpec) for s in specs)
            and self.smtp_security == SmtpSecurity.NONE
            and not is_loopback_host(self.smtp_host)
        ):
            problems.append(
                f"{ENV_PREFIX}SMTP_SECURITY=none would send alerts (and the SMTP password) "
                f"unencrypted to {self.smtp_host}; use starttls or tls, or a relay on this host"
            )
        for spec in specs:
            url = getattr(spec, "url", "")
            if url.startswith("http://") and not is_loopback(url):
                problems.append(
                    f"{ENV_PREFIX}NOTIFY_CHANNELS: webhook {spec.name!r} uses plain http to a "
                    "remote host, which exposes the secret in its URL; use https"
                )
        return problems


def mask_webhook_urls(text: str) -> str:
    """The channel list with each webhook URL cut to scheme and host (the secret is the path)."""
    masked = [
        {**item, "url": safe_url(item["url"])} if isinstance(item, dict) and "url" in item else item
        for item in json.loads(text)
    ]
    return json.dumps(masked, ensure_ascii=False)

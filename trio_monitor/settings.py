"""Settings: environment (prefix TRIO_MONITOR_) and an optional .env file, checked at start.

Every setting is listed in config.example.env with its default. Secrets can also be given as
a file (``TRIO_MONITOR_<NAME>_FILE``), the way container secrets are mounted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from alerts.notify.config import ChannelSpec, EmailChannelSpec, parse_channels_json
from alerts.notify.email import SmtpSecurity, validate_address
from alerts.notify.message import zone
from alerts.notify.webhook import safe_url
from collectors.trio_servers import TrustedServers
from specs.drift import DriftSourceSpec, parse_drift_sources_json
from specs.health import HealthTarget, SpecError, parse_targets_json
from specs.metrics import DEFAULT_QUEUE_METRIC_FIELDS

from .entropy import estimate_bits

ENV_PREFIX = "TRIO_MONITOR_"

# Our metric name -> the installation's field name in services/state. The defaults match the
# simulator; TRIO_API.md explains why these are configuration and not code.
# The metrics' default fields are declared with the metrics (specs.metrics).
DEFAULT_QUEUE_FIELDS: dict[str, str] = {
    "queue_id": "serviceid",
    "queue_name": "servicename",
    **DEFAULT_QUEUE_METRIC_FIELDS,
}
DEFAULT_AGENT_FIELDS: dict[str, str] = {
    "agent_id": "agentid",
    "agent_name": "agentname",
    "agent_state": "state",
    "agent_state_since": "statesince",
    "agent_queue_ids": "serviceids",
}
# Settings that hold a JSON list of monitored things, and the parser that validates each.
_SPEC_PARSERS = {
    "health_targets": parse_targets_json,
    "drift_sources": parse_drift_sources_json,
}
REQUIRED_QUEUE_KEYS = ("queue_id", "queue_name")
REQUIRED_AGENT_KEYS = ("agent_id", "agent_state")


class Mode(StrEnum):
    DEVELOPMENT = "development"  # readable logs, relaxed checks for a laptop
    PRODUCTION = "production"  # refuses to start on an insecure or incomplete configuration


class LogFormat(StrEnum):
    AUTO = "auto"  # text on a terminal, JSON lines otherwise
    TEXT = "text"
    JSON = "json"


class Language(StrEnum):
    EN = "en"
    SV = "sv"


MIN_SECRET_KEY_LENGTH = 32
# What storage.make_engine accepts (postgres:// and postgresql:// mean psycopg 3).
SUPPORTED_DATABASE_SCHEMES = ("sqlite", "postgresql", "postgres", "postgresql+psycopg")
# Estimated by trio_monitor.entropy, which under-counts: secrets.token_hex(16) (128 bits)
# scores 100 or more, secrets.token_urlsafe(48) over 300; a repeated pattern scores < 30.
MIN_SECRET_KEY_BITS = 96
_MAKE_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


class TrioCharset(StrEnum):
    UTF8 = "utf-8"
    LATIN1 = "iso-8859-1"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    mode: Mode = Mode.DEVELOPMENT
    data_dir: Path = Path("data")
    database_url: str = ""
    db_busy_timeout_s: float = Field(5.0, gt=0, le=300)
    db_pool_size: int = Field(5, ge=1, le=100)

    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.AUTO

    trio_source_name: str = Field("trio", min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")
    trio_base_url: str = ""
    trio_client_key: SecretStr | None = None
    trio_client_key_file: Path | None = None
    trio_username: str = ""
    trio_password: SecretStr | None = None
    trio_password_file: Path | None = None
    trio_ccid: int = Field(1, ge=1)
    trio_charset: TrioCharset = TrioCharset.UTF8
    trio_page_size: int = Field(100, ge=1, le=1000)
    trio_page_concurrency: int = Field(4, ge=1, le=32)
    trio_token_refresh_margin_s: float = Field(60.0, ge=0)
    # NoDecode: our validator parses the JSON, so a mistake gets a readable message.
    trio_queue_fields: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    trio_agent_fields: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    trio_collect_agents: bool = True
    # The failover server (same form as TRIO_BASE_URL); empty: the one the primary
    # announces in GET /te/api, reached with the primary's scheme, port and path.
    trio_secondary_url: str = ""
    trio_failback_check_s: float = Field(60.0, ge=1, le=3600)
    # Numeric agent state code -> state name, for servers that send codes; {}: the
    # simulator's codes (collectors.trio_records.DEFAULT_AGENT_STATE_CODES).
    trio_agent_state_codes: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)

    # JSON lists, validated by specs.health / specs.drift (see config.example.env).
    health_targets: str = "[]"
    health_concurrency: int = Field(50, ge=1, le=1000)
    target_sync_interval_s: float = Field(10.0, ge=1, le=3600)
    drift_sources: str = "[]"

    poll_interval_s: float = Field(5.0, ge=0.2, le=3600)
    poll_deadline_s: float = Field(0.0, ge=0)

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

    secret_key: SecretStr | None = None
    secret_key_file: Path | None = None
    web_bind: str = Field("127.0.0.1:8050", pattern=r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$")
    web_workers: int = Field(2, ge=1, le=64)
    web_threads: int = Field(4, ge=1, le=64)
    web_timeout_s: float = Field(30.0, ge=1, le=600)
    web_cookie_secure: bool = False
    # TLS ends at a reverse proxy in front (nginx, a load balancer): the app itself speaks
    # plain http, browsers speak https, so the session cookie is still marked Secure.
    web_tls_proxy: bool = False
    web_trusted_proxies: int = Field(0, ge=0, le=5)
    session_idle_timeout_s: float = Field(8 * 3600, ge=60)
    login_lockout_failures: int = Field(5, ge=1, le=100)
    # Failures of one account from all addresses together that lock it everywhere.
    login_account_lockout_failures: int = Field(100, ge=1, le=100_000)
    login_lockout_window_s: float = Field(900.0, ge=1)
    login_lockout_s: float = Field(900.0, ge=1)
    login_addr_max_failures: int = Field(20, ge=1, le=10_000)
    demo_password: SecretStr | None = None

    site_name: str = Field("Contact center", min_length=1, max_length=80)
    language: Language = Language.EN
    refresh_interval_s: float = Field(5.0, ge=1, le=300)
    stale_after_polls: int = Field(3, ge=1, le=100)
    sl_target_pct: float = Field(80.0, ge=0, le=100)
    sl_threshold_s: int = Field(20, ge=1, le=3600)

    lease_ttl_s: float = Field(15.0, ge=1, le=600)
    buffer_max_age_s: float = Field(600.0, ge=0)
    buffer_max_samples: int = Field(2_000_000, ge=0)
    shutdown_timeout_s: float = Field(10.0, gt=0, le=300)
    # The HTTP seam's transport (collectors/_transport.py): aiohttp, or httpx's own.
    http_transport: Literal["aiohttp", "httpx"] = "aiohttp"

    # History (issue 6): rollups to 1 minute and 1 hour every ROLLUP_INTERVAL_S; how long
    # each resolution is kept; rows deleted per retention transaction.
    retention_raw_days: int = Field(7, ge=1, le=3650)
    retention_1m_days: int = Field(90, ge=1, le=3650)
    retention_1h_days: int = Field(730, ge=1, le=36500)
    rollup_interval_s: float = Field(60.0, ge=5, le=3600)
    retention_batch_rows: int = Field(5000, ge=100, le=1_000_000)

    # Alert evaluation (issue 5): the tick that judges no-data, schedules and ages; how
    # often a firing alert nobody acknowledged is sent again (0 = never); the base of
    # links in notifications ("" = http://<web_bind>).
    alert_tick_s: float = Field(1.0, ge=0.1, le=60)
    alert_repeat_interval_s: float = Field(3600.0, ge=0, le=7 * 86400)
    public_url: str = ""

    # Notifications (issue 5): channels as a JSON list (alerts.notify.config), the SMTP
    # server every email channel uses, grouping and retries of delivery, the site's zone.
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

    @model_validator(mode="after")
    def _account_lockout(self) -> Settings:
        if self.login_account_lockout_failures < self.login_lockout_failures:
            raise ValueError(
                f"{ENV_PREFIX}LOGIN_ACCOUNT_LOCKOUT_FAILURES must be at least "
                f"{ENV_PREFIX}LOGIN_LOCKOUT_FAILURES (got "
                f"{self.login_account_lockout_failures} < {self.login_lockout_failures})"
            )
        return self

    @model_validator(mode="after")
    def _history(self) -> Settings:
        days = (self.retention_raw_days, self.retention_1m_days, self.retention_1h_days)
        if list(days) != sorted(days):
            raise ValueError(
                f"{ENV_PREFIX}RETENTION_RAW_DAYS <= {ENV_PREFIX}RETENTION_1M_DAYS <= "
                f"{ENV_PREFIX}RETENTION_1H_DAYS is required (got {', '.join(map(str, days))})"
            )
        if self.retention_raw_days * 86400 <= self.rollup_max_lag_s:
            raise ValueError(
                f"{ENV_PREFIX}RETENTION_RAW_DAYS ({self.retention_raw_days}) must be longer "
                f"than rollups can lag behind ({self.rollup_max_lag_s / 3600:.1f} h, mostly "
                f"{ENV_PREFIX}BUFFER_MAX_AGE_S): raw samples would go before they are rolled up"
            )
        return self

    @property
    def rollup_grace_s(self) -> float:
        """Minutes closed longer ago than this are rolled up: a poll's samples are written
        within its deadline."""
        return max(120.0, self.poll_deadline_s + 30.0)

    @property
    def rollup_recheck_s(self) -> float:
        """How far below the rollup watermark late samples are looked for: a buffer
        flushed after a database outage holds samples up to BUFFER_MAX_AGE_S old."""
        return self.buffer_max_age_s + self.rollup_interval_s + self.rollup_grace_s

    @property
    def rollup_max_lag_s(self) -> float:
        """How far behind now rollups may still change: grace, recheck window, interval."""
        return self.rollup_grace_s + self.rollup_recheck_s + self.rollup_interval_s

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        """Only what storage.make_engine supports, refused here so that every command
        (check-config too) says so in one line instead of failing later."""
        value = value.strip()
        if not value:
            return value
        scheme = value.split("://", 1)[0].lower() if "://" in value else ""
        if scheme not in SUPPORTED_DATABASE_SCHEMES:
            raise ValueError(
                f"unsupported database URL{f' scheme {scheme!r}' if scheme else ''}; use "
                "sqlite:///path/to/file.db or postgresql://user@host/database"
            )
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("not a database URL; use sqlite:///path/to/file.db or "
                             "postgresql://user@host/database") from None
        if scheme == "sqlite" and url.database in (None, ""):
            raise ValueError("sqlite needs a file: sqlite:///relative.db or sqlite:////abs.db")
        if scheme != "sqlite" and not url.database:
            raise ValueError("name the database: postgresql://user@host/database")
        return value

    @field_validator("trio_base_url", "trio_secondary_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL ending in /te/api")
        return value

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

    @field_validator("trio_queue_fields", "trio_agent_fields", "trio_agent_state_codes",
                     mode="before")
    @classmethod
    def _json_mapping(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return {}
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"expected a JSON object, not valid JSON ({exc.msg})") from exc
        if not isinstance(value, dict):
            raise ValueError('expected a JSON object like {"calls_waiting": "callswaiting"}')
        return value

    @field_validator("health_targets", "drift_sources")
    @classmethod
    def _spec_list(cls, value: str, info: ValidationInfo) -> str:
        """Parse the JSON list with its specs parser, which names the bad item and field."""
        try:
            _SPEC_PARSERS[info.field_name or ""](value or "[]")
        except SpecError as exc:
            raise ValueError(str(exc)) from None
        return value or "[]"

    @field_validator("trio_queue_fields")
    @classmethod
    def _queue_keys(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_keys(value, DEFAULT_QUEUE_FIELDS)

    @field_validator("trio_agent_fields")
    @classmethod
    def _agent_keys(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_keys(value, DEFAULT_AGENT_FIELDS)

    @field_validator("trio_agent_state_codes")
    @classmethod
    def _state_codes(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [k for k in value if not str(k).strip().isdigit()]
        if bad:
            raise ValueError(f"state codes must be whole numbers, not {', '.join(bad)}")
        names = [v for v in value.values() if not isinstance(v, str) or not v.strip()]
        if names:
            raise ValueError('each code needs a state name, e.g. {"2": "busy"}')
        return {str(int(k)): v.strip().lower() for k, v in value.items()}

    @model_validator(mode="after")
    def _derived(self) -> Settings:
        self.trio_client_key = _secret_from_file(
            self.trio_client_key, self.trio_client_key_file, "TRIO_CLIENT_KEY"
        )
        self.trio_password = _secret_from_file(
            self.trio_password, self.trio_password_file, "TRIO_PASSWORD"
        )
        self.secret_key = _secret_from_file(self.secret_key, self.secret_key_file, "SECRET_KEY")
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'trio-monitor.db').as_posix()}"
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
        if self.trio_secondary_url and self.trio_base_url:  # no Trio site: nothing to check
            try:
                TrustedServers(self.trio_base_url, self.trio_secondary_url)
            except ValueError as exc:
                raise ValueError(f"{ENV_PREFIX}TRIO_SECONDARY_URL: {exc}") from None
        return self

    @property
    def public_base_url(self) -> str:
        """Where people reach the web app: ``public_url``, or http://<web_bind>."""
        return self.public_url or f"http://{self.web_bind}"

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
    def _notify(self) -> Settings:
        self.smtp_password = _secret_from_file(
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
        email = [s.name for s in self.notify_channel_specs() if isinstance(s, EmailChannelSpec)]
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

    def notify_channel_specs(self) -> list[ChannelSpec]:
        return parse_channels_json(self.notify_channels)

    def notify_problems(self) -> list[str]:
        """Notification settings production mode refuses: secrets sent unencrypted."""
        problems = []
        specs = self.notify_channel_specs()
        if (
            any(isinstance(s, EmailChannelSpec) for s in specs)
            and self.smtp_security == SmtpSecurity.NONE
            and not _is_loopback_host(self.smtp_host)
        ):
            problems.append(
                f"{ENV_PREFIX}SMTP_SECURITY=none would send alerts (and the SMTP password) "
                f"unencrypted to {self.smtp_host}; use starttls or tls, or a relay on this host"
            )
        for spec in specs:
            url = getattr(spec, "url", "")
            if url.startswith("http://") and not _is_loopback(url):
                problems.append(
                    f"{ENV_PREFIX}NOTIFY_CHANNELS: webhook {spec.name!r} uses plain http to a "
                    "remote host, which exposes the secret in its URL; use https"
                )
        return problems

    def health_target_specs(self) -> list[HealthTarget]:
        return parse_targets_json(self.health_targets)

    def drift_source_specs(self) -> list[DriftSourceSpec]:
        return parse_drift_sources_json(self.drift_sources)

    @property
    def queue_fields(self) -> dict[str, str]:
        return {**DEFAULT_QUEUE_FIELDS, **self.trio_queue_fields}

    @property
    def agent_fields(self) -> dict[str, str]:
        return {**DEFAULT_AGENT_FIELDS, **self.trio_agent_fields}

    def trio_problems(self) -> list[str]:
        """What is missing for the Trio collector to run; empty when it can."""
        missing = []
        if not self.trio_base_url:
            missing.append(f"{ENV_PREFIX}TRIO_BASE_URL")
        if self.trio_client_key is None:
            missing.append(f"{ENV_PREFIX}TRIO_CLIENT_KEY (or _FILE)")
        if not self.trio_username:
            missing.append(f"{ENV_PREFIX}TRIO_USERNAME")
        if self.trio_password is None:
            missing.append(f"{ENV_PREFIX}TRIO_PASSWORD (or _FILE)")
        return [f"{name} is not set" for name in missing]

    def production_problems(self) -> list[str]:
        """Reasons production mode refuses to start (empty when none)."""
        problems = []
        if self.trio_base_url.startswith("http://") and not _is_loopback(self.trio_base_url):
            problems.append(
                f"{ENV_PREFIX}TRIO_BASE_URL uses plain http to a remote host; use https"
            )
        if self.trio_secondary_url.startswith("http://") and not _is_loopback(
            self.trio_secondary_url
        ):
            problems.append(
                f"{ENV_PREFIX}TRIO_SECONDARY_URL uses plain http to a remote host; use https"
            )
        if not self.http_verify_tls:
            problems.append(f"{ENV_PREFIX}HTTP_VERIFY_TLS=false is not allowed in production")
        problems += self.notify_problems()
        return problems

    def web_problems(self) -> list[str]:
        """Reasons production mode refuses to serve the web app (empty when none)."""
        if self.mode != Mode.PRODUCTION:
            return []
        problems = []
        key = self.secret_key.get_secret_value() if self.secret_key else ""
        if len(key) < MIN_SECRET_KEY_LENGTH:
            problems.append(
                f"{ENV_PREFIX}SECRET_KEY (or _FILE) must be set to at least "
                f"{MIN_SECRET_KEY_LENGTH} random characters in production "
                f"(got {len(key)}); make one with: {_MAKE_KEY}"
            )
        elif (bits := estimate_bits(key)) < MIN_SECRET_KEY_BITS:
            problems.append(
                f"{ENV_PREFIX}SECRET_KEY (or _FILE) is guessable (about {bits:.0f} bits of "
                f"entropy, {MIN_SECRET_KEY_BITS} needed: repeats, sequences, words or a "
                f"small alphabet); make one with: {_MAKE_KEY}"
            )
        if not self.cookie_secure:
            problems.append(
                f"{ENV_PREFIX}WEB_COOKIE_SECURE=false would send session cookies over plain "
                f"http; serve over https and set it true, or set {ENV_PREFIX}WEB_TLS_PROXY=true "
                "when TLS ends at a proxy in front"
            )
        return problems

    @property
    def cookie_secure(self) -> bool:
        """Whether session cookies carry Secure: asked for, or TLS ends at a proxy."""
        return self.web_cookie_secure or self.web_tls_proxy

    def deployment_problems(self) -> list[str]:
        """What production mode refuses in every command: secret files others can read,
        no PUBLIC_URL (links in notifications and display addresses are built from it,
        never from a request's Host header). Empty in development."""
        if self.mode != Mode.PRODUCTION:
            return []
        problems = []
        for name in type(self).model_fields:
            path = getattr(self, name)
            if not name.endswith("_file") or path is None:
                continue
            try:
                mode = Path(path).stat().st_mode & 0o777
            except OSError as exc:
                problems.append(f"{ENV_PREFIX}{name.upper()}: cannot stat {path}: "
                                f"{exc.strerror or exc}")
                continue
            if mode & 0o044:
                who = " and ".join(w for bit, w in ((0o040, "group"), (0o004, "others"))
                                   if mode & bit)
                problems.append(
                    f"{ENV_PREFIX}{name.upper()}: {path} is readable by {who} "
                    f"(mode {mode:04o}); chmod 600 it (or 400)"
                )
        if self.public_url.startswith("http://") and not _is_loopback(self.public_url):
            problems.append(
                f"{ENV_PREFIX}PUBLIC_URL uses plain http to a remote host: browsers would "
                "not send the Secure session cookie back, and links would leak; use https"
            )
        if not self.public_url:
            problems.append(
                f"{ENV_PREFIX}PUBLIC_URL is not set; production builds links (alerts, "
                "display addresses) only from it and answers only requests for its host, "
                "e.g. https://monitor.example.se"
            )
        return problems

    def refusals(self, *, web: bool) -> list[str]:
        """Everything production mode refuses for a command (``web``: it serves pages)."""
        if self.mode != Mode.PRODUCTION:
            return []
        return [*self.production_problems(), *self.deployment_problems(),
                *(self.web_problems() if web else [])]

    @property
    def public_host(self) -> str | None:
        """The host[:port] of PUBLIC_URL, lower case (what a request's Host must be), or
        None when PUBLIC_URL is not set."""
        if not self.public_url:
            return None
        return urlsplit(self.public_url).netloc.lower()

    def masked(self) -> dict[str, str]:
        """The effective configuration as env names -> printable values, secrets masked."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                shown = "********" if value.get_secret_value() else "(empty)"
            elif value is None:
                shown = "(not set)"
            elif isinstance(value, dict):
                shown = json.dumps(value, ensure_ascii=False)
            elif isinstance(value, StrEnum):
                shown = value.value
            else:
                shown = str(value)
            if name == "database_url":
                shown = _mask_url_password(shown)
            elif name == "notify_channels":
                shown = _mask_webhook_urls(shown)
            out[ENV_PREFIX + name.upper()] = shown
        return out


def _check_keys(value: dict[str, str], allowed: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise ValueError(
            f"unknown metric name(s) {', '.join(unknown)}; expected some of "
            + ", ".join(allowed)
        )
    bad = [k for k, v in value.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise ValueError(f"field name for {', '.join(bad)} must be a non-empty string")
    return value


def _secret_from_file(value: SecretStr | None, path: Path | None, name: str) -> SecretStr | None:
    if path is None:
        return value
    if value is not None:
        raise ValueError(f"set {ENV_PREFIX}{name} or {ENV_PREFIX}{name}_FILE, not both")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(
            f"{ENV_PREFIX}{name}_FILE: cannot read {path}: {exc.strerror or exc}"
        ) from exc
    return SecretStr(text.rstrip("\r\n"))


def _mask_url_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, at, host = rest.rpartition("@")
    user, colon, _password = creds.partition(":")
    return f"{scheme}://{user}{':********' if colon else ''}{at}{host}"


def _mask_webhook_urls(text: str) -> str:
    """The channel list with each webhook URL cut to scheme and host (the secret is the path)."""
    masked = [
        {**item, "url": safe_url(item["url"])} if isinstance(item, dict) and "url" in item else item
        for item in json.loads(text)
    ]
    return json.dumps(masked, ensure_ascii=False)


def _is_loopback_host(host: str) -> bool:
    host = host.strip("[]")
    return host in {"localhost", "::1"} or host.startswith("127.")


def _is_loopback(url: str) -> bool:
    host = url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    return host in {"localhost", "127.0.0.1", "::1"} or host.startswith("127.")


class ConfigError(Exception):
    """A configuration problem, with one readable line per problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def load_settings(**overrides: Any) -> Settings:
    """Build the settings or raise ConfigError naming each bad variable and what it expects."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError([_describe(err) for err in exc.errors()]) from None


def _describe(err: Any) -> str:
    loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
    message = str(err.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    if not loc:
        return message
    name = ENV_PREFIX + loc[0].upper()
    given = err.get("input")
    shown = ""
    # Webhook URLs carry their secret: a channel list is never echoed either.
    secret = ("PASSWORD" in name or "KEY" in name or name.endswith("NOTIFY_CHANNELS")
              or name.endswith("DATABASE_URL"))  # may carry a password
    # Long values (a JSON list of targets) are not echoed: the message names the item.
    if isinstance(given, str | int | float) and not secret and len(str(given)) <= 60:
        if not (isinstance(given, float) and math.isnan(given)):
            shown = f", got {given!r}"
    return f"{name}: {message}{shown}"


# Settings of earlier versions that no longer do anything, and what replaced them. The
# environment is not an error for them (extra="ignore"), so each is named in a warning.
REMOVED_SETTINGS = {
    "WAIT_WARN_S": "wall screen colours follow the alert rules; edit them on /thresholds",
    "WAIT_CRIT_S": "wall screen colours follow the alert rules; edit them on /thresholds",
}


def removed_settings(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """(variable, what replaced it) for each removed setting present in ``environ``."""
    return [
        (ENV_PREFIX + name, why) for name, why in REMOVED_SETTINGS.items()
        if ENV_PREFIX + name in environ
    ]

"""Settings: environment (prefix TRIO_MONITOR_) and an optional .env file, checked at start.

Every setting is listed in config.example.env with its default. Secrets can also be given as
a file (``TRIO_MONITOR_<NAME>_FILE``), the way container secrets are mounted.

Each area declares its settings, their checks and the config it builds in a module of its
own (``_trio``, ``_sources``, ``_polling``, ``_web``, ``_collector``, ``_history``,
``_alerts``, ``_notify``, ``_general``); ``Settings`` is all of them over one environment, so
the variable of a setting is always ``TRIO_MONITOR_`` + its name in upper case. Configs that
draw on several areas are built here.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from alerts.service import EvaluatorConfig
from collectors.rollup import RollupConfig
from collectors.runner import LEASE_NAME, RunnerConfig
from specs.collector_status import status_path

from ._alerts import AlertSettings
from ._collector import CollectorSettings
from ._common import ENV_PREFIX, Mode, build, is_loopback, is_loopback_host
from ._general import SUPPORTED_DATABASE_SCHEMES, GeneralSettings, LogFormat
from ._history import HistorySettings
from ._notify import NotifySettings, mask_webhook_urls
from ._polling import PollingSettings
from ._sources import SourceSettings
from ._trio import DEFAULT_AGENT_FIELDS, DEFAULT_QUEUE_FIELDS, TrioCharset, TrioSettings
from ._web import MAKE_TOKEN, MIN_SECRET_KEY_BITS, MIN_SECRET_KEY_LENGTH, WebSettings

if TYPE_CHECKING:  # imported where used: the collector process never loads Dash
    from dashboard import DashboardConfig

__all__ = [
    "DEFAULT_AGENT_FIELDS", "DEFAULT_QUEUE_FIELDS", "ENV_PREFIX", "MIN_SECRET_KEY_BITS",
    "MIN_SECRET_KEY_LENGTH", "REMOVED_SETTINGS", "SUPPORTED_DATABASE_SCHEMES", "ConfigError",
    "LogFormat", "Mode", "Settings", "TrioCharset", "load_settings",
    "removed_settings",
]


# Fields (and config.example.env, check-config) come in the order of the areas: pydantic
# takes the fields of the last base first.
class Settings(NotifySettings, AlertSettings, HistorySettings, CollectorSettings, WebSettings,
               PollingSettings, SourceSettings, TrioSettings, GeneralSettings, BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    @model_validator(mode="after")
    def _rollup_lag(self) -> Settings:
        if self.retention_raw_days * 86400 <= self.rollup_max_lag_s:
            raise ValueError(
                f"{ENV_PREFIX}RETENTION_RAW_DAYS ({self.retention_raw_days}) must be longer "
                f"than rollups can lag behind ({self.rollup_max_lag_s / 3600:.1f} h, mostly "
                f"{ENV_PREFIX}BUFFER_MAX_AGE_S): raw samples would go before they are rolled up"
            )
        return self

    @model_validator(mode="after")
    def _prefix_in_public_url(self) -> Settings:
        path = urlsplit(self.public_url).path if self.public_url else ""
        if self.url_prefix and path not in ("", self.url_prefix):
            raise ValueError(
                f"{ENV_PREFIX}PUBLIC_URL's path ({path}) must be {ENV_PREFIX}URL_PREFIX "
                f"({self.url_prefix}) or nothing: the site is served under the prefix"
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

    @property
    def public_base_url(self) -> str:
        """Where people reach the web app: ``public_url``, or http://<web_bind>; with the
        URL prefix, which PUBLIC_URL may leave out."""
        base = self.public_url or f"http://{self.web_bind}"
        if self.url_prefix and urlsplit(base).path != self.url_prefix:
            base += self.url_prefix
        return base

    # -- configs that draw on several areas -----------------------------------------------

    def runner_config(self) -> RunnerConfig:
        return build(RunnerConfig, self, keep=("holder",),
                     status_path=status_path(self.data_dir))

    def rollup_config(self) -> RollupConfig:
        return build(
            RollupConfig, self, "retention_",
            interval_s=self.rollup_interval_s,
            grace_s=self.rollup_grace_s,
            recheck_s=self.rollup_recheck_s,
            raw_days=self.retention_raw_days,
            minute_days=self.retention_1m_days,
            hour_days=self.retention_1h_days,
            timezone=self.timezone,
            budget_s=min(10.0, self.rollup_interval_s / 2),
            # A failure matters to the lockout for its window, then for the lock it started.
            login_failures_keep_s=self.login_lockout_window_s + self.login_lockout_s,
        )

    def evaluator_config(self) -> EvaluatorConfig:
        return EvaluatorConfig(
            lease_name=LEASE_NAME,
            repeat_interval_s=self.alert_repeat_interval_s,
            link=f"{self.public_base_url}/alerts",
            # DESIGN.md: a queue's open/closed value counts for three poll intervals.
            open_fresh_s=3 * self.poll_interval_s,
            sl_default_pct=self.sl_target_pct,
            sl_default_threshold_s=self.sl_threshold_s,
            timezone=self.timezone,
            poll_interval_s=self.poll_interval_s,
        )

    def dashboard_config(self) -> DashboardConfig:
        from dashboard import DashboardConfig

        return build(
            DashboardConfig, self, keep=("lease_name", "logout_form"),
            source_name=self.trio_source_name,
            default_language=self.language.value,
            channels=tuple(spec.name for spec in self.notify_channel_specs()),
            public_url=self.public_base_url,
            collector_status_path=str(status_path(self.data_dir)),
        )

    # -- what production mode refuses -------------------------------------------------------

    def production_problems(self) -> list[str]:
        """Reasons production mode refuses to start (empty when none)."""
        return [*self.trio_url_problems(), *self.tls_problems(), *self.notify_problems(),
                *self.metrics_problems()]

    def metrics_problems(self) -> list[str]:
        """What production mode refuses in the product's own metrics: a guessable token,
        and the collector's /metrics open beyond this host (a bind that is not loopback,
        with no token). Refused by every command: both processes read one env file."""
        problems = self.metrics_token_problems()
        host = self.metrics_bind.rpartition(":")[0]
        if self.metrics_bind and self.metrics_token is None and not is_loopback_host(host):
            problems.append(
                f"{ENV_PREFIX}METRICS_BIND ({self.metrics_bind}) is not a loopback address "
                f"and {ENV_PREFIX}METRICS_TOKEN (or _FILE) is not set: anyone who reaches "
                "the port would read the collector's metrics. Set a token (Prometheus sends "
                f"it as a bearer token; make one with: {MAKE_TOKEN}), or bind to "
                f"127.0.0.1, or leave {ENV_PREFIX}METRICS_BIND empty to turn the metrics off"
            )
        return problems

    def web_problems(self) -> list[str]:
        """Reasons production mode refuses to serve the web app (empty when none)."""
        return self.session_problems() if self.mode == Mode.PRODUCTION else []

    def deployment_problems(self) -> list[str]:
        """What production mode refuses in every command: secret files others can read,
        no PUBLIC_URL (links in notifications and display addresses are built from it,
        never from a request's Host header). Empty in development."""
        if self.mode != Mode.PRODUCTION:
            return []
        problems = [problem for name in type(self).model_fields if name.endswith("_file")
                    for problem in _secret_file_problems(name, getattr(self, name))]
        if self.public_url.startswith("http://") and not is_loopback(self.public_url):
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
                shown = mask_webhook_urls(shown)
            out[ENV_PREFIX + name.upper()] = shown
        return out


def _secret_file_problems(name: str, path: Path | None) -> list[str]:
    """A secret file production refuses: one it cannot stat, or one others can read."""
    if path is None or _in_credentials_directory(Path(path)):
        return []
    try:
        mode = Path(path).stat().st_mode & 0o777
    except OSError as exc:
        return [f"{ENV_PREFIX}{name.upper()}: cannot stat {path}: {exc.strerror or exc}"]
    if not mode & 0o044:
        return []
    who = " and ".join(w for bit, w in ((0o040, "group"), (0o004, "others")) if mode & bit)
    return [f"{ENV_PREFIX}{name.upper()}: {path} is readable by {who} "
            f"(mode {mode:04o}); chmod 600 it (or 400)"]


def _in_credentials_directory(path: Path) -> bool:
    """Whether ``path`` is one of the credentials systemd hands this service
    (``LoadCredential=``, in ``$CREDENTIALS_DIRECTORY``). systemd writes them 0400 and
    grants the service's user read access with an ACL entry, whose mask ``stat`` reports
    as the group bits (mode 0440) although no group can read them; the folder is the
    service's own, on a read-only file system."""
    folder = os.environ.get("CREDENTIALS_DIRECTORY")
    if not folder:
        return False
    try:
        return path.resolve().parent == Path(folder).resolve()
    except OSError:
        return False


def _mask_url_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, at, host = rest.rpartition("@")
    user, colon, _password = creds.partition(":")
    return f"{scheme}://{user}{':********' if colon else ''}{at}{host}"


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

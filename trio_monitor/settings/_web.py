"""The web app's settings: the server, sessions and login limits, and the wall screen."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from specs.languages import DEFAULT_LANG, Lang

from ..entropy import estimate_bits
from ._common import ENV_PREFIX, build, secret_from_file

if TYPE_CHECKING:  # imported where used: the collector process never loads Flask
    from auth import AuthConfig

MIN_SECRET_KEY_LENGTH = 32
# Estimated by trio_monitor.entropy, which under-counts: secrets.token_hex(16) (128 bits)
# scores 100 or more, secrets.token_urlsafe(48) over 300; a repeated pattern scores < 30.
MIN_SECRET_KEY_BITS = 96
# Segments of unreserved URL characters only: the prefix goes into links, cookie paths and
# Dash's config unescaped. "." and ".." are refused: a browser would fold them away.
_URL_PREFIX = re.compile(r"(/(?!\.\.?(?:/|$))[A-Za-z0-9._~-]+)+")
_MAKE_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
MAKE_TOKEN = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class WebSettings(BaseModel):
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
    # The path the site is served under behind a proxy ("/monitor" for
    # https://host/monitor/); "" serves it at the root.
    url_prefix: str = ""
    session_idle_timeout_s: float = Field(8 * 3600, ge=60)
    login_lockout_failures: int = Field(5, ge=1, le=100)
    # Failures of one account from all addresses together that lock it everywhere.
    login_account_lockout_failures: int = Field(100, ge=1, le=100_000)
    login_lockout_window_s: float = Field(900.0, ge=1)
    login_lockout_s: float = Field(900.0, ge=1)
    login_addr_max_failures: int = Field(20, ge=1, le=10_000)
    demo_password: SecretStr | None = None
    # The bearer token Prometheus sends for /metrics, the web app's and the collector's;
    # unset: the web app's /metrics is 404, the collector's open (loopback only in
    # production, Settings.metrics_problems).
    metrics_token: SecretStr | None = None
    metrics_token_file: Path | None = None

    # The wall screen.
    site_name: str = Field("Contact center", min_length=1, max_length=80)
    language: Lang = DEFAULT_LANG
    refresh_interval_s: float = Field(5.0, ge=1, le=300)
    stale_after_polls: int = Field(3, ge=1, le=100)
    sl_target_pct: float = Field(80.0, ge=0, le=100)
    sl_threshold_s: int = Field(20, ge=1, le=3600)

    @field_validator("url_prefix")
    @classmethod
    def _url_prefix(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not _URL_PREFIX.fullmatch(value):
            raise ValueError("expected a path such as /monitor (letters, digits, - _ . ~ "
                             "between slashes), or nothing to serve at the root")
        return value

    @model_validator(mode="after")
    def _web(self) -> WebSettings:
        if self.login_account_lockout_failures < self.login_lockout_failures:
            raise ValueError(
                f"{ENV_PREFIX}LOGIN_ACCOUNT_LOCKOUT_FAILURES must be at least "
                f"{ENV_PREFIX}LOGIN_LOCKOUT_FAILURES (got "
                f"{self.login_account_lockout_failures} < {self.login_lockout_failures})"
            )
        self.secret_key = secret_from_file(self.secret_key, self.secret_key_file, "SECRET_KEY")
        self.metrics_token = secret_from_file(self.metrics_token, self.metrics_token_file,
                                              "METRICS_TOKEN")
        if self.metrics_token is not None and not self.metrics_token.get_secret_value():
            self.metrics_token = None  # an empty line in the env file: /metrics stays off
        return self

    @property
    def cookie_secure(self) -> bool:
        """Whether session cookies carry Secure: asked for, or TLS ends at a proxy."""
        return self.web_cookie_secure or self.web_tls_proxy

    def session_problems(self) -> list[str]:
        """What production mode refuses in the web app: a weak key, cookies over http."""
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

    def metrics_token_problems(self) -> list[str]:
        """What production mode refuses in the metrics token: a guessable one (both
        /metrics endpoints take it, neither has a login limit)."""
        token = self.metrics_token.get_secret_value() if self.metrics_token else None
        if token is not None and (bits := estimate_bits(token)) < MIN_SECRET_KEY_BITS:
            return [
                f"{ENV_PREFIX}METRICS_TOKEN (or _FILE) is guessable (about {bits:.0f} bits, "
                f"{MIN_SECRET_KEY_BITS} needed), and /metrics has no login limit; make one "
                f"with: {MAKE_TOKEN}"
            ]
        return []

    def auth_config(self, *, secret_key: str, public_paths: tuple[str, ...]) -> AuthConfig:
        """The login's and the guard's config, signed with ``secret_key``; ``public_paths``
        are answered without a session."""
        from auth import AuthConfig

        return build(
            AuthConfig, self, "login_",
            # Where display sessions go and what they reach: the dashboard's, not settings.
            keep=("display_start_path", "display_pages", "display_output_prefixes"),
            secret_key=secret_key,
            public_paths=public_paths,
            cookie_secure=self.cookie_secure,
            idle_timeout_s=self.session_idle_timeout_s,
            lockout_duration_s=self.login_lockout_s,
            site_name=self.site_name,
            default_language=self.language.value,
            trusted_proxies=self.web_trusted_proxies,
        )

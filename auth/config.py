"""AuthConfig: everything the login, the guard and the lockout can be told."""

from __future__ import annotations

from dataclasses import dataclass

from specs.languages import LANGUAGES

__all__ = ["LANGUAGES", "AuthConfig"]


@dataclass(frozen=True)
class AuthConfig:
    """Settings for ``auth.install`` and ``auth.authenticate``.

    ``trusted_proxies``: how many X-Forwarded-For hops (from the right) are added by
    proxies you run; 0 uses the socket's address. Trusting more hops than exist lets
    clients pick their own address and dodge the per-address limit.
    """

    secret_key: str
    cookie_secure: bool = False
    idle_timeout_s: float = 8 * 3600
    # Failures of one (account, address) pair that lock that pair...
    lockout_failures: int = 5
    # ... and of one account from all addresses together that lock it everywhere. Much
    # higher, so that nobody can lock an account (an admin's) out from afar cheaply.
    account_lockout_failures: int = 100
    lockout_window_s: float = 900.0
    lockout_duration_s: float = 900.0
    addr_max_failures: int = 20
    site_name: str = "Trio Monitor"
    default_language: str = "en"
    public_paths: tuple[str, ...] = ("/healthz",)
    trusted_proxies: int = 0
    # Where a wall screen goes after /display/<token> opened its session (the dashboard's
    # kiosk page), with the rotate/every/lang parameters passed on.
    display_start_path: str = "/kiosk"
    # What a display session may reach: these pages (the kiosk and the pages it rotates),
    # and Dash callbacks whose every output id starts with one of these prefixes (the
    # ids of those pages plus Dash's own page routing). Everything else (the admin and
    # thresholds pages with their audit log and names, queue history, CSV downloads) is
    # refused with 403 before it runs. None: what the app declares with
    # ``auth.declare_display_scope`` (the dashboard: its pages' ``display_ids``).
    display_pages: tuple[str, ...] | None = None
    display_output_prefixes: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.secret_key:
            raise ValueError("AuthConfig.secret_key must not be empty")
        if self.default_language not in LANGUAGES:
            raise ValueError(
                f"AuthConfig.default_language must be one of {', '.join(LANGUAGES)}, "
                f"not {self.default_language!r}"
            )
        if self.account_lockout_failures < self.lockout_failures:
            raise ValueError("AuthConfig.account_lockout_failures must be at least "
                             "lockout_failures")
        if self.trusted_proxies < 0:
            raise ValueError("AuthConfig.trusted_proxies must be 0 or more")
        if not self.display_start_path.startswith("/"):
            raise ValueError("AuthConfig.display_start_path must start with /")

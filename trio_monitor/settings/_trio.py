"""The Trio site's settings, and the TrioConfig the collector's Trio source is built from."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from collectors.trio import TrioConfig
from collectors.trio_records import DEFAULT_AGENT_STATE_CODES
from collectors.trio_servers import TrustedServers
from specs.metrics import DEFAULT_QUEUE_METRIC_FIELDS

from ._common import ENV_PREFIX, build, json_mapping, plain_http_problem, secret_from_file

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


class TrioCharset(StrEnum):
    UTF8 = "utf-8"
    LATIN1 = "iso-8859-1"


class TrioSettings(BaseModel):
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

    @field_validator("trio_base_url", "trio_secondary_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL ending in /te/api")
        return value

    @field_validator("trio_queue_fields", "trio_agent_fields", "trio_agent_state_codes",
                     mode="before")
    @classmethod
    def _json_mapping(cls, value: Any) -> Any:
        return json_mapping(value)

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
    def _trio(self) -> TrioSettings:
        self.trio_client_key = secret_from_file(
            self.trio_client_key, self.trio_client_key_file, "TRIO_CLIENT_KEY"
        )
        self.trio_password = secret_from_file(
            self.trio_password, self.trio_password_file, "TRIO_PASSWORD"
        )
        if self.trio_secondary_url and self.trio_base_url:  # no Trio site: nothing to check
            try:
                TrustedServers(self.trio_base_url, self.trio_secondary_url)
            except ValueError as exc:
                raise ValueError(f"{ENV_PREFIX}TRIO_SECONDARY_URL: {exc}") from None
        return self

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

    def trio_url_problems(self) -> list[str]:
        """What production mode refuses: credentials sent over plain http."""
        return [*plain_http_problem("TRIO_BASE_URL", self.trio_base_url),
                *plain_http_problem("TRIO_SECONDARY_URL", self.trio_secondary_url)]

    def trio_config(self, *, timezone: str) -> TrioConfig:
        """The Trio source's config; needs trio_problems() to be empty."""
        assert self.trio_client_key is not None and self.trio_password is not None
        return build(
            TrioConfig, self, "trio_",
            name=self.trio_source_name,
            client_key=self.trio_client_key.get_secret_value(),
            password=self.trio_password.get_secret_value(),
            queue_fields=self.queue_fields,
            agent_fields=self.agent_fields,
            charset=self.trio_charset.value,
            refresh_margin_s=self.trio_token_refresh_margin_s,
            agent_state_codes=dict(self.trio_agent_state_codes or DEFAULT_AGENT_STATE_CODES),
            timezone=timezone,
        )


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

"""General settings: the mode, the data folder, the database and the logs."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ._common import Mode

# What storage.make_engine accepts (postgres:// and postgresql:// mean psycopg 3).
SUPPORTED_DATABASE_SCHEMES = ("sqlite", "postgresql", "postgres", "postgresql+psycopg")


class LogFormat(StrEnum):
    AUTO = "auto"  # text on a terminal, JSON lines otherwise
    TEXT = "text"
    JSON = "json"


class GeneralSettings(BaseModel):
    mode: Mode = Mode.DEVELOPMENT
    data_dir: Path = Path("data")
    database_url: str = ""
    db_busy_timeout_s: float = Field(5.0, gt=0, le=300)
    db_pool_size: int = Field(5, ge=1, le=100)

    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.AUTO

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

    @model_validator(mode="after")
    def _default_database(self) -> GeneralSettings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'trio-monitor.db').as_posix()}"
        return self

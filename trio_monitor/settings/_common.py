"""What the settings areas share: the prefix, secrets from files, loopback tests, and the one
function that fills a config dataclass from settings."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretStr

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    C = TypeVar("C", bound=DataclassInstance)
else:
    C = TypeVar("C")

ENV_PREFIX = "TRIO_MONITOR_"


class Mode(StrEnum):
    DEVELOPMENT = "development"  # readable logs, relaxed checks for a laptop
    PRODUCTION = "production"  # refuses to start on an insecure or incomplete configuration


def build(config: type[C], settings: object, prefix: str = "", *, keep: Iterable[str] = (),
          **given: Any) -> C:
    """The config dataclass ``config`` filled from ``settings``: each field from ``given``,
    else from the setting named ``prefix + field``; fields in ``keep`` stay at their
    defaults. A field found nowhere is a TypeError, so a field added to a config without
    its setting fails at the first build instead of silently keeping its default."""
    names = [f.name for f in dataclasses.fields(config)]
    kept = set(keep)
    values: dict[str, Any] = {}
    missing = []
    for name in names:
        if name in given:
            values[name] = given[name]
        elif hasattr(settings, prefix + name):
            values[name] = getattr(settings, prefix + name)
        elif name not in kept:
            missing.append(prefix + name)
    unknown = sorted(set(given) - set(names))
    if missing or unknown:
        raise TypeError(f"{config.__name__} from settings: no setting for "
                        f"{', '.join(missing) or '-'}; unknown fields {', '.join(unknown) or '-'}")
    return config(**values)


def secret_from_file(value: SecretStr | None, path: Path | None, name: str) -> SecretStr | None:
    """The secret given as ``<NAME>`` or read from ``<NAME>_FILE`` (not both)."""
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


def json_mapping(value: Any) -> Any:
    """A JSON object given as text parsed into a dict ("" is {}), with a readable error."""
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


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]")
    return host in {"localhost", "::1"} or host.startswith("127.")


def is_loopback(url: str) -> bool:
    host = url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    return host in {"localhost", "127.0.0.1", "::1"} or host.startswith("127.")


def plain_http_problem(name: str, url: str) -> list[str]:
    """Production refuses plain http to a remote host for ``<NAME>``."""
    if url.startswith("http://") and not is_loopback(url):
        return [f"{ENV_PREFIX}{name} uses plain http to a remote host; use https"]
    return []

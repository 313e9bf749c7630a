"""Which servers the Trio collector may talk to, and what `GET /te/api` tells about them.

Credentials (the client key, the user's login, tokens) go only to the primary the site
configured, the secondary it configured, or a server the primary announced in
`GET /te/api`. The vendor's document names those as bare host names: the client reaches
them with the scheme, port and path it was configured with. A server reached over https
is never left for http.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .errors import ErrorKind, SourceError

log = logging.getLogger(__name__)

# A bare host name or address as `primaryServer` / `secondaryServer` carry it. Anything
# with a scheme, path, user info or port is not what the vendor documents: refused.
_HOST_RE = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*|"
                      r"\[?[0-9A-Fa-f:.]+\]?)$")


@dataclass(frozen=True)
class Origin:
    """Scheme, host and port (default filled in) plus the API's path: a comparable base."""

    scheme: str
    host: str
    port: int
    path: str

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = {"http": 80, "https": 443}[self.scheme]
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{host}{port}{self.path}"

    def with_host(self, host: str) -> Origin:
        return Origin(self.scheme, host.strip("[]").lower(), self.port, self.path)


def parse_origin(url: str) -> Origin:
    """The `Origin` of an absolute http(s) URL; ValueError for anything else."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{url!r} carries user info; give credentials in their own settings")
    port = parts.port or (443 if scheme == "https" else 80)
    return Origin(scheme, parts.hostname.lower(), port, parts.path.rstrip("/"))


def host_of(url: str) -> str:
    """`host:port` of a URL for messages (never its path, query or user info)."""
    try:
        origin = parse_origin(url)
    except ValueError:
        return "<unreadable URL>"
    host = f"[{origin.host}]" if ":" in origin.host else origin.host
    return f"{host}:{origin.port}"


@dataclass(frozen=True)
class ServerInfo:
    """What `GET /te/api` says (no login needed)."""

    binary_version: str | None
    failover_mode: bool | None
    primary_server: str | None
    secondary_server: str | None


def parse_server_info(body: Any) -> ServerInfo:
    """The documented body (`data` a list of one object) or an older object form;
    fields of the wrong type read as None (the caller shows them as unknown)."""
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, list):
        data = data[0] if data and isinstance(data[0], dict) else None
    if not isinstance(data, dict):
        shape = type(body).__name__ if not isinstance(body, dict) else sorted(body)[:8]
        raise ValueError(f"not a links/data wrapper with one object (got {shape})")

    def text(name: str) -> str | None:
        value = data.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    mode = data.get("failoverMode")
    return ServerInfo(
        binary_version=text("binaryVersion"),
        failover_mode=mode if isinstance(mode, bool) else None,
        primary_server=text("primaryServer"),
        secondary_server=text("secondaryServer"),
    )


class TrustedServers:
    """The primary, the secondary, and the hosts the primary announced.

    ``check(url)`` is the one gate every request of the Trio source passes before it is
    sent: a URL outside this set, or an http URL when the primary is https, raises.
    """

    def __init__(self, primary_url: str, secondary_url: str = "") -> None:
        self.primary = parse_origin(primary_url)
        self.configured_secondary = parse_origin(secondary_url) if secondary_url else None
        if self.configured_secondary is not None:
            if self.primary.scheme == "https" and self.configured_secondary.scheme == "http":
                raise ValueError(
                    "the secondary Trio URL is http while the primary is https: credentials "
                    "would leave TLS; use https for both"
                )
            if self.configured_secondary == self.primary:
                raise ValueError("the secondary Trio URL is the primary's")
        self.announced: tuple[Origin, ...] = ()
        self.info: ServerInfo | None = None

    @property
    def secondary(self) -> Origin | None:
        """Where to fail over to: the configured secondary, else the announced one (with
        the primary's scheme, port and path), if it is another server."""
        if self.configured_secondary is not None:
            return self.configured_secondary
        if self.info is not None and self.info.secondary_server:
            announced = self._announced_origin(self.info.secondary_server)
            if announced is not None and announced != self.primary:
                return announced
        return None

    def learn(self, info: ServerInfo) -> None:
        """Take what the primary (or the secondary) announced as trusted hosts."""
        self.info = info
        origins = []
        for name in (info.primary_server, info.secondary_server):
            origin = self._announced_origin(name) if name else None
            if origin is not None:
                origins.append(origin)
        if tuple(origins) != self.announced:
            log.info(
                "the Trio server announces %s",
                ", ".join(o.base_url for o in origins) or "no other server",
            )
        self.announced = tuple(origins)

    def _announced_origin(self, name: str) -> Origin | None:
        if not _HOST_RE.match(name):
            log.warning("ignoring announced Trio server %r: not a bare host name", name[:80])
            return None
        return self.primary.with_host(name)

    def trusted(self) -> tuple[Origin, ...]:
        found = [self.primary]
        if self.configured_secondary is not None:
            found.append(self.configured_secondary)
        found.extend(self.announced)
        return tuple(dict.fromkeys(found))

    def canonical(self, origin: Origin) -> str:
        """The base URL to use for a trusted server: the configured primary for the
        primary under any announced name, the secondary (configured, else announced) for
        the announced secondary; the origin itself otherwise. A redirect to the server the
        Trio system calls its primary is a return to the primary, however it names it."""
        if self._same(origin, self.primary) or self._is_announced(
            origin, self.info.primary_server if self.info else None
        ):
            return self.primary.base_url
        secondary = self.secondary
        if secondary is not None and (
            self._same(origin, secondary)
            or self._is_announced(origin, self.info.secondary_server if self.info else None)
        ):
            return secondary.base_url
        return origin.base_url

    @staticmethod
    def _same(a: Origin, b: Origin) -> bool:
        return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)

    def _is_announced(self, origin: Origin, name: str | None) -> bool:
        announced = self._announced_origin(name) if name else None
        return announced is not None and self._same(origin, announced)

    def check(self, url: str) -> Origin:
        """The trusted base `url` belongs to; SourceError (naming the host) otherwise."""
        try:
            origin = parse_origin(url)
        except ValueError:
            try:
                named = urlsplit(url).hostname or "an unnamed host"
            except ValueError:
                named = "an unreadable URL"
            # The URL itself may carry user info: only its host is named.
            raise SourceError(
                f"refused to send a request to {named}: not an absolute http(s) URL "
                "without user info",
                kind=ErrorKind.PROTOCOL, retryable=False,
            ) from None
        host = host_of(url)
        if self.primary.scheme == "https" and origin.scheme != "https":
            raise SourceError(
                f"refused a downgrade from https to http at {host}: nothing was sent there",
                kind=ErrorKind.PROTOCOL, retryable=False, url=f"http://{host}",
            )
        for base in self.trusted():
            if (base.scheme, base.host, base.port) == (origin.scheme, origin.host, origin.port) \
                    and (origin.path + "/").startswith(base.path + "/"):
                return base
        raise SourceError(
            f"refused to send a request to {host}: neither the configured primary or "
            "secondary Trio server nor one the primary announced",
            kind=ErrorKind.PROTOCOL, retryable=False, url=f"{origin.scheme}://{host}",
        )

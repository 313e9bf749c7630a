"""The Trio Enterprise TE API source: login, token refresh, failover, paging, parsing.

Conventions are those of ../shared/TRIO_API.md. Field names of the queue and agent state
are configuration (``queue_fields`` / ``agent_fields``), because installations differ.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import random
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import httpx

from storage import AgentRecord, Sample, SeriesKey

from .base import PollOutcome
from .clock import Clock, SystemClock
from .deadline import Deadline
from .errors import ErrorKind, SourceError
from .http import HttpResponse, HttpSeam
from .retry import RetryPolicy, call_with_retry
from .trio_servers import ServerInfo, TrustedServers, host_of, parse_origin, parse_server_info

log = logging.getLogger(__name__)

# Metric -> unit; these are what a queue tile shows. ``open`` is stored as 1.0 / 0.0.
QUEUE_METRICS: dict[str, str] = {
    "open": "bool",
    "calls_waiting": "calls",
    "longest_wait_s": "s",
    "agents_logged_in": "agents",
    "agents_available": "agents",
    "agents_busy": "agents",
    "agents_paused": "agents",
    "answered_today": "calls",
    "abandoned_today": "calls",
    "service_level_pct": "%",
}
MAX_PAGES = 10_000
MAX_REDIRECTS = 2
DEFAULT_TOKEN_LIFETIME_S = 3600.0  # TRIO_API.md: the documented default
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_FAILBACK_CHECK_S = 60.0
# How often `GET /te/api` is read again on the primary (servers can be re-announced).
DISCOVERY_EVERY_S = 600.0
# A failback check is one unauthenticated GET; it may use this share of a poll's time,
# and never more than PRIMARY_CHECK_MAX_S, so a primary that still hangs costs little.
PRIMARY_CHECK_SHARE = 0.25
PRIMARY_CHECK_MAX_S = 2.0
LATIN1 = "iso-8859-1"


@dataclass
class TrioConfig:
    name: str
    base_url: str  # http(s)://server/te/api
    client_key: str
    username: str
    password: str
    queue_fields: dict[str, str]
    agent_fields: dict[str, str]
    ccid: int = 1
    charset: str = "utf-8"
    page_size: int = 100
    page_concurrency: int = 4
    refresh_margin_s: float = 60.0
    collect_agents: bool = True
    # The secondary server's base URL ("": only what the primary announces).
    secondary_url: str = ""
    # While in failover, how often the primary is asked whether it serves again.
    failback_check_s: float = DEFAULT_FAILBACK_CHECK_S
    timezone: str = "Europe/Stockholm"  # the site's: "in failover since 10:42"


@dataclass
class _Tokens:
    access: str
    refresh: str | None
    access_expires_at: float  # epoch seconds
    server: str  # the base URL that issued them; tokens are per server


class BadRecord(ValueError):
    """One record of a collection could not be read; it is skipped and counted."""


@dataclass
class QueueRecord:
    queue_id: str
    name: str
    metrics: dict[str, float] = field(default_factory=dict)


class TrioSource:
    kind = "trio"
    interval_s: float | None = None  # the collector's poll interval

    def __init__(
        self,
        config: TrioConfig,
        seam: HttpSeam,
        *,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.name = config.name
        self.url = config.base_url
        self._seam = seam
        self._retry = retry or RetryPolicy()
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        # Raises ValueError for a secondary that is the primary or drops https.
        self._servers = TrustedServers(config.base_url, config.secondary_url)
        self._zone = ZoneInfo(config.timezone)
        self._base = self._servers.primary.base_url
        self._tokens: _Tokens | None = None
        self._requests = 0
        self._failover_since: float | None = None  # epoch s of the switch to the secondary
        self._primary_checked_at: float | None = None  # monotonic s
        self._discovered_at: float | None = None  # monotonic s

    @property
    def active_url(self) -> str:
        return self._base

    @property
    def failover_active(self) -> bool:
        return self._base != self._servers.primary.base_url

    @property
    def server_info(self) -> ServerInfo | None:
        """What `GET /te/api` last said, if it was read."""
        return self._servers.info

    async def aclose(self) -> None:
        await self._seam.aclose()

    def assess(
        self, outcome: PollOutcome | None, error: SourceError | None, consecutive_failures: int
    ) -> tuple[str, str] | None:
        """The Trio site's state: up, degraded in failover (statistics are not accurate
        then, the vendor warns), down while polls fail."""
        if error is not None:
            return ("down", str(error))
        assert outcome is not None
        if outcome.failover_active:
            since = self._failover_since if self._failover_since is not None else (
                self._clock.time()
            )
            at = datetime.fromtimestamp(since, self._zone).strftime("%H:%M")
            return ("degraded", f"in failover since {at} (served by {outcome.active_url})")
        return ("up", "polled successfully")

    # -- one poll ------------------------------------------------------------------------

    async def poll(self, deadline: Deadline) -> PollOutcome:
        self._requests = 0
        await self._servers_due(deadline)
        cc = f"cc/{self.config.ccid}"
        queue_items = await self._collection(
            f"{cc}/services/state", self.config.queue_fields, "queue_id", deadline
        )
        ts_ms = int(self._clock.time() * 1000)
        samples, skipped = self._queue_samples(queue_items, ts_ms)
        agents: list[AgentRecord] | None = None
        if self.config.collect_agents:
            agent_items = await self._collection(
                f"{cc}/agents/state", self.config.agent_fields, "agent_id", deadline
            )
            agents, agent_skipped = parse_agents(agent_items, self.config.agent_fields)
            skipped += agent_skipped
        if skipped:
            log.warning("skipped %d malformed record(s)", skipped)
        return PollOutcome(
            samples=samples,
            agents=agents,
            records_skipped=skipped,
            failover_active=self.failover_active,
            active_url=self._base,
            requests=self._requests,
        )

    def _queue_samples(self, items: list[Any], ts_ms: int) -> tuple[list[Sample], int]:
        samples: list[Sample] = []
        skipped = 0
        seen: set[str] = set()
        for item in items:
            try:
                record = parse_queue(item, self.config.queue_fields)
            except BadRecord as exc:
                skipped += 1
                log.warning("skipping queue record: %s", exc)
                continue
            if record.queue_id in seen:
                continue  # a queue that moved between pages while we paged
            seen.add(record.queue_id)
            for metric, value in record.metrics.items():
                key = SeriesKey(
                    source=self.name,
                    entity_kind="queue",
                    entity_id=record.queue_id,
                    metric=metric,
                    unit=QUEUE_METRICS[metric],
                    entity_name=record.name,
                )
                samples.append(Sample(key, ts_ms, value))
        return samples, skipped

    async def probe(
        self, deadline: Deadline, known_fields: Mapping[str, Mapping[str, str]]
    ) -> dict[str, dict[str, Any]]:
        """`GET /te/api` and one page of queue and agent state, with and without ``fields``.

        For ``trio-monitor trio probe``: a site compares what its server sends with the
        configured mapping. ``known_fields`` (per kind, usually the default mapping) are
        asked for too, so a field that exists under its default name shows up as received
        but not mapped. ``types`` lists the JSON types seen per field over every item.
        The ``server`` part holds what `GET /te/api` announced.
        """
        info = await self._discover(deadline, max_s=deadline.remaining())
        secondary = self._servers.secondary
        report: dict[str, dict[str, Any]] = {
            "server": {
                "url": self._base,
                "binaryVersion": info.binary_version if info else None,
                "failoverMode": info.failover_mode if info else None,
                "primaryServer": info.primary_server if info else None,
                "secondaryServer": info.secondary_server if info else None,
                "secondary_url": secondary.base_url if secondary else None,
            }
        }
        cc = f"cc/{self.config.ccid}"
        for kind, path, fields in (
            ("queues", f"{cc}/services/state", self.config.queue_fields),
            ("agents", f"{cc}/agents/state", self.config.agent_fields),
        ):
            wanted = [*fields.values(), *known_fields.get(kind, {}).values()]
            plain = _data_list(await self._get(path, {"pageSize": "5"}, deadline))
            asked = _data_list(await self._get(
                path, {"pageSize": "5", "fields": ",".join(dict.fromkeys(wanted))}, deadline,
            ))
            received: dict[str, Any] = {}
            types: dict[str, list[str]] = {}
            for item in [*plain, *asked]:
                if isinstance(item, dict):
                    for key, value in item.items():
                        received.setdefault(key, value)
                        seen = types.setdefault(key, [])
                        if json_type(value) not in seen:
                            seen.append(json_type(value))
            report[kind] = {
                "mapping": dict(fields), "received": received, "types": types, "path": path,
            }
        return report

    # -- the servers: discovery, failback -----------------------------------------------

    async def _servers_due(self, deadline: Deadline) -> None:
        """Read `GET /te/api` now and then on the primary; in failover, ask the primary
        every ``failback_check_s`` whether it serves again."""
        now = self._clock.monotonic()
        if self.failover_active:
            checked = self._primary_checked_at
            if checked is None or now - checked >= self.config.failback_check_s:
                self._primary_checked_at = now
                await self._check_primary(deadline)
        elif self._discovered_at is None or now - self._discovered_at >= DISCOVERY_EVERY_S:
            self._discovered_at = now
            await self._discover(deadline)

    async def _discover(
        self, deadline: Deadline, max_s: float = PRIMARY_CHECK_MAX_S
    ) -> ServerInfo | None:
        """`GET /te/api` (no login) on the serving server, one attempt on a short budget:
        the version, the failover mode and the servers it announces, which become
        trusted. A failure is logged and the poll goes on (its own requests meet the same
        fault with their retries, and fail over if the server cannot be reached)."""
        budget = min(max_s, deadline.remaining() * PRIMARY_CHECK_SHARE)
        try:
            response = await self._request("GET", self._base, Deadline(self._clock, budget))
            if response.status != 200:
                raise ValueError(f"HTTP {response.status}")
            info = parse_server_info(response.json())
        except (SourceError, ValueError) as exc:
            log.warning("cannot read GET /te/api on %s: %s", host_of(self._base), exc)
            return None
        self._servers.learn(info)
        return info

    async def _check_primary(self, deadline: Deadline) -> None:
        """One unauthenticated `GET /te/api` on the primary, on a short budget. It serves
        again when it answers and is not in failover mode (in failover mode it would only
        redirect us back)."""
        primary = self._servers.primary.base_url
        budget = min(PRIMARY_CHECK_MAX_S, deadline.remaining() * PRIMARY_CHECK_SHARE)
        try:
            response = await self._request("GET", primary, Deadline(self._clock, budget))
            if response.status != 200:
                raise ValueError(f"HTTP {response.status}")
            info = parse_server_info(response.json())
        except (SourceError, ValueError) as exc:
            log.info("primary %s does not serve yet: %s", host_of(primary), exc)
            return
        self._servers.learn(info)
        if info.failover_mode:
            log.info("primary %s answers but reports failover mode", host_of(primary))
            return
        self._switch(primary, "the primary answers again and is not in failover mode")

    def _switch(self, base: str, why: str) -> None:
        """Serve from ``base`` from now on; tokens are per server, so log in there."""
        previous = self._base
        self._base = base
        self._tokens = None
        if base == self._servers.primary.base_url:
            self._failover_since = None
            self._primary_checked_at = None
            log.warning("back on the primary Trio server %s: %s", host_of(base), why)
            return
        if self._failover_since is None:
            self._failover_since = self._clock.time()
        # The first failback check comes one interval after the switch, not at once.
        self._primary_checked_at = self._clock.monotonic()
        log.warning(
            "failover from %s to %s: %s", host_of(previous), host_of(base), why
        )

    def _other_server(self, base: str) -> str | None:
        primary = self._servers.primary.base_url
        if base != primary:
            return primary
        secondary = self._servers.secondary
        return secondary.base_url if secondary is not None else None

    @staticmethod
    def _is_unreachable(exc: SourceError) -> bool:
        """A connection that could not be made (refused, no route, DNS, TLS, connect
        timeout): the server is down, not merely failing."""
        if exc.kind is ErrorKind.CONNECT:
            return True
        cause: BaseException | None = exc.__cause__
        while cause is not None:
            if isinstance(cause, httpx.ConnectTimeout | httpx.ConnectError):
                return True
            cause = cause.__cause__
        return False

    # -- collections and paging ------------------------------------------------------------

    async def _collection(
        self, path: str, fields: Mapping[str, str], sort_key: str, deadline: Deadline
    ) -> list[Any]:
        """Every item of a paged collection, asking only for the mapped fields."""
        params = {
            "fields": ",".join(dict.fromkeys(fields.values())),
            "sort": fields[sort_key],
            "pageSize": str(self.config.page_size),
            "page": "1",
        }
        first = await self._get(path, params, deadline)
        items = _data_list(first)
        paging = _pagination(first)
        if paging is None or paging["totalPages"] <= 1:
            return items
        total_pages = paging["totalPages"]
        if total_pages > MAX_PAGES:
            raise SourceError(
                f"{first.url} reports {total_pages} pages (more than {MAX_PAGES})",
                kind=ErrorKind.BAD_SHAPE,
            )
        gate = asyncio.Semaphore(self.config.page_concurrency)

        async def page(number: int) -> list[Any]:
            async with gate:
                response = await self._get(path, {**params, "page": str(number)}, deadline)
                return _data_list(response)

        pages = await _gather_all([page(n) for n in range(2, total_pages + 1)])
        for more in pages:
            items.extend(more)
        if len(items) < paging["totalCount"]:
            log.info(
                "read %d of %d items of %s (the collection changed while paging)",
                len(items), paging["totalCount"], path,
            )
        return items

    # -- authenticated requests -------------------------------------------------------------

    async def _get(self, path: str, params: dict[str, str], deadline: Deadline) -> HttpResponse:
        """GET with a valid token: refresh once on 401, then log in once, then give up."""
        await self._ensure_token(deadline)
        try:
            return await self._send("GET", path, deadline, params=params, authed=True)
        except SourceError as exc:
            if exc.status != 401:
                raise
        log.info("HTTP 401 on %s; refreshing the access token", path)
        await self._refresh_or_login(deadline)
        try:
            return await self._send("GET", path, deadline, params=params, authed=True)
        except SourceError as exc:
            if exc.status != 401:
                raise
        log.warning("still HTTP 401 on %s after a token refresh; logging in again", path)
        await self._login(deadline)
        try:
            return await self._send("GET", path, deadline, params=params, authed=True)
        except SourceError as exc:
            if exc.status != 401:
                raise
            raise SourceError(
                f"access to {path} denied (HTTP 401) even after a fresh login; "
                "check the API user's permissions",
                kind=ErrorKind.AUTH, permanent=True, status=401, url=exc.url,
            ) from None

    async def _ensure_token(self, deadline: Deadline) -> None:
        tokens = self._tokens
        if tokens is None or tokens.server != self._base:
            await self._login(deadline)
        elif tokens.access_expires_at - self.config.refresh_margin_s <= self._clock.time():
            await self._refresh_or_login(deadline)

    async def _refresh_or_login(self, deadline: Deadline) -> None:
        tokens = self._tokens
        if tokens is not None and tokens.refresh and tokens.server == self._base:
            try:
                await self._token_request(
                    "refreshlogin", {"refresh_token": tokens.refresh}, deadline
                )
                return
            except SourceError as exc:
                if not exc.permanent:
                    raise
                log.info("token refresh refused (%s); logging in again", exc)
        await self._login(deadline)

    async def _login(self, deadline: Deadline) -> None:
        self._tokens = None
        form = {
            "username": _b64_latin1(self.config.username, "username"),
            "password": _b64_latin1(self.config.password, "password"),
        }
        await self._token_request("login", form, deadline)
        log.info("logged in to %s", self._base)

    async def _token_request(self, path: str, form: dict[str, str], deadline: Deadline) -> None:
        headers = {
            "Authorization": f"Basic {self.config.client_key}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        try:
            response = await self._send("POST", path, deadline, data=form, headers=headers)
        except SourceError as exc:
            if exc.status in (400, 401, 403):
                raise SourceError(
                    f"{path} rejected by {self._base}: {exc.message}",
                    kind=ErrorKind.AUTH, permanent=True, status=exc.status, url=exc.url,
                ) from None
            raise
        self._tokens = _parse_tokens(response, self._base, self._clock.time())

    async def _send(
        self,
        method: str,
        path: str,
        deadline: Deadline,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        authed: bool = False,
    ) -> HttpResponse:
        """One request to the serving server with retries for transient faults.

        Follows redirects to trusted servers only. When the serving server cannot be
        reached after its retries, switches to the other one (the secondary, or back to
        the primary) once and logs in there. ``data`` is a form (sent as given, the login
        forms are documented as form-encoded); ``json_body`` is sent as JSON in the
        site's charset."""
        switched = False
        for _hop in range(MAX_REDIRECTS + 2):
            base = self._base
            url = f"{base}/{path}" if path else base
            all_headers = dict(headers or {})
            if self.config.charset != "utf-8":
                all_headers["Accept-Charset"] = self.config.charset
            body: dict[str, str] | bytes | None = data
            if json_body is not None:
                body, all_headers["Content-Type"] = json_request_body(
                    json_body, self.config.charset
                )
            if authed:
                assert self._tokens is not None
                all_headers["Authorization"] = f"Bearer {self._tokens.access}"
            unreachable = False

            async def attempt(
                url: str = url, all_headers: dict[str, str] = all_headers,
                body: dict[str, str] | bytes | None = body,
            ) -> HttpResponse:
                nonlocal unreachable
                try:
                    return await self._request(
                        method, url, deadline, params=params, headers=all_headers, data=body
                    )
                except SourceError as exc:
                    unreachable = unreachable or self._is_unreachable(exc)
                    raise

            try:
                response = await call_with_retry(
                    attempt, policy=self._retry, deadline=deadline, clock=self._clock,
                    rng=self._rng,
                )
            except SourceError as exc:
                if switched or not (unreachable or self._is_unreachable(exc)):
                    raise
                other = self._other_server(base)
                if other is None:
                    raise exc.with_message(
                        f"{exc.message}; no secondary Trio server is known to fail over to "
                        "(set TRIO_MONITOR_TRIO_SECONDARY_URL, or the primary announces it "
                        "in GET /te/api)"
                    ) from exc
                self._switch(other, f"{host_of(base)} cannot be reached: {exc.message}")
                switched = True
                if deadline.expired:
                    raise exc.with_message(
                        f"{exc.message}; failing over to {host_of(other)}"
                    ) from exc
                if authed:
                    await self._login(deadline)
                continue
            if response.status not in REDIRECT_STATUSES:
                return response
            self._follow_redirect(response, path)
            if authed:
                await self._login(deadline)  # a token of one server is not valid on the other
        raise SourceError(
            f"more than {MAX_REDIRECTS} redirects for {method} {path or '/te/api'}",
            kind=ErrorKind.PROTOCOL,
        )

    async def _request(
        self,
        method: str,
        url: str,
        deadline: Deadline,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        data: dict[str, str] | bytes | None = None,
    ) -> HttpResponse:
        """The one place the Trio source sends a request: nothing (no client key, login,
        token or body) leaves for a server outside the trusted set, or over http when
        the primary is https."""
        self._servers.check(url)
        self._requests += 1
        return await self._seam.request(
            method, url, deadline=deadline, params=params, headers=headers, data=data
        )

    def _follow_redirect(self, response: HttpResponse, path: str) -> None:
        """Switch to the server a redirect names, if it is trusted; raise otherwise.
        Nothing is sent to the new location here: the caller sends (and logs in) after."""
        location = response.headers.get("location")
        if not location:
            raise SourceError(
                f"HTTP {response.status} without a Location header from {response.url}",
                kind=ErrorKind.PROTOCOL, status=response.status, url=response.url,
            )
        target = urljoin(response.url, location)
        new_base = _base_from_location(target, path)
        if new_base is None:
            raise SourceError(
                f"HTTP {response.status} from {host_of(response.url)} to an unexpected "
                f"location on {host_of(target)}",
                kind=ErrorKind.PROTOCOL, status=response.status, url=response.url,
            )
        try:
            self._servers.check(new_base)
        except SourceError as exc:
            raise SourceError(
                f"HTTP {response.status} redirect from {host_of(response.url)} refused: "
                f"{exc.message}",
                kind=ErrorKind.PROTOCOL, retryable=False, status=response.status,
                url=response.url,
            ) from None
        # Trusted; the role (primary or secondary) decides which base URL to use.
        new_base = self._servers.canonical(parse_origin(new_base))
        if new_base == self._base:
            raise SourceError(
                f"HTTP {response.status} from {host_of(response.url)} redirects to itself",
                kind=ErrorKind.PROTOCOL, status=response.status, url=response.url,
            )
        self._switch(new_base, f"redirected (HTTP {response.status})")


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value, as `trio probe` shows it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    return "object"


def json_request_body(value: Any, charset: str) -> tuple[bytes, str]:
    """A JSON request body in the site's charset and its Content-Type. The vendor: say
    `application/json;charset=iso-8859-1` when the server works in ISO-8859-1; characters
    outside it are sent as JSON escapes, which every charset carries."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if charset.lower() == LATIN1:
        text = "".join(
            c if ord(c) < 256 else json.dumps(c)[1:-1] for c in text
        )
        return text.encode(LATIN1), f"application/json;charset={LATIN1}"
    return text.encode("utf-8"), "application/json; charset=utf-8"


# -- parsing (pure functions) -------------------------------------------------------------


def _b64_latin1(value: str, what: str) -> str:
    try:
        raw = value.encode("iso-8859-1")
    except UnicodeEncodeError:
        raise SourceError(
            f"the Trio {what} contains characters outside ISO-8859-1, which the API cannot take",
            kind=ErrorKind.AUTH, permanent=True,
        ) from None
    return base64.b64encode(raw).decode("ascii")


def _parse_tokens(response: HttpResponse, server: str, now: float) -> _Tokens:
    body = response.json()
    if isinstance(body, dict) and "access_token" not in body and isinstance(body.get("data"), dict):
        body = body["data"]
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        received = sorted(body) if isinstance(body, dict) else type(body).__name__
        raise SourceError(
            f"token response from {response.url} has no access_token; received {received}",
            kind=ErrorKind.BAD_SHAPE, url=response.url,
        )
    lifetime = body.get("expires_in", DEFAULT_TOKEN_LIFETIME_S)
    if isinstance(lifetime, str) and lifetime.isdigit():
        lifetime = int(lifetime)
    if not isinstance(lifetime, int | float) or isinstance(lifetime, bool) or lifetime <= 0:
        raise SourceError(
            f"token response from {response.url} has an invalid expires_in {lifetime!r}",
            kind=ErrorKind.BAD_SHAPE, url=response.url,
        )
    refresh = body.get("refresh_token")
    return _Tokens(
        access=body["access_token"],
        refresh=refresh if isinstance(refresh, str) and refresh else None,
        access_expires_at=now + float(lifetime),
        server=server,
    )


def _base_from_location(location: str, path: str) -> str | None:
    """The other server's base URL: the Location with the requested path cut off."""
    parts = urlsplit(location)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    suffix = "/" + path.strip("/") if path.strip("/") else ""
    if suffix and not parts.path.endswith(suffix):
        return None
    base_path = parts.path[: len(parts.path) - len(suffix)]
    return f"{parts.scheme}://{parts.netloc}{base_path}".rstrip("/")


def _data_list(response: HttpResponse) -> list[Any]:
    body = response.json()
    if not isinstance(body, dict) or "data" not in body:
        shape = sorted(body)[:8] if isinstance(body, dict) else type(body).__name__
        raise SourceError(
            f"response from {response.url} is not a links/data wrapper (got {shape})",
            kind=ErrorKind.BAD_SHAPE, url=response.url,
        )
    data = body["data"]
    if not isinstance(data, list):
        raise SourceError(
            f"response from {response.url} has data of type {type(data).__name__}, "
            "expected a list",
            kind=ErrorKind.BAD_SHAPE, url=response.url,
        )
    return data


def _pagination(response: HttpResponse) -> dict[str, int] | None:
    raw = response.headers.get("x-pagination")
    if raw is None:
        return None
    try:
        info = json.loads(raw)
        total_pages = info["totalPages"]
        total_count = info["totalCount"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise SourceError(
            f"unreadable X-Pagination header from {response.url}: {raw[:120]!r} ({exc})",
            kind=ErrorKind.BAD_SHAPE, url=response.url,
        ) from None
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
               for v in (total_pages, total_count)):
        raise SourceError(
            f"X-Pagination from {response.url} has non-integer totals: {raw[:120]!r}",
            kind=ErrorKind.BAD_SHAPE, url=response.url,
        )
    return {"totalPages": total_pages, "totalCount": total_count}


def _identifier(item: Mapping[str, Any], field_name: str) -> str:
    value = item.get(field_name)
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise BadRecord(f"{field_name} is {value!r}, expected an integer or a string")
    return str(value)


def _number(
    item: Mapping[str, Any], field_name: str, *, maximum: float | None = None
) -> float | None:
    value = item.get(field_name)
    if value is None:
        return None  # not received: no sample, never a made-up zero
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRecord(f"{field_name} is {value!r}, expected a number")
    number = float(value)
    if not math.isfinite(number) or number < 0 or (maximum is not None and number > maximum):
        raise BadRecord(f"{field_name} is {value!r}, out of range")
    return number


def parse_queue(item: Any, fields: Mapping[str, str]) -> QueueRecord:
    """One services/state item -> a QueueRecord; raises BadRecord."""
    if not isinstance(item, dict):
        raise BadRecord(f"item is a {type(item).__name__}, expected an object")
    queue_id = _identifier(item, fields["queue_id"])
    name = item.get(fields["queue_name"])
    if not isinstance(name, str) or not name.strip():
        raise BadRecord(f"queue {queue_id}: {fields['queue_name']} is {name!r}")
    metrics: dict[str, float] = {}
    is_open = item.get(fields["open"])
    if is_open is not None:
        if not isinstance(is_open, bool):
            raise BadRecord(
                f"queue {queue_id}: {fields['open']} is {is_open!r}, expected a boolean"
            )
        metrics["open"] = 1.0 if is_open else 0.0
    for metric in QUEUE_METRICS:
        if metric == "open":
            continue
        try:
            cap = 100.0 if metric.endswith("_pct") else None
            value = _number(item, fields[metric], maximum=cap)
        except BadRecord as exc:
            raise BadRecord(f"queue {queue_id}: {exc}") from None
        if value is not None:
            metrics[metric] = value
    return QueueRecord(queue_id=queue_id, name=name.strip(), metrics=metrics)


def parse_agents(items: list[Any], fields: Mapping[str, str]) -> tuple[list[AgentRecord], int]:
    agents: dict[str, AgentRecord] = {}
    skipped = 0
    for item in items:
        try:
            agent = parse_agent(item, fields)
        except BadRecord as exc:
            skipped += 1
            log.warning("skipping agent record: %s", exc)
            continue
        agents.setdefault(agent.agent_id, agent)
    return list(agents.values()), skipped


def parse_agent(item: Any, fields: Mapping[str, str]) -> AgentRecord:
    if not isinstance(item, dict):
        raise BadRecord(f"item is a {type(item).__name__}, expected an object")
    agent_id = _identifier(item, fields["agent_id"])
    state = item.get(fields["agent_state"])
    if not isinstance(state, str) or not state:
        raise BadRecord(f"agent {agent_id}: {fields['agent_state']} is {state!r}")
    name = item.get(fields["agent_name"])
    if name is not None and not isinstance(name, str):
        raise BadRecord(f"agent {agent_id}: {fields['agent_name']} is {name!r}")
    since_raw = item.get(fields["agent_state_since"])
    since_ms: int | None = None
    if since_raw is not None:
        if not isinstance(since_raw, str):
            raise BadRecord(f"agent {agent_id}: {fields['agent_state_since']} is {since_raw!r}")
        try:
            parsed = datetime.fromisoformat(since_raw.replace("Z", "+00:00"))
        except ValueError:
            raise BadRecord(
                f"agent {agent_id}: {fields['agent_state_since']} {since_raw!r} is not ISO-8601"
            ) from None
        if parsed.tzinfo is None:
            raise BadRecord(f"agent {agent_id}: {since_raw!r} has no time zone")
        since_ms = int(parsed.timestamp() * 1000)
    queues_raw = item.get(fields["agent_queue_ids"], [])
    if queues_raw is None:
        queues_raw = []
    if not isinstance(queues_raw, list) or not all(
        isinstance(q, int | str) and not isinstance(q, bool) for q in queues_raw
    ):
        raise BadRecord(f"agent {agent_id}: {fields['agent_queue_ids']} is {queues_raw!r}")
    return AgentRecord(
        agent_id=agent_id,
        name=(name or "").strip() or agent_id,
        state=state.strip().lower(),
        state_since_ms=since_ms,
        queue_ids=tuple(str(q) for q in queues_raw),
    )


async def _gather_all(coros: list[Awaitable[list[Any]]]) -> list[list[Any]]:
    """Run all; on the first failure cancel the rest and raise that failure."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


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
from urllib.parse import urlsplit

from storage import AgentRecord, Sample, SeriesKey

from .base import PollOutcome
from .clock import Clock, SystemClock
from .deadline import Deadline
from .errors import ErrorKind, SourceError
from .http import HttpResponse, HttpSeam
from .retry import RetryPolicy, call_with_retry

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
        self._base = config.base_url.rstrip("/")
        self._tokens: _Tokens | None = None
        self._requests = 0

    @property
    def active_url(self) -> str:
        return self._base

    @property
    def failover_active(self) -> bool:
        return self._base != self.config.base_url.rstrip("/")

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
            return ("degraded", f"failover: served by {outcome.active_url}")
        return ("up", "polled successfully")

    # -- one poll ------------------------------------------------------------------------

    async def poll(self, deadline: Deadline) -> PollOutcome:
        self._requests = 0
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
        """One page of queue and agent state, as received with and without ``fields``.

        For ``trio-monitor trio probe``: a site compares what its server sends with the
        configured mapping. ``known_fields`` (per kind, usually the default mapping) are
        asked for too, so a field that exists under its default name shows up as received
        but not mapped.
        """
        cc = f"cc/{self.config.ccid}"
        report: dict[str, dict[str, Any]] = {}
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
            for item in [*plain, *asked]:
                if isinstance(item, dict):
                    for key, value in item.items():
                        received.setdefault(key, value)
            report[kind] = {"mapping": dict(fields), "received": received, "path": path}
        return report

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
        headers: dict[str, str] | None = None,
        authed: bool = False,
    ) -> HttpResponse:
        """One request with retries for transient faults; follows failover redirects."""
        for _hop in range(MAX_REDIRECTS + 1):
            all_headers = dict(headers or {})
            if self.config.charset != "utf-8":
                all_headers["Accept-Charset"] = self.config.charset
            if authed:
                assert self._tokens is not None
                all_headers["Authorization"] = f"Bearer {self._tokens.access}"
            url = f"{self._base}/{path}"

            async def attempt(
                url: str = url, all_headers: dict[str, str] = all_headers
            ) -> HttpResponse:
                self._requests += 1
                return await self._seam.request(
                    method, url, deadline=deadline, params=params, headers=all_headers, data=data
                )

            response = await call_with_retry(
                attempt, policy=self._retry, deadline=deadline, clock=self._clock, rng=self._rng
            )
            if response.status not in REDIRECT_STATUSES:
                return response
            self._follow_redirect(response, path)
            if authed:
                await self._login(deadline)  # a token of one server is not valid on the other
        raise SourceError(
            f"more than {MAX_REDIRECTS} redirects for {method} {path}",
            kind=ErrorKind.PROTOCOL,
        )

    def _follow_redirect(self, response: HttpResponse, path: str) -> None:
        location = response.headers.get("location")
        if not location:
            raise SourceError(
                f"HTTP {response.status} without a Location header from {response.url}",
                kind=ErrorKind.PROTOCOL, status=response.status, url=response.url,
            )
        new_base = _base_from_location(location, path)
        if new_base is None:
            raise SourceError(
                f"HTTP {response.status} to an unexpected location {location!r}",
                kind=ErrorKind.PROTOCOL, status=response.status, url=response.url,
            )
        primary = self.config.base_url.rstrip("/")
        if new_base == primary:
            log.warning("redirected back to the primary server %s: failover ended", new_base)
        else:
            log.warning("redirected from %s to %s: the site is in failover", self._base, new_base)
        self._base = new_base
        self._tokens = None


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
    suffix = "/" + path.strip("/")
    if not parts.path.endswith(suffix):
        return None
    return f"{parts.scheme}://{parts.netloc}{parts.path[: -len(suffix)]}".rstrip("/")


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


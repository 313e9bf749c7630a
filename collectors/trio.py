"""The Trio Enterprise TE API source: login, token refresh, failover, paging, parsing.

Conventions are those of ../shared/TRIO_API.md. Field names of the queue and agent state
are configuration (``queue_fields`` / ``agent_fields``), because installations differ.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from specs.metrics import QUEUE_UNITS
from storage import AgentRecord, Sample, SeriesKey

from .base import PollOutcome
from .clock import Clock, SystemClock
from .deadline import Deadline
from .errors import ErrorKind, SourceError
from .http import HttpResponse, HttpSeam, redact_url
from .retry import RetryPolicy, call_with_retry
from .trio_records import (
    DEFAULT_AGENT_STATE_CODES,
    AgentReading,
    BadRecord,
    ParseReport,
    QueueRecord,
    data_list,
    load_json,
    parse_agent,
    parse_agents,
    parse_queue,
    parse_queues,
    token_lifetime,
)

# Record parsing lives in trio_records; these names are part of this module's API too.
__all__ = [
    "BadRecord", "ParseReport", "QueueRecord", "TrioConfig", "TrioSource", "parse_agent",
    "parse_agents", "parse_queue",
]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# Metric -> unit (declared in specs.metrics); ``open`` is stored as 1.0 / 0.0.
QUEUE_METRICS: dict[str, str] = dict(QUEUE_UNITS)
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
    # Numeric agent state code -> state name (a server may send codes instead of names).
    agent_state_codes: dict[str, str] = field(
        default_factory=lambda: dict(DEFAULT_AGENT_STATE_CODES)
    )
    # The site's time zone: timestamps the server sends without an offset are read in it.
    timezone: str = "Europe/Stockholm"


@dataclass
class _Tokens:
    access: str
    refresh: str | None
    access_expires_at: float  # epoch seconds
    server: str  # the base URL that issued them; tokens are per server
    warning: str | None = None  # e.g. an unusable expires_in, replaced by a safe lifetime


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
        self._reading = AgentReading(
            state_codes=dict(config.agent_state_codes), tz=ZoneInfo(config.timezone)
        )
        self._noted: set[str] = set()  # notes already given (see _notes)
        self._names: dict[str, str] = {}  # queue id -> last name received
        # (queue id, metric) -> its key, reused between polls: fewer objects per poll
        # means fewer and shorter full garbage collections, which stall every thread.
        self._keys: dict[tuple[str, str], SeriesKey] = {}

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
        then, the vendor warns), down while polls fail. A poll that refused values or
        skipped records says so ("partial: ...") instead of "polled successfully"."""
        if error is not None:
            return ("down", str(error))
        assert outcome is not None
        partial = outcome.partial
        if outcome.failover_active:
            reason = f"failover: served by {outcome.active_url}"
            return ("degraded", f"{reason}; {partial}" if partial else reason)
        return ("up", partial or "polled successfully")

    # -- one poll ------------------------------------------------------------------------

    async def poll(self, deadline: Deadline) -> PollOutcome:
        """One poll within ``deadline``: every request is bounded by it (the seam), and
        so is parsing and validation (``_off_loop``), the only other slow part; the
        deadline's ``SourceError`` names the phase that ran out of time."""
        self._requests = 0
        return await self._poll(deadline, _Phase())

    async def _poll(self, deadline: Deadline, phase: _Phase) -> PollOutcome:
        cc = f"cc/{self.config.ccid}"
        report = ParseReport()
        path = f"{cc}/services/state"
        phase.doing = f"requesting {path}"
        pages = await self._collection(path, self.config.queue_fields, "queue_id", deadline)
        ts_ms = int(self._clock.time() * 1000)
        samples = await self._off_loop(
            deadline, phase, self._queue_samples, phase, pages, path, report, ts_ms
        )
        agents: list[AgentRecord] | None = None
        if self.config.collect_agents:
            path = f"{cc}/agents/state"
            phase.doing = f"requesting {path}"
            pages = await self._collection(path, self.config.agent_fields, "agent_id", deadline)
            agents = await self._off_loop(
                deadline, phase, self._agents, phase, pages, path, report
            )
        report.log(f"poll of {self._base}")
        return PollOutcome(
            samples=samples,
            agents=agents,
            records_skipped=report.records_skipped,
            failover_active=self.failover_active,
            active_url=self._base,
            requests=self._requests,
            warnings=self._notes(report),
            values_refused=report.values_refused,
            partial=report.summary(),
        )

    async def _off_loop(
        self, deadline: Deadline, phase: _Phase, fn: Callable[..., _T], *args: Any
    ) -> _T:
        """``fn(*args)`` on a worker thread within the deadline, so that a large body does
        not stall the event loop (lease renewal, notifications, other sources). ``fn``
        sets ``phase`` as it goes; the deadline's error names the phase it was in. The
        parsed items are made and freed on that thread too: freeing a few hundred
        thousand objects is itself a stall."""
        deadline.check(phase.doing)
        try:
            async with asyncio.timeout(deadline.remaining()):
                return await asyncio.to_thread(fn, *args)
        except TimeoutError:
            # The thread cannot be stopped; it ends on its own (its input is size-capped).
            raise deadline.error(phase.doing) from None

    def _notes(self, report: ParseReport) -> list[str]:
        """Things the site should know once, not every poll: returned as warnings (the
        collector records each as a source event) and logged."""
        notes = []
        if report.zoneless:
            notes.append(
                f"timestamps without a zone offset are read in the site's time zone"
                f" {self.config.timezone}"
            )
        tokens = self._tokens
        if tokens is not None and tokens.warning is not None:
            notes.append(tokens.warning)
        fresh = [note for note in notes if note not in self._noted]
        for note in fresh:
            log.warning("%s", note)
        self._noted.update(fresh)
        return fresh

    def _agents(
        self, phase: _Phase, pages: list[HttpResponse], path: str, report: ParseReport
    ) -> list[AgentRecord]:
        items = _items_of(pages, path, phase)
        phase.doing = f"validating {len(items)} agent records of {path}"
        agents, _ = parse_agents(items, self.config.agent_fields, self._reading, report)
        return agents

    def _queue_samples(
        self, phase: _Phase, pages: list[HttpResponse], path: str, report: ParseReport,
        ts_ms: int,
    ) -> list[Sample]:
        """The samples of every readable queue, on a worker thread. The collector runs one
        poll of a source at a time; a thread that outlived its poll's deadline may still
        finish beside the next one, and then writes the same facts (last names, keys), so
        the worst it leaves is a name one poll old."""
        items = _items_of(pages, path, phase)
        phase.doing = f"validating {len(items)} queue records of {path}"
        samples: list[Sample] = []
        old_keys, keys = self._keys, {}
        for record in parse_queues(items, self.config.queue_fields, report):
            # A refused name: the last one received (a label, not a measurement), else the id.
            name = record.name or self._names.get(record.queue_id) or record.queue_id
            if record.name is not None:
                self._names[record.queue_id] = record.name
            for metric, value in record.metrics.items():
                key = old_keys.get((record.queue_id, metric))
                if key is None or key.entity_name != name:
                    key = SeriesKey(
                        source=self.name,
                        entity_kind="queue",
                        entity_id=record.queue_id,
                        metric=metric,
                        unit=QUEUE_METRICS[metric],
                        entity_name=name,
                    )
                keys[record.queue_id, metric] = key
                samples.append(Sample(key, ts_ms, value))
        self._keys = keys
        return samples

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
    ) -> list[HttpResponse]:
        """Every page of a paged collection (unparsed), asking only for the mapped fields."""
        params = {
            "fields": ",".join(dict.fromkeys(fields.values())),
            "sort": fields[sort_key],
            "pageSize": str(self.config.page_size),
            "page": "1",
        }
        first = await self._get(path, params, deadline)
        paging = _pagination(first)
        if paging is None or paging["totalPages"] <= 1:
            return [first]
        total_pages = paging["totalPages"]
        if total_pages > MAX_PAGES:
            raise SourceError(
                f"{first.url} reports {total_pages} pages (more than {MAX_PAGES})",
                kind=ErrorKind.BAD_SHAPE,
            )
        gate = asyncio.Semaphore(self.config.page_concurrency)

        async def page(number: int) -> HttpResponse:
            async with gate:
                return await self._get(path, {**params, "page": str(number)}, deadline)

        return [first, *await _gather_all([page(n) for n in range(2, total_pages + 1)])]

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
    """The tokens of a login or refresh. A missing access token fails (naming the fields
    received); an unusable ``expires_in`` does not: the token is then refreshed on a
    short safe interval, with a warning (``_Tokens.warning``)."""
    body = response.json()
    if isinstance(body, dict) and "access_token" not in body and isinstance(body.get("data"), dict):
        body = body["data"]
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        received = sorted(body) if isinstance(body, dict) else type(body).__name__
        raise SourceError(
            f"token response from {response.url} has no access_token; received {received}",
            kind=ErrorKind.BAD_SHAPE, url=response.url,
        )
    lifetime, warning = token_lifetime(body)
    if warning is not None:
        log.warning("%s (%s)", warning, response.url)
    refresh = body.get("refresh_token")
    return _Tokens(
        access=body["access_token"],
        refresh=refresh if isinstance(refresh, str) and refresh else None,
        access_expires_at=now + lifetime,
        server=server,
        warning=warning,
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
    """The ``data`` list of one response, parsed on the caller's thread (small bodies)."""
    return _page_items(response)


def _page_items(response: HttpResponse) -> list[Any]:
    """Raises ``SourceError`` (malformed JSON, or not a links/data wrapper)."""
    try:
        body = load_json(response.body, response.charset)
    except (ValueError, RecursionError) as exc:
        start = " ".join(response.text()[:120].split())[:80]
        raise SourceError(
            f"malformed JSON from {response.method} {redact_url(response.url)}: {exc};"
            f" body starts with {start!r}",
            kind=ErrorKind.MALFORMED, status=response.status, url=response.url,
        ) from exc
    try:
        return data_list(body, response.url)
    except ValueError as exc:
        raise SourceError(str(exc), kind=ErrorKind.BAD_SHAPE, url=response.url) from None


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


async def _gather_all(coros: list[Awaitable[_T]]) -> list[_T]:
    """Run all; on the first failure cancel the rest and raise that failure."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise



@dataclass
class _Phase:
    """What a poll is doing now, for the error when its deadline runs out."""

    doing: str = "starting"


def _items_of(pages: list[HttpResponse], path: str, phase: _Phase) -> list[Any]:
    size = sum(len(p.body) for p in pages)
    phase.doing = f"parsing {len(pages)} page(s) ({size} bytes) of {path}"
    items: list[Any] = []
    for page in pages:
        items.extend(_page_items(page))
    return items

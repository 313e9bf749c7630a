"""The Trio Enterprise TE API source: login, token refresh, failover, paging (records are
read in trio_records, the wire format in trio_wire).

Conventions are those of ../shared/TRIO_API.md. Field names of the queue and agent state
are configuration (``queue_fields`` / ``agent_fields``), because installations differ.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import httpx

from specs.clock import now_ms
from specs.metrics import QUEUE_UNITS
from specs.sources import HealthState
from storage import AgentRecord, Sample, SeriesKey

from .base import PollOutcome
from .clock import Clock, SystemClock
from .deadline import Deadline
from .errors import ErrorKind, SourceError
from .http import HttpResponse, HttpSeam
from .retry import RetryPolicy, call_with_retry
from .trio_records import (
    DEFAULT_AGENT_STATE_CODES,
    AgentReading,
    BadRecord,
    ParseReport,
    QueueRecord,
    parse_agent,
    parse_agents,
    parse_queue,
    parse_queues,
)
from .trio_servers import ServerInfo, TrustedServers, host_of, parse_origin, parse_server_info
from .trio_wire import (
    Phase,
    Tokens,
    b64_latin1,
    base_from_location,
    data_list_of,
    gather_all,
    items_of,
    json_request_body,
    json_type,
    pagination,
    parse_tokens,
)

# Record parsing lives in trio_records and the wire format in trio_wire; these names are
# part of this module's API too.
__all__ = [
    "BadRecord", "ParseReport", "QueueRecord", "TrioConfig", "TrioSource", "json_request_body",
    "json_type", "parse_agent", "parse_agents", "parse_queue",
]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

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
    # Numeric agent state code -> state name (a server may send codes instead of names).
    agent_state_codes: dict[str, str] = field(
        default_factory=lambda: dict(DEFAULT_AGENT_STATE_CODES)
    )


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
        self._tokens: Tokens | None = None
        self._requests = 0
        self._failover_since: float | None = None  # epoch s of the switch to the secondary
        self._primary_checked_at: float | None = None  # monotonic s
        self._discovered_at: float | None = None  # monotonic s
        self._reading = AgentReading(
            state_codes=dict(config.agent_state_codes), tz=self._zone
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
        then, the vendor warns), down while polls fail. A poll that refused values or
        skipped records says so ("partial: ...") instead of "polled successfully"."""
        if error is not None:
            return (HealthState.DOWN.value, str(error))
        assert outcome is not None
        partial = outcome.partial
        if outcome.failover_active:
            since = self._failover_since if self._failover_since is not None else (
                self._clock.time()
            )
            at = datetime.fromtimestamp(since, self._zone).strftime("%H:%M")
            reason = f"in failover since {at} (served by {outcome.active_url})"
            return (HealthState.DEGRADED.value, f"{reason}; {partial}" if partial else reason)
        return (HealthState.UP.value, partial or "polled successfully")

    # -- one poll ------------------------------------------------------------------------

    async def poll(self, deadline: Deadline) -> PollOutcome:
        """One poll within ``deadline``: every request is bounded by it (the seam), and
        so is parsing and validation (``_off_loop``), the only other slow part; the
        deadline's ``SourceError`` names the phase that ran out of time."""
        self._requests = 0
        await self._servers_due(deadline)
        return await self._poll(deadline, Phase())

    async def _poll(self, deadline: Deadline, phase: Phase) -> PollOutcome:
        cc = f"cc/{self.config.ccid}"
        report = ParseReport()
        path = f"{cc}/services/state"
        phase.doing = f"requesting {path}"
        pages = await self._collection(path, self.config.queue_fields, "queue_id", deadline)
        ts_ms = now_ms(self._clock.time)
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
            refused=dict(report.refused),
            partial=report.summary(),
        )

    async def _off_loop(
        self, deadline: Deadline, phase: Phase, fn: Callable[..., _T], *args: Any
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
        self, phase: Phase, pages: list[HttpResponse], path: str, report: ParseReport
    ) -> list[AgentRecord]:
        items = items_of(pages, path, phase)
        phase.doing = f"validating {len(items)} agent records of {path}"
        agents, _ = parse_agents(items, self.config.agent_fields, self._reading, report)
        return agents

    def _queue_samples(
        self, phase: Phase, pages: list[HttpResponse], path: str, report: ParseReport,
        ts_ms: int,
    ) -> list[Sample]:
        """The samples of every readable queue, on a worker thread. The collector runs one
        poll of a source at a time; a thread that outlived its poll's deadline may still
        finish beside the next one, and then writes the same facts (last names, keys), so
        the worst it leaves is a name one poll old."""
        items = items_of(pages, path, phase)
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
                        unit=QUEUE_UNITS[metric],
                        entity_name=name,
                    )
                keys[record.queue_id, metric] = key
                samples.append(Sample(key, ts_ms, value))
        self._keys = keys
        return samples

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
            plain = data_list_of(await self._get(path, {"pageSize": "5"}, deadline))
            asked = data_list_of(await self._get(
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
    ) -> list[HttpResponse]:
        """Every page of a paged collection (unparsed), asking only for the mapped fields."""
        params = {
            "fields": ",".join(dict.fromkeys(fields.values())),
            "sort": fields[sort_key],
            "pageSize": str(self.config.page_size),
            "page": "1",
        }
        first = await self._get(path, params, deadline)
        paging = pagination(first)
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

        return [first, *await gather_all([page(n) for n in range(2, total_pages + 1)])]

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
            "username": b64_latin1(self.config.username, "username"),
            "password": b64_latin1(self.config.password, "password"),
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
        self._tokens = parse_tokens(response, self._base, self._clock.time())
        if self._tokens.warning is not None:
            log.warning("%s (%s)", self._tokens.warning, response.url)

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
        new_base = base_from_location(target, path)
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

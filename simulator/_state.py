"""State shared by the primary and the secondary server: model, tokens, faults, stats."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from simulator._config import SimulatorConfig
from simulator._faults import FaultBook
from simulator._fleet import Fleet
from simulator._model import ContactCenter, QueueTotals, Snapshot

PRIMARY = "primary"
SECONDARY = "secondary"
ROLES = (PRIMARY, SECONDARY)
FOREIGN = "foreign"  # the recording stand-in for a host nobody announced
RECENT_PER_RESOURCE = 1000
FOREIGN_RECORD_LIMIT = 1000


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int


class TokenStore:
    """The tokens one server issued. Tokens are opaque random strings with an expiry."""

    _PURGE_ABOVE = 2000

    def __init__(self) -> None:
        self._access: dict[str, float] = {}
        self._refresh: dict[str, float] = {}

    def issue(self, now: float, access_s: float, refresh_s: float) -> IssuedTokens:
        if len(self._access) + len(self._refresh) > self._PURGE_ABOVE:
            self._purge(now)
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._access[access] = now + access_s
        self._refresh[refresh] = now + refresh_s
        return IssuedTokens(access, refresh, int(access_s))

    def access_valid(self, token: str, now: float) -> bool:
        expires = self._access.get(token)
        return expires is not None and now < expires

    def take_refresh(self, token: str, now: float) -> bool:
        """True if the refresh token was valid; it is spent either way."""
        expires = self._refresh.pop(token, None)
        return expires is not None and now < expires

    def clear(self) -> None:
        self._access.clear()
        self._refresh.clear()

    def _purge(self, now: float) -> None:
        self._access = {t: e for t, e in self._access.items() if e > now}
        self._refresh = {t: e for t, e in self._refresh.items() if e > now}


class Stats:
    """Request counts per server, resource and status, and recent arrival times."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._requests: Counter[tuple[str, str]] = Counter()
        self._statuses: Counter[tuple[str, str, str]] = Counter()
        self._recent: dict[str, deque[float]] = {}

    def arrived(self, server: str, resource: str, wall_time: float) -> None:
        self._requests[server, resource] += 1
        recent = self._recent.get(resource)
        if recent is None:
            recent = self._recent[resource] = deque(maxlen=RECENT_PER_RESOURCE)
        recent.append(wall_time)

    def finished(self, server: str, resource: str, outcome: str) -> None:
        self._statuses[server, resource, outcome] += 1

    def as_dict(self) -> dict[str, Any]:
        servers: dict[str, Any] = {
            role: {"requests": 0, "statuses": {}, "resources": {}} for role in ROLES
        }
        for (server, resource), n in self._requests.items():
            entry = servers[server]
            entry["requests"] += n
            entry["resources"].setdefault(resource, {"requests": 0, "statuses": {}})
            entry["resources"][resource]["requests"] += n
        for (server, resource, outcome), n in self._statuses.items():
            entry = servers[server]
            entry["statuses"][outcome] = entry["statuses"].get(outcome, 0) + n
            res = entry["resources"].setdefault(resource, {"requests": 0, "statuses": {}})
            res["statuses"][outcome] = res["statuses"].get(outcome, 0) + n
        by_resource: Counter[str] = Counter()
        for (_, resource), n in self._requests.items():
            by_resource[resource] += n
        by_status: Counter[str] = Counter()
        for (_, _, outcome), n in self._statuses.items():
            by_status[outcome] += n
        return {
            "total": sum(s["requests"] for s in servers.values()),
            "by_resource": dict(by_resource),  # both servers together
            "by_status": dict(by_status),  # both servers together
            "servers": servers,
            "recent": {resource: list(times) for resource, times in self._recent.items()},
        }


class Shared:
    """One contact center served by two servers. Lives on the servers' event loop."""

    def __init__(self, config: SimulatorConfig, model: ContactCenter) -> None:
        self.config = config
        self.model = model
        self.faults = FaultBook()
        self.stats = Stats()
        self.failover_active = False
        self.primary_down = False  # the primary's port refuses connections
        # Set by the servers: takes the primary down (False) or up (True); see _server.py.
        self.set_primary_listening: Callable[[bool, Any], Awaitable[None]] | None = None
        # The secondary's contact-center counters count from its last takeover (the
        # vendor: statistics in failover are not accurate); before any, from the start.
        self._counted_from = self._totals()
        self.foreign_requests: deque[dict[str, Any]] = deque(maxlen=FOREIGN_RECORD_LIMIT)
        self.token_lifetime_s = config.token_lifetime_s
        self.tokens = {role: TokenStore() for role in ROLES}
        # "http://host:port", set once listening
        self.origins = dict.fromkeys((*ROLES, FOREIGN), "")
        self.stopping = asyncio.Event()  # set at shutdown: hung requests end
        self.fleet = config.fleet or Fleet(
            config.worker_names or (), config.reconciler_names or (), config.seed, self.now()
        )

    def now(self) -> float:
        return self.config.clock()

    def snapshot(self) -> Snapshot:
        return self.model.snapshot(self.now())

    def base_url(self, role: str) -> str:
        return f"{self.origins[role]}/te/api"

    def revoke_tokens(self) -> None:
        for store in self.tokens.values():
            store.clear()

    def set_failover(self, active: bool) -> None:
        """Switch failover mode; a switch to the secondary restarts its counters."""
        if active and not self.failover_active:
            self.snapshot()  # counters up to this moment belong to the primary
            self._counted_from = self._totals()
        self.failover_active = active

    def _totals(self) -> dict[int, QueueTotals]:
        return {
            item["serviceid"]: self.model.queue_totals(item["serviceid"])
            for item in self.model.services()
        }

    def as_served_by_secondary(self, item: dict[str, Any]) -> dict[str, Any]:
        """A services/state item as the secondary sees it: answered, abandoned and service
        level count only calls since its takeover (or since midnight, if that is later)."""
        serviceid = item["serviceid"]
        base = self._counted_from.get(serviceid)
        if base is None:
            return item
        now = self.model.queue_totals(serviceid)
        # Totals since the model start never reset; today's reset at midnight. The
        # smaller of "since takeover" and "today" is what a server started then shows.
        answered = min(now.answered_today, now.answered - base.answered)
        in_sl = min(now.answered_in_sl_today, now.answered_in_sl - base.answered_in_sl)
        abandoned = min(now.abandoned_today, now.abandoned - base.abandoned)
        view = {
            **item,
            "answeredtoday": answered,
            "abandonedtoday": abandoned,
            "servicelevel": round(100.0 * in_sl / answered, 1) if answered else None,
        }
        view.update(self.model.pinned(serviceid))  # what a test pinned stays pinned
        return view

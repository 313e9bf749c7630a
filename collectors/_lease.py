"""The lease keeper: take the collector lease, renew it on its own connection, and settle
a refusal (take it again, or go to standby only when another collector holds it)."""

from __future__ import annotations

import asyncio
import logging

from storage import StorageUnavailable

from ._collector_state import LEASE_NAME, _iso
from ._scheduling import Scheduling

# Every part of the collector logs as "collectors.runner": operators filter on one name.
log = logging.getLogger("collectors.runner")


class LeaseKeeper(Scheduling):
    """Takes, renews and settles the collector lease."""

    async def _try_acquire(self) -> bool:
        ttl_ms = int(self.config.lease_ttl_s * 1000)
        now_ms = self._now_ms()
        try:
            token = await asyncio.to_thread(
                self.store.acquire_lease, LEASE_NAME, self.config.holder, ttl_ms, now_ms
            )
        except StorageUnavailable as exc:
            self._db_failed("acquiring the lease", exc)
            return False
        self._db_answered()
        if token is None:
            return False
        self.token = token
        self._lease_until_ms = now_ms + ttl_ms
        self.active.set()
        log.info("active: holding the collector lease", extra={"lease_token": token})
        return True

    async def _renew(self) -> None:
        assert self.token is not None
        ttl_ms = int(self.config.lease_ttl_s * 1000)
        now_ms = self._now_ms()
        try:
            renewed = await asyncio.to_thread(
                self.store.renew_lease,
                LEASE_NAME, self.config.holder, self.token, ttl_ms, now_ms,
            )
        except StorageUnavailable as exc:
            # Not a lost lease: keep polling into the buffer; whether another collector
            # took over is decided when the database answers again.
            self._db_failed("renewing the lease", exc)
            return
        self._db_answered()
        if renewed:
            self._lease_until_ms = now_ms + ttl_ms
        else:
            await self._lease_refused()

    async def _lease_refused(self) -> bool:
        """The database answered that our token no longer holds the lease (it expired,
        typically through an outage longer than the lease). Take it again if it is free;
        go to standby only if another collector positively holds it. True: still active.
        """
        old = self.token
        async with self._lease_lock:
            if self.token != old or old is None:
                return self.token is not None  # the other caller settled it meanwhile
            return await self._settle_lease(old)

    async def _settle_lease(self, old: int) -> bool:
        ttl_ms = int(self.config.lease_ttl_s * 1000)
        now_ms = self._now_ms()
        try:
            token = await asyncio.to_thread(
                self.store.acquire_lease, LEASE_NAME, self.config.holder, ttl_ms, now_ms)
            info = None if token is not None else await asyncio.to_thread(
                self.store.read_lease, LEASE_NAME)
        except StorageUnavailable as exc:
            self._db_failed("taking the lease again", exc)
            return True  # still in doubt: keep polling into the buffer
        self._db_answered()
        known_until = self._lease_until_ms or now_ms
        if token is not None:
            self.token = token
            self._lease_until_ms = now_ms + ttl_ms
            if token != old:
                log.warning("the lease had expired and was taken again (token %s -> %s)",
                            old, token)
            if token not in (old, old + 1):
                # Someone held it in between: what we polled after our lease ran out may
                # overlap their turn.
                self._supersede(known_until)
            return True
        # Another collector holds it. Nobody else polled before its acquisition (when the
        # token moved by one) or, at the least, before our own lease ran out.
        cutoff = (info.acquired_at_ms if info is not None and info.token == old + 1
                  else known_until)
        log.error(
            "another collector (%s) holds the lease since %s; going to standby",
            info.holder if info else "?", _iso(info.acquired_at_ms if info else None),
            extra={"lease_token": info.token if info else None},
        )
        self.token = None
        self.active.clear()
        self._stop_polling()
        await self._cancel_inflight(0.0)
        self._supersede(cutoff)
        return False

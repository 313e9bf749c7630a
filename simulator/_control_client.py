"""A synchronous client of the control API, for tests and scripts."""

from __future__ import annotations

from typing import Any

import httpx


class SimulatorControl:
    """Drives the simulator over its real control API (so it works across processes too).

    `fallback_urls` are the same control API on the other servers, used when the first
    refuses connections (the primary taken down with `primary(up=False)`).
    """

    def __init__(
        self, control_url: str, *fallback_urls: str, timeout_s: float = 5.0
    ) -> None:
        self.control_url = control_url.rstrip("/")
        self._urls = [self.control_url, *(url.rstrip("/") for url in fallback_urls)]
        # The simulator's own control API on loopback, possibly behind a test's
        # self-signed certificate: this helper drives it and sends it no secret.
        self._client = httpx.Client(timeout=timeout_s, verify=False)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        last: httpx.TransportError | None = None
        for url in self._urls:
            try:
                response = self._client.request(method, f"{url}/{path}", json=body)
            except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError) as exc:
                # Refused, or reset by a primary that went down: the call never reached a
                # handler there (a down primary resets before routing), so it may go on.
                last = exc
                continue
            response.raise_for_status()
            return response.json()
        assert last is not None
        raise last

    def inject(self, resource: str, kind: str, count: int | None = None, **params: Any) -> str:
        """Add a fault; returns its id. See simulator/README.md for kinds and params."""
        body = {"resource": resource, "kind": kind, "count": count, **params}
        return str(self._call("POST", "faults", body)["id"])

    def faults(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "faults"))

    def remove(self, fault_id: str) -> None:
        self._call("DELETE", f"faults/{fault_id}")

    def clear(self) -> None:
        self._call("DELETE", "faults")

    def revoke_tokens(self) -> None:
        self._call("POST", "revoke-tokens")

    def failover(self, active: bool) -> None:
        self._call("POST", "failover", {"active": active})

    def primary(self, up: bool, *, failover: bool | None = None) -> dict[str, Any]:
        """Take the primary down (refused; the secondary serves in failover mode) or bring
        it back (failover mode ends unless `failover=True`)."""
        body: dict[str, Any] = {"up": up}
        if failover is not None:
            body["failover"] = failover
        return dict(self._call("POST", "primary", body))

    def foreign_requests(self) -> list[dict[str, Any]]:
        """What the foreign (attacker) server received: method, path, headers, body."""
        return list(self._call("GET", "foreign/requests"))

    def token_lifetime(self, seconds: float) -> None:
        self._call("POST", "token-lifetime", {"seconds": seconds})

    def override_queue(self, serviceid: int, **fields: Any) -> None:
        """Pin fields of one queue's services/state item until released."""
        self._call("POST", f"queues/{serviceid}", fields)

    def release_queue(self, serviceid: int) -> None:
        self._call("DELETE", f"queues/{serviceid}")

    def stats(self) -> dict[str, Any]:
        return dict(self._call("GET", "stats"))

    def reset_stats(self) -> None:
        self._call("POST", "reset-stats")

    def worker(self, name: str, **params: Any) -> dict[str, Any]:
        """Drive a fake worker: `mode` ("healthy", "slow", "failing", "lying", "hang"),
        `latency_s`, `status`, `body` (fields merged into its JSON). Replaces the last call's."""
        return dict(self._call("POST", f"workers/{name}", params))

    def reset_worker(self, name: str) -> None:
        self._call("DELETE", f"workers/{name}")

    def reconciler(self, name: str, **params: Any) -> dict[str, Any]:
        """Drive a fake reconciler: `drift` (list of forced items, added), `healthy`,
        `consecutive_failures`, `last_success_age_s`, `mode` ("normal", "failing", "hang",
        "garbage"), ... (see simulator/README.md)."""
        return dict(self._call("POST", f"reconcilers/{name}", params))

    def reset_reconciler(self, name: str) -> None:
        self._call("DELETE", f"reconcilers/{name}")

    def clear_reconciler_drift(self, name: str) -> None:
        self._call("DELETE", f"reconcilers/{name}/drift")

    def field_types(self, **types: str) -> dict[str, str]:
        """Choose how typed fields are sent: open="int", state="code", time="local"
        (any subset; the rest stay). With no arguments, just read the current choice."""
        if not types:
            return dict(self._call("GET", "field-types"))
        return dict(self._call("POST", "field-types", types))

    def reset_field_types(self) -> dict[str, str]:
        """Back to the run's field types (the CLI's or SimulatorConfig's)."""
        return dict(self._call("DELETE", "field-types"))

    def close(self) -> None:
        self._client.close()

"""The text `trio-monitor trio probe` prints: the server, the fields, their types."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def _shown(value: Any) -> str:
    return "unknown (not received)" if value is None else json.dumps(value, ensure_ascii=False)


def format_probe(report: Mapping[str, Mapping[str, Any]]) -> str:
    """`TrioSource.probe`'s report as lines: what `GET /te/api` says (version, failover
    mode, both servers and where a failover would go), then per kind each mapped field
    with the value and the JSON types received, and the fields received but not mapped."""
    lines: list[str] = []
    server = report.get("server")
    if server is not None:
        lines += [
            f"server {server.get('url')} (GET /te/api)",
            f"  binaryVersion    {_shown(server.get('binaryVersion'))}",
            f"  failoverMode     {_shown(server.get('failoverMode'))}",
            f"  primaryServer    {_shown(server.get('primaryServer'))}",
            f"  secondaryServer  {_shown(server.get('secondaryServer'))}",
            "  failover goes to " + (
                str(server["secondary_url"]) if server.get("secondary_url")
                else "nowhere known: set TRIO_MONITOR_TRIO_SECONDARY_URL"
            ),
        ]
    for kind, part in report.items():
        if kind == "server":
            continue
        received: Mapping[str, Any] = part["received"]
        mapping: Mapping[str, str] = part["mapping"]
        types: Mapping[str, list[str]] = part.get("types", {})
        lines.append(f"\n{kind} ({part['path']}): {len(received)} field(s) received")
        lines.append(f"  {'our metric':<20} {'mapped to':<20} {'received value':<40} types seen")
        for metric, field_name in mapping.items():
            value = (json.dumps(received[field_name], ensure_ascii=False)
                     if field_name in received else "MISSING")
            seen = "/".join(types.get(field_name, [])) or "-"
            lines.append(f"  {metric:<20} {field_name:<20} {value[:40]:<40} {seen}")
        unmapped = sorted(set(received) - set(mapping.values()))
        if unmapped:
            lines.append("  received but not mapped: " + ", ".join(
                f"{name} ({'/'.join(types.get(name, [])) or '?'})" for name in unmapped
            ))
    return "\n".join(lines)

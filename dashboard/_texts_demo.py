"""Texts of the demo command's progress (helper "demo"; folded into the catalog at merge)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "demo_step_database": ("preparing the database…", "förbereder databasen…"),
    "demo_step_history": ("filling {days} days of history… {pct} %",
                          "fyller i {days} dagars historik… {pct} %"),
    "demo_history_done": (
        "{days} days of history filled in {seconds} s ({samples} samples)",
        "{days} dagars historik ifylld på {seconds} s ({samples} mätvärden)",
    ),
    "demo_history_found": ("history found in the database: nothing to fill",
                           "historik finns redan i databasen: inget att fylla i"),
    "demo_history_off": ("no history filled (--history-days 0)",
                         "ingen historik ifylld (--history-days 0)"),
    "demo_history_failed": ("history not filled (the demo runs without it): {error}",
                            "historiken fylldes inte i (demon körs utan den): {error}"),
    "demo_starting": ("starting the simulator, the collector and the web app…",
                      "startar simulatorn, insamlaren och webbappen…"),
}

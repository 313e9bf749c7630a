"""Texts of the CLI's operator output, the reasons of alert states the catalog lacked,
and the tiles' badges (helper "words"): key -> (English, Swedish)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # -- reasons the alert engine and service store (alerts/), read back by stored() --
    "rsn_no_value": ("no {metric} value", "inget värde för {metric}"),
    "rsn_no_fresh_value": ("no fresh {metric} value (newest {time})",
                           "inget färskt värde för {metric} (senaste {time})"),
    "rsn_source_failing": ("source {name} failing", "källan {name} fallerar"),
    "rsn_source_failing_since": ("source {name} failing since {time}",
                                 "källan {name} fallerar sedan {time}"),
    "rsn_open_unknown": ("queue open or closed unknown",
                         "okänt om kön är öppen eller stängd"),
    "rsn_held": ("kept open until the data is known again",
                 "hålls öppet tills data är kända igen"),
    "rsn_disabled": ("rule disabled by an administrator",
                     "regeln är avstängd av en administratör"),
    "rsn_orphan": ("no longer watched by this rule (its scope changed or the series is gone)",
                   "bevakas inte längre av regeln (dess omfattning ändrades eller serien "
                   "finns inte längre)"),
    "rsn_failover_counted": ("counted since the failover (the secondary server's counters)",
                             "räknat sedan failover (reservserverns räknare)"),
    "rsn_failover_counted_at": (
        "counted since the failover at {time} (the secondary server's counters)",
        "räknat sedan failover kl. {time} (reservserverns räknare)"),
    "rsn_for_of": ("{what} for {seconds} s of {pending} s", "{what} i {seconds} s av {pending} s"),
    "rsn_because": ("{what} ({why})", "{what} ({why})"),
}

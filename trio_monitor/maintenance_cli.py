"""``trio-monitor maintenance``: planned maintenance from the command line, as on /alerts.

    trio-monitor maintenance add once --start "2026-12-06 02:00" --end "2026-12-06 04:00" \\
        --reason "Trio upgrade" [--rule NAME|ID] [--source S] [--kind K] [--entity ID ...]
    trio-monitor maintenance add weekly --day sunday --start 02:00 --end 04:00 --reason ...
    trio-monitor maintenance list [--all]
    trio-monitor maintenance remove ID

Times are local to the site's zone (``TRIO_MONITOR_TIMEZONE``). What a valid plan is
(scope, times, reason) is decided by the same functions as the /alerts form
(``dashboard.floorforms``); this module only resolves names the form picks from lists
(a rule by name, a source, a kind, entity ids) and refuses ones that are not stored.
Changes are audited by the store (actor "system"), as on the web. Messages follow
``TRIO_MONITOR_LANGUAGE``.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

from .cliutil import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, CommandError
from .cliutil import open_database as _open_database
from .cliutil import start as _start
from .cliutil import unavailable as _unavailable

REPEATS = ("once", "weekly")


def add_commands(sub: Any, group: Callable[[Any, str, str], Any]) -> None:
    maintenance = group(sub, "maintenance", "planned maintenance: silences that start later, "
                                            "and weekly windows")
    p = maintenance.add_parser("add", help="plan maintenance (audited, actor system)")
    p.add_argument("repeat", choices=REPEATS, help="once, or every week")
    p.add_argument("--start", required=True,
                   help='once: "YYYY-MM-DD HH:MM"; weekly: HH:MM (the site\'s zone)')
    p.add_argument("--end", required=True,
                   help='once: "YYYY-MM-DD HH:MM" after the start; weekly: HH:MM (at or '
                        "before the start: the next day)")
    p.add_argument("--day", help="weekly: the weekday (monday .. sunday, måndag .. söndag, "
                                 "or their first three letters)")
    p.add_argument("--reason", required=True, help="why (shown on /alerts)")
    p.add_argument("--rule", help="only this rule (its name or id); default every rule")
    p.add_argument("--source", help="only this source (e.g. trio); default every source")
    p.add_argument("--kind", help="only this kind of entity (e.g. queue)")
    p.add_argument("--entity", action="append", default=[], metavar="ID",
                   help="only this entity (needs --kind; source: --source, else the Trio "
                        "source); repeat for more")
    p.set_defaults(handler=cmd_maintenance_add)
    p = maintenance.add_parser("list", help="maintenance that is running or still to come")
    p.add_argument("--all", action="store_true", help="also ended and past windows")
    p.set_defaults(handler=cmd_maintenance_list)
    p = maintenance.add_parser("remove", help="end a window now (a running one stops)")
    p.add_argument("id", type=int)
    p.set_defaults(handler=cmd_maintenance_remove)


def _lang() -> str:
    from specs import text

    return text.language(os.environ.get("TRIO_MONITOR_LANGUAGE"))


def _t(key: str, **fields: object) -> str:
    from dashboard.i18n import t

    return t(key, _lang(), **fields)


def _now_ms() -> int:
    return int(time.time() * 1000)


def weekday(value: str | None) -> int | None:
    """0 (Monday) .. 6 from a weekday's name in either language, or its first three
    letters; None when it is none of them (the names are the catalog's)."""
    if value is None:
        return None
    from dashboard.i18n import t
    from specs.languages import Lang

    wanted = value.strip().casefold()
    for day in range(7):
        for lang in Lang:
            name = t(f"flr_day_{day}", lang).casefold()
            if wanted == name or (len(wanted) >= 3 and name.startswith(wanted)):
                return day
    return None


def cmd_maintenance_add(args: argparse.Namespace) -> int:
    import storage

    settings = _start(argparse.Namespace(), quiet=True)
    engine = _open_database(settings)
    try:
        plan = _plan(args, engine, settings)
        from auth import SYSTEM_ACTOR
        from dashboard.components.floor import when_words
        from dashboard.floorforms import store_plan

        now = _now_ms()
        row = store_plan(storage.MaintenanceStore(engine), plan, actor=SYSTEM_ACTOR,
                         lang=_lang(), now_ms=now, client_addr=None)
        if isinstance(row, str):
            raise CommandError([row], EXIT_CONFIG)
    except storage.StorageUnavailable as exc:
        raise _unavailable(exc) from None
    finally:
        engine.dispose()
    print(f"#{row.id} " + _t("flr_maintenance_planned",
                              when=when_words(row, now, _lang(), settings.timezone)))
    return EXIT_OK


def _plan(args: argparse.Namespace, engine: Any, settings: Any) -> Any:
    """The plan the arguments describe, checked by the /alerts form's functions; a
    ``CommandError`` naming what is wrong."""
    from dashboard.floorforms import MaintenancePlan, once_period, parse_scope, weekly_window

    rule_names, rule_id = _rule(args.rule, engine)
    source, kind, keys = _entities(args, engine, settings.trio_source_name)
    scoped = parse_scope((rule_id, source, kind, keys, args.reason), rule_names=rule_names)
    if isinstance(scoped, str):
        raise CommandError([_t(scoped, n=500)], EXIT_CONFIG)
    scope, reason = scoped
    if args.repeat == "weekly":
        day = weekday(args.day)
        if day is None:
            raise CommandError([_t("cli_mnt_bad_day", day=args.day or "")], EXIT_CONFIG)
        weekly = weekly_window(day, args.start, args.end, settings.timezone)
        if isinstance(weekly, str):
            raise CommandError([_t(weekly)], EXIT_CONFIG)
        return MaintenancePlan(scope, reason, None, weekly)
    if args.day is not None:
        raise CommandError([_t("cli_mnt_day_weekly_only")], EXIT_CONFIG)
    period = once_period(args.start, args.end, settings.timezone)
    if isinstance(period, str):
        raise CommandError([_t(period)], EXIT_CONFIG)
    return MaintenancePlan(scope, reason, period, None)


def _rule(wanted: str | None, engine: Any) -> tuple[dict[int, str], int | None]:
    """Every rule's name by id, and the id of ``wanted`` (a name or an id)."""
    import storage

    rows = storage.AlertStore(engine).list_rules()
    names = {row.id: row.name for row in rows}
    if wanted is None:
        return names, None
    for rule_id, name in names.items():
        if wanted.strip() == str(rule_id) or wanted.strip().casefold() == name.casefold():
            return names, rule_id
    raise CommandError([_t("cli_mnt_unknown_rule", rule=wanted)], EXIT_CONFIG)


def _entities(args: argparse.Namespace, engine: Any, trio_source: str
              ) -> tuple[str | None, str | None, list[str]]:
    """Source, kind and entity keys (``source|kind|id``, as the form sends them), each
    one that is named checked against the stored series and sources."""
    import storage

    store = storage.Store(engine)
    series = [row.key for row in store.series()]
    sources = {facts.name for facts in store.sources()} | {key.source for key in series}
    source = args.source or (trio_source if args.entity else None)
    if source is not None and source not in sources:
        raise CommandError([_t("cli_mnt_unknown_source", source=source,
                               known=", ".join(sorted(sources)) or "–")], EXIT_CONFIG)
    kinds = {key.entity_kind for key in series if source in (None, key.source)}
    if args.kind is not None and args.kind not in kinds:
        raise CommandError([_t("cli_mnt_unknown_kind", kind=args.kind,
                               known=", ".join(sorted(kinds)) or "–")], EXIT_CONFIG)
    if args.entity and args.kind is None:
        raise CommandError([_t("cli_mnt_entity_needs_kind")], EXIT_CONFIG)
    known = {key.entity_id for key in series
             if key.source == source and key.entity_kind == args.kind}
    unknown = [e for e in args.entity if e not in known]
    if unknown:
        raise CommandError([_t("cli_mnt_unknown_entity", ids=", ".join(unknown),
                               kind=args.kind, source=source)], EXIT_CONFIG)
    return source, args.kind, [f"{source}|{args.kind}|{e}" for e in args.entity]


def cmd_maintenance_list(args: argparse.Namespace) -> int:
    import storage
    from alerts.maintenance import running
    from dashboard.components.alerts import scope_text
    from dashboard.components.floor import when_words

    settings = _start(argparse.Namespace(), quiet=True)
    engine = _open_database(settings)
    now = _now_ms()
    try:
        rows = storage.MaintenanceStore(engine).windows(
            live_at_ms=None if args.all else now)
        names = {row.id: row.name for row in storage.AlertStore(engine).list_rules()}
    except storage.StorageUnavailable as exc:
        raise _unavailable(exc) from None
    finally:
        engine.dispose()
    lang = _lang()
    for row in rows:
        if row.ended_at_ms is not None:
            state = _t("cli_mnt_ended", user=row.ended_by or "?")
        elif running(row, now):
            state = _t("cli_mnt_running")
        elif row.ends_at_ms is not None and row.ends_at_ms <= now:
            state = _t("cli_mnt_over")
        else:
            state = _t("cli_mnt_planned")
        print(f"#{row.id} · {when_words(row, now, lang, settings.timezone)} · "
              f"{scope_text(row.scope, names, lang)} · {state} · {row.reason} · "
              f"{row.created_by}")
    return EXIT_OK


def cmd_maintenance_remove(args: argparse.Namespace) -> int:
    import storage
    from auth import SYSTEM_ACTOR

    settings = _start(argparse.Namespace(), quiet=True)
    engine = _open_database(settings)
    now = _now_ms()
    try:
        row = storage.MaintenanceStore(engine).end(args.id, actor=SYSTEM_ACTOR, now_ms=now)
    except storage.UnknownMaintenance:
        raise CommandError([_t("flr_unknown_maintenance", id=args.id)], EXIT_FAILURE) from None
    except storage.StorageUnavailable as exc:
        raise _unavailable(exc) from None
    finally:
        engine.dispose()
    # The store returns a window ended before unchanged (and writes no audit row).
    print(_t("flr_maintenance_ended" if row.ended_at_ms == now else "cli_mnt_already_ended",
             id=args.id))
    return EXIT_OK

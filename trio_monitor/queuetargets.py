"""``trio-monitor queues``: queues' own service-level targets from the command line.

    trio-monitor queues target 100 --pct 90 --seconds 30   # queue 100: 90 % within 30 s
    trio-monitor queues target 100 --default               # back to the site's default
    trio-monitor queues targets                            # the queues with their own

Changes are audited (actor "system", like the other commands), as when made on
``/queues/<id>``; wall screens show them within one refresh period.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from .cliutil import EXIT_CONFIG, EXIT_OK, CommandError, cli_language, say
from .cliutil import open_database as _open_database
from .cliutil import start as _start
from .cliutil import unavailable as _unavailable

SYSTEM_ACTOR = "system"


def add_commands(sub: Any, group: Callable[[Any, str, str], Any]) -> None:
    queues = group(sub, "queues", "queues' own service-level targets")
    p = queues.add_parser("target", help="set a queue's service-level target, or go back to "
                                         "the default")
    p.add_argument("queue", help="the queue's id (Trio's serviceid)")
    p.add_argument("--pct", type=float, help="the share to answer in time, e.g. 90")
    p.add_argument("--seconds", type=int, help="within this many seconds, e.g. 30")
    p.add_argument("--default", action="store_true", help="use the site's default again")
    p.set_defaults(handler=cmd_queues_target)
    p = queues.add_parser("targets", help="list the queues with a target of their own")
    p.set_defaults(handler=cmd_queues_targets)


def cmd_queues_target(args: argparse.Namespace) -> int:
    import storage
    from specs.sltarget import check_target

    given = (args.pct is not None, args.seconds is not None)
    if (args.default and any(given)) or (not args.default and not all(given)):
        raise CommandError(["give --pct and --seconds, or --default"], EXIT_CONFIG)
    if not args.default:
        try:
            pct, seconds = check_target(args.pct, args.seconds)
        except ValueError as exc:
            raise CommandError([str(exc)], EXIT_CONFIG) from None
    settings = _start(argparse.Namespace(), quiet=True)
    engine = _open_database(settings)
    source, now_ms = settings.trio_source_name, int(time.time() * 1000)
    lang = cli_language()
    try:
        targets = storage.QueueTargetStore(engine)
        if args.default:
            cleared = targets.clear_target(source, args.queue, actor=SYSTEM_ACTOR,
                                           now_ms=now_ms)
            default = target_text(settings.sl_target_pct, settings.sl_threshold_s, lang)
            print(say("cli_qt_cleared" if cleared else "cli_qt_had_none", lang,
                      queue=args.queue, target=default))
        else:
            targets.set_target(source, args.queue, pct, seconds, actor=SYSTEM_ACTOR,
                               now_ms=now_ms)
            print(say("cli_qt_set", lang, queue=args.queue,
                      target=target_text(pct, seconds, lang)))
    except storage.StorageUnavailable as exc:
        raise _unavailable(exc) from None
    finally:
        engine.dispose()
    return EXIT_OK


def cmd_queues_targets(args: argparse.Namespace) -> int:
    import storage

    settings = _start(argparse.Namespace(), quiet=True)
    engine = _open_database(settings)
    try:
        rows = storage.QueueTargetStore(engine).targets(settings.trio_source_name)
    except storage.StorageUnavailable as exc:
        raise _unavailable(exc) from None
    finally:
        engine.dispose()
    lang = cli_language()
    print(say("cli_qt_default", lang,
              target=target_text(settings.sl_target_pct, settings.sl_threshold_s, lang)))
    for queue_id in sorted(rows, key=lambda q: (len(q), q)):
        row = rows[queue_id]
        print(say("cli_qt_queue", lang, queue=queue_id, user=row.updated_by,
                  target=target_text(row.sl_target_pct, row.sl_threshold_s, lang)))
    return EXIT_OK


def target_text(pct: float, seconds: int, lang: str) -> str:
    """A service-level target as the commands write it: ``80/20``, ``92,5/20`` in
    Swedish (share in %, then the threshold in seconds)."""
    from specs.text import localize_number

    share = f"{pct:g}"
    return f"{localize_number(share, lang) or share}/{seconds}"

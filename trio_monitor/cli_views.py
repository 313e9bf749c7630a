"""``trio-monitor views ...`` and the team options of ``displays add`` / ``displays set``.

A team view is a title and queues in order (storage/_views.py); a display token bound to
one always shows it. Changes are audited with the actor "system", like the other
commands. Output is in English, like ``messages``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from specs.languages import LANGUAGES

LANGUAGE_CHOICES = ("default", *LANGUAGES)


def add_display_options(p: argparse.ArgumentParser, *, creating: bool) -> None:
    """The team options of ``displays add`` (``creating``) and ``displays set``."""
    p.add_argument("--queues", metavar="IDS",
                   help="the queues the screen shows, in this order, e.g. 100,101,105 "
                        "(its team view; made when the screen has none)")
    p.add_argument("--title", help="the title in the screen's top bar (default: the "
                                   "screen's name)")
    p.add_argument("--view", metavar="NAME",
                   help="show this saved view (views list) instead of --queues/--title")
    if not creating:
        p.add_argument("--no-view", action="store_true",
                       help="show every queue again (the screen's view is kept)")
    p.add_argument("--language", choices=LANGUAGE_CHOICES,
                   help="the screen's language (default: the site's)")


def add_views_commands(views: Any, handler: Callable[[argparse.Namespace], int]) -> None:
    p = views.add_parser("list", help="the saved team views, their queues and screens")
    p.set_defaults(handler=handler, action="list")
    p = views.add_parser("add", help="save a team view (a logged-in user opens it at "
                                     "/?view=NAME)")
    p.add_argument("name", help="its name in the address: a-z, 0-9 and hyphens")
    p.add_argument("--title", required=True)
    p.add_argument("--queues", required=True, metavar="IDS", help="e.g. 100,101,105, in order")
    p.set_defaults(handler=handler, action="add")
    p = views.add_parser("set", help="change a view: every screen showing it follows "
                                     "within a refresh")
    p.add_argument("name")
    p.add_argument("--title")
    p.add_argument("--queues", metavar="IDS")
    p.add_argument("--rename", metavar="NEW", help="a new name (its address changes)")
    p.set_defaults(handler=handler, action="set")
    p = views.add_parser("remove", help="delete a view; its screens show every queue again")
    p.add_argument("name")
    p.set_defaults(handler=handler, action="remove")


def refused() -> tuple[type[Exception], ...]:
    import storage

    return (storage.InvalidView, storage.UnknownView, storage.ViewExists,
            storage.UnknownDisplay, ValueError)


def check_display_options(args: argparse.Namespace) -> None:
    """ValueError for options that contradict each other (before anything is stored)."""
    if args.view is not None and (args.queues is not None or args.title is not None):
        raise ValueError("--view shows a saved view: give either --view or --queues/--title")
    if getattr(args, "no_view", False) and (args.view is not None or args.queues is not None
                                            or args.title is not None):
        raise ValueError("--no-view cannot be combined with --view, --queues or --title")
    if args.queues is not None:
        import storage

        storage.parse_queue_list(args.queues)  # InvalidView before anything is stored


def apply_display_options(engine: Any, display_id: int, args: argparse.Namespace,
                          now_ms: int, out: list[str]) -> None:
    """Bind the token to its view (made or changed from --queues/--title), set its
    language; what was done is appended to ``out``."""
    import auth
    import storage

    views = storage.ViewStore(engine)
    display = storage.DisplayStore(engine).get(display_id)
    if display is None:
        raise storage.UnknownDisplay(f"no display token {display_id}")
    actor = auth.SYSTEM_ACTOR
    if args.view is not None:
        view = views.by_name(args.view)
        if view is None:
            raise storage.UnknownView(f"no view named {args.view!r} (views list)")
        views.bind(display_id, view.id, actor=actor, now_ms=now_ms)
        out.append(f"display {display_id} shows view {view.name!r}")
    elif getattr(args, "no_view", False):
        views.bind(display_id, None, actor=actor, now_ms=now_ms)
        out.append(f"display {display_id} shows every queue")
    elif args.queues is not None or args.title is not None:
        queues = storage.parse_queue_list(args.queues) if args.queues is not None else None
        current = views.get(display.view_id) if display.view_id is not None else None
        if current is None:
            if queues is None:
                raise ValueError("the screen has no view yet: give --queues")
            view = views.create(views.free_name(display.name), args.title or display.name,
                                queues, actor=actor, now_ms=now_ms)
            views.bind(display_id, view.id, actor=actor, now_ms=now_ms)
        else:
            view = views.update(current.id, title=args.title, queue_ids=queues, actor=actor,
                                now_ms=now_ms)
            sharing = [d for d, v in views.bindings().items() if v == view.id and d != display_id]
            if sharing:
                out.append(f"note: view {view.name!r} is also shown by display(s) "
                           + ", ".join(map(str, sorted(sharing))))
        out.append(f"display {display_id} shows view {view.name!r}: {view.title!r}, "
                   f"queues {','.join(view.queue_ids)}")
        out.extend(_unreported(engine, view.queue_ids))
    if args.language is not None:
        auth.set_display_language(engine, display_id,
                                  None if args.language == "default" else args.language,
                                  actor=auth.Actor(auth.SYSTEM_ACTOR))
        out.append(f"display {display_id} language {args.language}")


def views_command(engine: Any, args: argparse.Namespace, now_ms: int, out: list[str]) -> None:
    import auth
    import storage

    views = storage.ViewStore(engine)
    actor = auth.SYSTEM_ACTOR
    if args.action == "list":
        bindings = views.bindings()
        for view in views.list():
            screens = ",".join(str(d) for d, v in sorted(bindings.items()) if v == view.id)
            out.append(f"{view.id:>4} {view.name:<20} /?view={view.name:<20} "
                       f"screens {screens or '-':<8} {view.title!r} "
                       f"queues {','.join(view.queue_ids)}")
        return
    if args.action == "add":
        view = views.create(args.name, args.title, storage.parse_queue_list(args.queues),
                            actor=actor, now_ms=now_ms)
        out.append(f"view {view.id} {view.name!r} saved: /?view={view.name}")
        out.extend(_unreported(engine, view.queue_ids))
        return
    found = views.by_name(args.name)
    if found is None:
        raise storage.UnknownView(f"no view named {args.name!r} (views list)")
    if args.action == "remove":
        views.delete(found.id, actor=actor, now_ms=now_ms)
        out.append(f"view {found.name!r} removed; its screens show every queue")
        return
    queues = storage.parse_queue_list(args.queues) if args.queues is not None else None
    view = views.update(found.id, title=args.title, queue_ids=queues, name=args.rename,
                        actor=actor, now_ms=now_ms)
    out.append(f"view {view.name!r}: {view.title!r}, queues {','.join(view.queue_ids)}")
    out.extend(_unreported(engine, view.queue_ids))


def _unreported(engine: Any, queue_ids: tuple[str, ...]) -> list[str]:
    """A note on queue ids no source reports now (a typo, or a queue not set up yet):
    the screen shows them as gone."""
    import storage

    known = {row.entity_id for row in storage.Store(engine).latest()
             if row.entity_kind == "queue"}
    missing = [queue_id for queue_id in queue_ids if queue_id not in known]
    if not missing:
        return []
    return [f"note: no queue {', '.join(missing)} is reported now; the screen shows "
            f"{'it' if len(missing) == 1 else 'them'} as gone until it is"]

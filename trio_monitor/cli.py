"""The trio-monitor command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from specs import sitetime
from specs.roles import USER_ROLES

from . import cli_views, db, maintenance_cli, queuetargets
from .cliutil import (  # noqa: F401 - the names callers and tests know from cli
    EXIT_CONFIG,
    EXIT_FAILURE,
    EXIT_OK,
    NO_SCHEMA,
    CommandError,
    cli_language,
    duration_ago,
    say,
    sqlite_path,
)
from .cliutil import open_database as _open_database
from .cliutil import start as _start
from .cliutil import unavailable as _unavailable
from .settings import ConfigError, Settings, load_settings

log = logging.getLogger("trio_monitor")

DESCRIPTION = "Trio Monitor: a real-time dashboard for contact centers on Trio Enterprise."


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["simulate"]:
        # The simulator parses its own options (--port, --help, ...): argparse would
        # take them for ours.
        return cmd_simulate(argparse.Namespace(rest=argv[1:]))
    parser = _parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        for line in exc.lines:
            print(f"trio-monitor: configuration error: {line}", file=sys.stderr)
        return EXIT_CONFIG
    except CommandError as exc:
        for line in exc.lines:
            print(f"trio-monitor: {line}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return EXIT_OK


def _group(sub: Any, name: str, helptext: str) -> Any:
    """A command with actions (``db upgrade``); alone, it prints its own usage."""
    parser = sub.add_parser(name, help=helptext, description=helptext)
    parser.set_defaults(handler=_usage(parser))
    return parser.add_subparsers(metavar="action")


def _usage(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    def show(_args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return EXIT_CONFIG
    return show


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trio-monitor", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {db.version()}")
    parser.set_defaults(handler=_usage(parser))
    sub = parser.add_subparsers(metavar="command")

    p = sub.add_parser("check-config", help="print the effective configuration, secrets masked")
    p.set_defaults(handler=cmd_check_config)

    db.add_commands(_group(sub, "db", "database schema, backup and restore"))

    p = sub.add_parser("collect", help="run the collector (active/standby through a lease)")
    p.set_defaults(handler=cmd_collect)

    p = sub.add_parser("status", help="print the collector, the sources and the queues as "
                                      "stored")
    p.add_argument("--check", action="store_true",
                   help="print only problems; exit 0 when a collector holds the lease and "
                        "every source is up, 1 otherwise")
    p.set_defaults(handler=cmd_status)

    trio = _group(sub, "trio", "Trio API tools")
    p = trio.add_parser("probe", help="fetch one page of queue and agent state; show the mapping")
    p.set_defaults(handler=cmd_trio_probe)

    # Handled in main() before parsing: listed here for the help text only.
    sub.add_parser("simulate", help="run the Trio API simulator (simulate --help for its "
                                    "options)")

    p = sub.add_parser("demo", help="simulator + collector + web app on SQLite in ./demo-data")
    p.add_argument("--data-dir", default="demo-data", help="folder for the demo database")
    p.add_argument("--port", type=int, default=8050, help="web port on 127.0.0.1")
    p.add_argument("--queues", type=int, default=12)
    p.add_argument("--agents", type=int, default=60)
    p.add_argument("--poll-interval", type=float, default=2.0)
    p.add_argument("--history-days", type=int, default=30,
                   help="days of history to fill from the simulator at first start "
                        "(0: none)")
    # scripts/demo.sh numbers its own steps first.
    p.add_argument("--steps-before", type=int, default=0, help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("web", help="run the web app (gunicorn)")
    p.set_defaults(handler=cmd_web)
    p = sub.add_parser("serve", help="run the web app and the collector together")
    p.set_defaults(handler=cmd_serve)

    users = _group(sub, "users", "manage users")
    p = users.add_parser("add", help="add a user (password from a prompt or --password-file)")
    p.add_argument("username")
    p.add_argument("--role", choices=[role.value for role in USER_ROLES], default="viewer")
    p.add_argument("--password-file", type=Path)
    p.set_defaults(handler=cmd_users_add)
    p = users.add_parser("passwd", help="set a user's password")
    p.add_argument("username")
    p.add_argument("--password-file", type=Path)
    p.set_defaults(handler=cmd_users_passwd)
    for action, helptext in (("disable", "disable a user (ends their sessions)"),
                             ("enable", "enable a disabled user")):
        p = users.add_parser(action, help=helptext)
        p.add_argument("username")
        p.set_defaults(handler=cmd_users_toggle, action=action)
    p = users.add_parser("list", help="list users")
    p.set_defaults(handler=cmd_users_list)
    # Lifts a user's login locks from every address.
    p = users.add_parser("unlock", help="lift every login lock on a user (audited)")
    p.add_argument("username")
    p.set_defaults(handler=cmd_users_unlock)

    displays = _group(sub, "displays", "display tokens of wall screens")
    p = displays.add_parser("add", help="create a token for a screen; its address is printed "
                                        "once")
    p.add_argument("name", help="the screen's name, e.g. Reception 2")
    p.add_argument("--url", default="", help="the site's address for the printed link "
                                             "(default: TRIO_MONITOR_PUBLIC_URL)")
    cli_views.add_display_options(p, creating=True)
    p.set_defaults(handler=cmd_displays_add)
    p = displays.add_parser("set", help="change a screen's queues, title, view or language "
                                        "(it follows within a refresh)")
    p.add_argument("id", type=int)
    cli_views.add_display_options(p, creating=False)
    p.set_defaults(handler=cmd_displays_set)
    p = displays.add_parser("list", help="list tokens and when each screen last refreshed")
    p.set_defaults(handler=cmd_displays_list)
    p = displays.add_parser("revoke", help="revoke a token: its screen stops within one refresh")
    p.add_argument("id", type=int)
    p.set_defaults(handler=cmd_displays_revoke)

    cli_views.add_views_commands(
        _group(sub, "views", "team views: a title and queues in order, for wall screens"),
        cmd_views)

    _add_messages_commands(_group(sub, "messages", "messages to the floor (the wall "
                                                   "screens' ticker)"))

    notify = _group(sub, "notify", "notification channels")
    p = notify.add_parser("test", help="queue a test message for the running collector to "
                                       "send; wait for and print the outcome")
    p.add_argument("channel", help="a name from TRIO_MONITOR_NOTIFY_CHANNELS")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait (60)")
    p.set_defaults(handler=cmd_notify_test)
    queuetargets.add_commands(sub, _group)
    maintenance_cli.add_commands(sub, _group)
    return parser


# -- commands ---------------------------------------------------------------------------------


def cmd_check_config(args: argparse.Namespace) -> int:
    settings = load_settings()
    width = max(len(k) for k in settings.masked())
    # The names and values as the environment takes them; only the placeholders of
    # settings without a value are words.
    placeholders = {"(not set)": say("cli_config_not_set"), "(empty)": say("cli_config_empty")}
    for key, value in settings.masked().items():
        print(f"{key:<{width}} = {placeholders.get(value, value)}")
    for problem in settings.trio_problems():
        print(say("cli_config_warning", problem=problem), file=sys.stderr)
    # What `web`, `collect` and `serve` would refuse, refused here too: check-config is
    # how an operator asks "will this start?".
    refusals = settings.refusals(web=True)
    if refusals:
        raise ConfigError(refusals)
    return EXIT_OK


def cmd_collect(args: argparse.Namespace) -> int:
    settings = _start(args)
    # The Trio site is optional (a site may watch only workers and reconcilers), but a
    # half-configured one is a mistake.
    problems = settings.trio_problems() if settings.trio_base_url else []
    problems += settings.refusals(web=False)
    if problems:
        raise ConfigError(problems)
    return _run_collector(settings)


def _run_collector(settings: Settings) -> int:
    from collectors import _memory, _transport

    from .collect import run_collector

    # Before any thread starts: fewer glibc arenas to grow (collectors/_memory.py).
    _memory.limit_arenas()
    _transport.configure(settings.http_transport)
    engine = _open_database(settings)
    try:
        status = run_collector(settings, engine)
    finally:
        engine.dispose()
    log.info("collector stopped")
    return status


def cmd_status(args: argparse.Namespace) -> int:
    import storage

    from .status import gather, problems, render

    settings = _start(args, quiet=True)
    engine = _open_database(settings)
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    try:
        report = gather(settings, engine)
    except storage.StorageUnavailable as exc:
        raise _unavailable(exc) from None
    finally:
        engine.dispose()
    lang = cli_language()
    found = problems(report, settings, now_ms, lang)
    if args.check:
        for line in found:
            print(line)
        return EXIT_FAILURE if found else EXIT_OK
    for line in render(report, now_ms, lang):
        print(line)
    return EXIT_OK


def cmd_trio_probe(args: argparse.Namespace) -> int:
    settings = _start(args)
    if settings.trio_problems():
        raise ConfigError(settings.trio_problems())
    from collectors.clock import SystemClock
    from collectors.deadline import Deadline
    from collectors.errors import SourceError

    from .settings import DEFAULT_AGENT_FIELDS, DEFAULT_QUEUE_FIELDS
    from .wiring import trio_source

    async def probe() -> dict[str, dict[str, object]]:
        source = trio_source(settings)
        try:
            known = {"queues": DEFAULT_QUEUE_FIELDS, "agents": DEFAULT_AGENT_FIELDS}
            return await source.probe(Deadline(SystemClock(), 30.0), known)
        finally:
            await source.aclose()

    try:
        report = asyncio.run(probe())
    except SourceError as exc:
        print(f"trio-monitor: probe failed: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    from .probe import format_probe

    print(format_probe(report))
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    import simulator

    return simulator.main(list(args.rest))


def cmd_demo(args: argparse.Namespace) -> int:
    """The simulator, the collector and the web app on SQLite, in one command."""
    _check_port_free(f"127.0.0.1:{args.port}")
    from .demo import run_demo

    return run_demo(args)


def cmd_web(args: argparse.Namespace) -> int:
    settings = _start(args)
    if settings.refusals(web=True):
        raise ConfigError(settings.refusals(web=True))
    _check_port_free(settings.web_bind)
    _open_database(settings).dispose()
    from .web import run_web

    return run_web(settings)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _start(args)
    problems = settings.trio_problems() if settings.trio_base_url else []
    problems += settings.refusals(web=True)
    if problems:
        raise ConfigError(problems)
    _check_port_free(settings.web_bind)
    _open_database(settings).dispose()
    from .web import serve

    return serve(dict(os.environ), settings.shutdown_timeout_s)


def _check_port_free(bind: str) -> None:
    """Refuse at once, in one line, when the web port is taken (gunicorn would retry
    for a while and then print its own lines)."""
    from .web import port_in_use

    host, _, port = bind.rpartition(":")
    try:
        taken = port_in_use(host.strip("[]"), int(port))
    except OSError as exc:  # not an address of this host, a privileged port, ...
        raise CommandError([f"cannot listen on {bind}: {exc.strerror or exc}; change "
                            "TRIO_MONITOR_WEB_BIND"]) from None
    if taken:
        raise CommandError([f"port {port} is in use (on {host or 'all addresses'}); stop what "
                            f"listens there or change TRIO_MONITOR_WEB_BIND"])


# -- users ------------------------------------------------------------------------------------


def _read_new_password(path: Path | None) -> str:
    if path is not None:
        try:
            return path.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ConfigError([f"--password-file: cannot read {path}: {exc.strerror}"]) from None
    if not sys.stdin.isatty():
        raise ConfigError(["no terminal to ask for a password: use --password-file"])
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise ConfigError(["the two passwords differ"])
    return first


def _database_call(action: Callable[[Any], object], refused: tuple[type[Exception], ...],
                   settings: Any = None) -> int:
    """Run ``action(engine)`` on the configured database (``settings``, else loaded). An
    exception of ``refused`` (the request cannot be done: a name taken, unknown) is
    printed and exits with failure."""
    settings = settings or _start(argparse.Namespace(), quiet=True)
    engine = _open_database(settings)
    try:
        action(engine)
    except refused as exc:
        print(f"trio-monitor: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        engine.dispose()
    return EXIT_OK


def _say(key: str, **fields: object) -> None:
    """Print the operator's message ``cli_<key>`` from the catalog, in the CLI's one
    language (``cliutil.cli_language``)."""
    print(say(f"cli_{key}", cli_language(), **fields))


def _users_call(action: Callable[[Any], object], settings: Any = None) -> int:
    import auth

    return _database_call(action, (auth.UserExists, auth.UnknownUser, auth.WeakPassword,
                                   auth.InvalidUsername), settings)


def cmd_users_add(args: argparse.Namespace) -> int:
    import auth

    password = _read_new_password(args.password_file)
    code = _users_call(lambda e: auth.add_user(e, args.username, password, auth.Role(args.role)))
    if code == EXIT_OK:
        _say("user_added", role=args.role, username=args.username)
    return code


def cmd_users_passwd(args: argparse.Namespace) -> int:
    import auth

    password = _read_new_password(args.password_file)
    code = _users_call(lambda e: auth.set_password(e, args.username, password))
    if code == EXIT_OK:
        _say("password_changed", username=args.username)
    return code


def cmd_users_toggle(args: argparse.Namespace) -> int:
    import auth

    fn = auth.disable_user if args.action == "disable" else auth.enable_user
    code = _users_call(lambda e: fn(e, args.username))
    if code == EXIT_OK:
        _say(f"user_{args.action}d", username=args.username)
    return code


def cmd_notify_test(args: argparse.Namespace) -> int:
    from .notify import notify_test_command

    settings = _start(args, quiet=True)
    names = [spec.name for spec in settings.notify_channel_specs()]
    if args.channel in names:
        _open_database(settings).dispose()  # no schema: one line, not a traceback
    return notify_test_command(settings, args.channel, args.timeout)


def cmd_users_list(args: argparse.Namespace) -> int:
    import auth

    rows: list[Any] = []
    settings = _start(argparse.Namespace(), quiet=True)
    code = _users_call(lambda e: rows.extend(auth.list_users(e)), settings)
    lang = cli_language()
    for user in rows:
        print(user_line(user, settings.timezone, lang))
    return code


def user_line(user: Any, tz: str, lang: str) -> str:
    """A user for ``users list`` in the CLI's language: name, role (as ``--role`` takes
    it), whether active, the last login in the site's zone ``tz`` with its abbreviation."""
    last = (sitetime.stamp(user.last_login_at_ms, tz) if user.last_login_at_ms
            else say("cli_never", lang))
    state = say("cli_list_user_disabled" if user.disabled else "cli_list_user_active", lang)
    return (f"{user.username:<24} {user.role:<10} {state:<9} "
            f"{say('cli_list_last_login', lang, time=last)}")


def cmd_users_unlock(args: argparse.Namespace) -> int:
    """Forget the user's failed logins from every address (audit "user.unlock")."""
    import auth

    forgotten: list[int] = []
    code = _users_call(lambda e: forgotten.append(auth.unlock_user(e, args.username)))
    if code == EXIT_OK:
        _say("user_unlocked", username=args.username, n=forgotten[0])
    return code


# -- display tokens ---------------------------------------------------------------------------


def _displays_call(action: Callable[[Any], object],
                   more: tuple[type[Exception], ...] = ()) -> int:
    import auth
    import storage

    return _database_call(action, (auth.InvalidDisplayName, storage.DisplayExists,
                                   storage.UnknownDisplay, *more))


def cmd_displays_add(args: argparse.Namespace) -> int:
    import auth

    created: list[Any] = []
    done: list[str] = []
    base = (args.url or load_settings().public_base_url).rstrip("/")

    def add(engine: Any) -> None:
        import storage

        cli_views.check_display_options(args)
        if args.view is not None and storage.ViewStore(engine).by_name(args.view) is None:
            raise storage.UnknownView(f"no view named {args.view!r} (views list)")
        if args.title is not None and args.queues is None:
            raise ValueError("--title needs --queues (the team's queues)")
        created.append(auth.create_display(engine, args.name))
        cli_views.apply_display_options(engine, created[0].display.id, args, _now_ms(), done)

    code = _displays_call(add, cli_views.refused())
    if created:
        new = created[0]
        _say("display_added", id=new.display.id, name=repr(new.display.name))
        print(f"{base}/display/{new.token}")
        _say("display_rotate")
    for line in done:
        print(line)
    return code


def cmd_displays_set(args: argparse.Namespace) -> int:
    done: list[str] = []

    def change(engine: Any) -> None:
        cli_views.check_display_options(args)
        if (args.queues is None and args.title is None and args.view is None
                and not args.no_view and args.language is None):
            raise ValueError("nothing to change: give --queues, --title, --view, --no-view "
                             "or --language")
        cli_views.apply_display_options(engine, args.id, args, _now_ms(), done)

    code = _displays_call(change, cli_views.refused())
    for line in done:
        print(line)
    return code


def cmd_views(args: argparse.Namespace) -> int:
    done: list[str] = []
    code = _displays_call(lambda e: cli_views.views_command(e, args, _now_ms(), done),
                          cli_views.refused())
    for line in done:
        print(line)
    return code


def cmd_displays_list(args: argparse.Namespace) -> int:
    import auth
    import storage

    rows: list[Any] = []
    views: dict[int, str] = {}

    def read(engine: Any) -> None:
        rows.extend(auth.list_displays(engine))
        views.update((view.id, view.name) for view in storage.ViewStore(engine).list())

    code = _displays_call(read)
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    lang = cli_language()
    for row in rows:
        print(display_line(row, views, now_ms, lang))
    return code


def display_line(row: Any, views: dict[int, str], now_ms: int, lang: str) -> str:
    """A display token for ``displays list`` in the CLI's language: id, name, revoked or
    when last seen, the last address and page, and the team view it shows (if any)."""
    if row.revoked:
        state = say("cli_list_display_revoked", lang)
    elif row.last_seen_at_ms is None:
        state = say("cli_list_display_never_seen", lang)
    else:
        state = say("cli_list_display_seen", lang,
                    age=duration_ago(now_ms, row.last_seen_at_ms, lang))
    where = f"{row.last_addr or '-'} {row.last_page or '-'}"
    # The team view it shows ("views list"), if any.
    team = (" " + say("cli_list_display_view", lang, name=views.get(row.view_id, "?"))
            if row.view_id is not None else "")
    return f"{row.id:>4} {row.name:<24} {state:<16} {where}{team}"


def cmd_displays_revoke(args: argparse.Namespace) -> int:
    import auth

    revoked: list[Any] = []
    code = _displays_call(lambda e: revoked.append(auth.revoke_display(e, args.id)))
    if code == EXIT_OK:
        _say("display_revoked", id=args.id, name=repr(revoked[0].name))
    return code


# -- messages to the floor --------------------------------------------------------------------


def _add_messages_commands(messages: Any) -> None:
    p = messages.add_parser("post", help="show a message on the wall screens' ticker until "
                                         "it expires (audited, actor system)")
    p.add_argument("text", help='the message, e.g. "System X down, tell callers ..."')
    p.add_argument("--minutes", type=int, default=60, help="how long it is shown (60)")
    p.add_argument("--display", type=int, action="append", default=[], metavar="ID",
                   help="a display token's id (displays list); repeat for more; none: "
                        "every screen")
    p.set_defaults(handler=cmd_messages_post)
    p = messages.add_parser("list", help="the running messages and the newest others")
    p.set_defaults(handler=cmd_messages_list)
    p = messages.add_parser("withdraw", help="take a message off the screens now")
    p.add_argument("id", type=int)
    p.set_defaults(handler=cmd_messages_withdraw)


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def cmd_messages_post(args: argparse.Namespace) -> int:
    import auth
    import storage

    if not 1 <= args.minutes <= 7 * 24 * 60:
        raise ConfigError(["--minutes: 1 to 10080 (a week)"])
    settings = _start(argparse.Namespace(), quiet=True)
    posted: list[Any] = []

    def post(engine: Any) -> None:
        live = {row.id for row in auth.list_displays(engine) if not row.revoked}
        unknown = sorted(set(args.display) - live)
        if unknown:
            raise ValueError(f"no live display token has id {', '.join(map(str, unknown))}")
        now = _now_ms()
        posted.append(storage.FloorMessageStore(engine).post(
            args.text, displays=args.display, expires_at_ms=now + args.minutes * 60_000,
            actor=auth.SYSTEM_ACTOR, now_ms=now))

    code = _database_call(post, (ValueError,), settings)
    if code == EXIT_OK:
        message = posted[0]
        until = sitetime.stamp(message.expires_at_ms, settings.timezone)
        if message.displays:
            _say("msg_posted_some", id=message.id, time=until,
                 ids=", ".join(map(str, message.displays)))
        else:
            _say("msg_posted_all", id=message.id, time=until)
    return code


def cmd_messages_list(args: argparse.Namespace) -> int:
    import storage

    settings = _start(argparse.Namespace(), quiet=True)
    rows: list[Any] = []
    code = _database_call(lambda e: rows.extend(storage.FloorMessageStore(e).recent()),
                          (), settings)
    now = _now_ms()
    lang = cli_language()
    for row in rows:
        print(message_line(row, now, settings.timezone, lang))
    return code


def message_line(row: Any, now_ms: int, tz: str, lang: str) -> str:
    """A floor message for ``messages list`` in the CLI's language: id, whether it is on
    the screens, until when (the site's zone ``tz``), on which screens, its text."""
    if row.running_at(now_ms):
        state = say("cli_msg_on_screens", lang)
    elif row.withdrawn_at_ms is not None and row.withdrawn_at_ms < row.expires_at_ms:
        state = say("cli_msg_withdrawn_by", lang, user=row.withdrawn_by)
    else:
        state = say("flr_msg_expired", lang)
    screens = ",".join(map(str, row.displays)) or say("cli_msg_all", lang)
    until = say("cli_msg_until", lang, time=sitetime.stamp(row.expires_at_ms, tz))
    return (f"{row.id:>4} {state:<24} {until}  "
            f"{say('cli_msg_screens', lang, screens=f'{screens:<8}')} {row.text}")


def cmd_messages_withdraw(args: argparse.Namespace) -> int:
    import auth
    import storage

    code = _database_call(lambda e: storage.FloorMessageStore(e).withdraw(
        args.id, actor=auth.SYSTEM_ACTOR, now_ms=_now_ms()), (storage.UnknownMessage,))
    if code == EXIT_OK:
        _say("msg_withdrawn", id=args.id)
    return code


if __name__ == "__main__":
    sys.exit(main())

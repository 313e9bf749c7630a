"""The ``trio-monitor`` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import secrets
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .settings import ConfigError, Mode, Settings, load_settings, removed_settings

log = logging.getLogger("trio_monitor")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return EXIT_CONFIG
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        for line in exc.lines:
            print(f"trio-monitor: configuration error: {line}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trio-monitor", description=__doc__)
    sub = parser.add_subparsers(metavar="command")

    p = sub.add_parser("check-config", help="print the effective configuration, secrets masked")
    p.set_defaults(handler=cmd_check_config)

    db = sub.add_parser("db", help="database schema").add_subparsers(metavar="action")
    p = db.add_parser("upgrade", help="apply all migrations")
    p.set_defaults(handler=cmd_db_upgrade)
    p = db.add_parser("current", help="print the schema revision")
    p.set_defaults(handler=cmd_db_current)

    p = sub.add_parser("collect", help="run the collector (active/standby through a lease)")
    p.set_defaults(handler=cmd_collect)

    p = sub.add_parser("status", help="print the stored state of every source and queue")
    p.set_defaults(handler=cmd_status)

    trio = sub.add_parser("trio", help="Trio API tools").add_subparsers(metavar="action")
    p = trio.add_parser("probe", help="fetch one page of queue and agent state; show the mapping")
    p.set_defaults(handler=cmd_trio_probe)

    p = sub.add_parser("simulate", help="run the Trio API simulator", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(handler=cmd_simulate)

    p = sub.add_parser("demo", help="simulator + collector + web app on SQLite in ./demo-data")
    p.add_argument("--data-dir", default="demo-data", help="folder for the demo database")
    p.add_argument("--port", type=int, default=8050, help="web port on 127.0.0.1")
    p.add_argument("--queues", type=int, default=12)
    p.add_argument("--agents", type=int, default=60)
    p.add_argument("--poll-interval", type=float, default=2.0)
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("web", help="run the web app (gunicorn)")
    p.set_defaults(handler=cmd_web)
    p = sub.add_parser("serve", help="run the web app and the collector together")
    p.set_defaults(handler=cmd_serve)

    users = sub.add_parser("users", help="manage users").add_subparsers(metavar="action")
    p = users.add_parser("add", help="add a user (password from a prompt or --password-file)")
    p.add_argument("username")
    p.add_argument("--role", choices=("admin", "viewer"), default="viewer")
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

    displays = sub.add_parser("displays", help="display tokens of wall screens").add_subparsers(
        metavar="action")
    p = displays.add_parser("add", help="create a token for a screen; its address is printed "
                                        "once")
    p.add_argument("name", help="the screen's name, e.g. 'Reception 2'")
    p.add_argument("--url", default="", help="the site's address, to print the full URL")
    p.set_defaults(handler=cmd_displays_add)
    p = displays.add_parser("list", help="list tokens and when each screen last refreshed")
    p.set_defaults(handler=cmd_displays_list)
    p = displays.add_parser("revoke", help="revoke a token: its screen stops within one refresh")
    p.add_argument("id", type=int)
    p.set_defaults(handler=cmd_displays_revoke)

    notify = sub.add_parser("notify", help="notification channels").add_subparsers(
        metavar="action")
    p = notify.add_parser("test", help="queue a test message for the running collector to "
                                       "send; wait for and print the outcome")
    p.add_argument("channel", help="a name from TRIO_MONITOR_NOTIFY_CHANNELS")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait (60)")
    p.set_defaults(handler=cmd_notify_test)
    return parser


# -- commands ---------------------------------------------------------------------------------


def cmd_check_config(args: argparse.Namespace) -> int:
    settings = load_settings()
    width = max(len(k) for k in settings.masked())
    for key, value in settings.masked().items():
        print(f"{key:<{width}} = {value}")
    problems = settings.trio_problems()
    if settings.mode == Mode.PRODUCTION:
        problems += settings.production_problems()
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    return EXIT_OK


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    import storage

    from .wiring import make_engine

    settings = _start(args)
    engine = make_engine(settings)
    try:
        before = storage.current_revision(engine)
        storage.upgrade(engine)
        after = storage.current_revision(engine)
    except storage.StorageUnavailable as exc:
        print(f"trio-monitor: database unavailable: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        engine.dispose()
    print(f"database schema: {before or 'empty'} -> {after}")
    return EXIT_OK


def cmd_db_current(args: argparse.Namespace) -> int:
    import storage

    from .wiring import make_engine

    settings = _start(args)
    engine = make_engine(settings)
    try:
        print(f"current: {storage.current_revision(engine) or 'empty'}")
        print(f"head:    {storage.head_revision()}")
    except storage.StorageUnavailable as exc:
        print(f"trio-monitor: database unavailable: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        engine.dispose()
    return EXIT_OK


def cmd_collect(args: argparse.Namespace) -> int:
    settings = _start(args)
    # The Trio site is optional (a site may watch only workers and reconcilers), but a
    # half-configured one is a mistake.
    problems = settings.trio_problems() if settings.trio_base_url else []
    if settings.mode == Mode.PRODUCTION:
        problems += settings.production_problems()
    if problems:
        raise ConfigError(problems)
    return _run_collector(settings)


def _run_collector(settings: Settings) -> int:
    import storage
    from collectors import _memory, _transport

    # Before any thread starts: see collectors/_memory.py (memory flat over days).
    _memory.limit_arenas()
    _transport.configure(settings.http_transport)

    from .wiring import collector, make_engine

    engine = make_engine(settings)
    try:
        storage.check_schema(engine)
    except storage.SchemaOutOfDate as exc:
        print(f"trio-monitor: {exc}", file=sys.stderr)
        engine.dispose()
        return EXIT_CONFIG
    except storage.StorageUnavailable as exc:
        print(f"trio-monitor: database unavailable: {exc}", file=sys.stderr)
        engine.dispose()
        return EXIT_FAILURE

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        # asyncio.to_thread's pool: a few threads, so a few malloc arenas (_memory.py).
        loop.set_default_executor(_memory.database_executor())
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await collector(settings, engine).run(stop)

    try:
        asyncio.run(run())
    finally:
        engine.dispose()
    log.info("collector stopped")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    import storage

    from .wiring import make_engine

    settings = _start(args, quiet=True)
    engine = make_engine(settings)
    try:
        store = storage.Store(engine)
        lease = store.read_lease("collector")
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        if lease is None or lease.expires_at_ms <= now_ms:
            print("collector: none active (lease expired or never taken)")
        else:
            print(f"collector: {lease.holder} (lease token {lease.token})")
        for src in store.sources():
            age = _age(now_ms, src.last_success_at_ms)
            print(
                f"source {src.name}: breaker {src.breaker_state}, last success {age}, "
                f"failures {src.consecutive_failures}"
                + (f", failover to {src.active_url}" if src.failover_active else "")
                + (f"\n  last error: {src.last_error}" if src.failing_since_ms else "")
            )
        rows = store.latest()
    except storage.StorageUnavailable as exc:
        print(f"trio-monitor: database unavailable: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        engine.dispose()
    by_queue: dict[tuple[str, str], dict[str, float]] = {}
    ages: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row.entity_id, row.entity_name)
        by_queue.setdefault(key, {})[row.metric] = row.value
        ages[key] = max(ages.get(key, 0), row.ts_ms)
    cols = {
        "calls_waiting": "waiting", "longest_wait_s": "longest s", "service_level_pct": "SL %",
        "agents_available": "free", "agents_busy": "busy", "agents_paused": "paused",
    }
    print(f"{'queue':<24} {'open':>4} " + " ".join(f"{c:>9}" for c in cols.values()) + "  age")
    for (qid, name), metrics in sorted(by_queue.items(), key=lambda kv: kv[0][1]):
        shown = " ".join(f"{metrics[c]:>9.0f}" if c in metrics else f"{'-':>9}" for c in cols)
        is_open = {1.0: "yes", 0.0: "no"}.get(metrics.get("open", -1), "?")
        print(f"{name[:24]:<24} {is_open:>4} {shown}  {_age(now_ms, ages[(qid, name)])}")
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
    for kind, part in report.items():
        received: dict[str, object] = part["received"]  # type: ignore[assignment]
        mapping: dict[str, str] = part["mapping"]  # type: ignore[assignment]
        print(f"\n{kind} ({part['path']}): {len(received)} field(s) received")
        print(f"  {'our metric':<20} {'mapped to':<20} {'received value'}")
        for metric, field_name in mapping.items():
            value = (json.dumps(received[field_name], ensure_ascii=False)
                     if field_name in received else "MISSING")
            print(f"  {metric:<20} {field_name:<20} {value[:50]}")
        unmapped = sorted(set(received) - set(mapping.values()))
        if unmapped:
            print("  received but not mapped: " + ", ".join(unmapped))
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    import simulator

    return simulator.main(list(args.rest))


def cmd_demo(args: argparse.Namespace) -> int:
    """The simulator, the collector and the web app on SQLite, in one command."""
    import simulator

    from .web import child_env, serve

    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    sim_password = "sim-" + secrets.token_urlsafe(12)
    client_key = secrets.token_urlsafe(18)
    config = simulator.SimulatorConfig(
        queues=args.queues, agents=args.agents, seed=secrets.randbelow(10_000),
        client_key=client_key, username="monitor", password=sim_password,
    )
    with simulator.run_in_thread(config) as sim:
        env = {
            "TRIO_MONITOR_DATA_DIR": str(data_dir),
            "TRIO_MONITOR_DATABASE_URL": f"sqlite:///{(data_dir / 'trio-monitor.db').as_posix()}",
            "TRIO_MONITOR_TRIO_BASE_URL": sim.primary_url,
            "TRIO_MONITOR_TRIO_CLIENT_KEY_FILE": str(_private_file(data_dir / "trio-client-key",
                                                                  client_key)),
            "TRIO_MONITOR_TRIO_USERNAME": "monitor",
            "TRIO_MONITOR_TRIO_PASSWORD_FILE": str(_private_file(data_dir / "trio-password",
                                                                sim_password)),
            "TRIO_MONITOR_POLL_INTERVAL_S": str(args.poll_interval),
            "TRIO_MONITOR_REFRESH_INTERVAL_S": str(max(1.0, args.poll_interval)),
            "TRIO_MONITOR_WEB_BIND": f"127.0.0.1:{args.port}",
            "TRIO_MONITOR_MODE": "development",
            "TRIO_MONITOR_HEALTH_TARGETS": json.dumps([
                {"name": name, "url": sim.worker_url(name), "interval_s": 5, "timeout_s": 2,
                 "conditions": ['status == "ok"', "consecutive_failures < 10",
                                "age(last_successful_run) < 10m"],
                 "degraded_latency_ms": 1000}
                for name in sim.worker_names
            ]),
            "TRIO_MONITOR_DRIFT_SOURCES": json.dumps([
                {"name": name, "url": sim.reconciler_url(name, "json"), "format": "json",
                 "interval_s": 10}
                for name in sim.reconciler_names
            ]),
        }
        os.environ.update(env)
        settings = load_settings()
        _configure_logging(settings)
        password = _demo_admin(settings)
        print(
            f"Trio Monitor demo\n"
            f"  open http://127.0.0.1:{args.port}/  and log in as  admin / {password}\n"
            f"  (this password is shown once; the next demo run sets a new one)\n"
            f"  simulated Trio API: {sim.primary_url} (failover: {sim.secondary_url})\n"
            f"  break it:  curl -X POST {sim.control_url}/faults "
            """-d '{"resource": "services/state", "kind": "hang"}'\n"""
            f"             curl -X POST {sim.control_url}/workers/{sim.worker_names[0]} "
            """-d '{"mode": "failing"}'\n"""
            f"  database:  {settings.database_url}\n"
            f"  Ctrl-C stops everything.",
            flush=True,
        )
        return serve(child_env(**env), settings.shutdown_timeout_s)


def _private_file(path: Path, content: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(content)
    return path


def _demo_admin(settings: Settings) -> str:
    """Create (or reset) the demo's admin; return the password to print."""
    import auth
    import storage

    from .wiring import make_engine

    password = (settings.demo_password.get_secret_value() if settings.demo_password
                else secrets.token_urlsafe(12))
    engine = make_engine(settings)
    try:
        storage.upgrade(engine)
        try:
            auth.add_user(engine, "admin", password, auth.Role.ADMIN)
        except auth.UserExists:
            auth.set_password(engine, "admin", password)
            auth.enable_user(engine, "admin")
    finally:
        engine.dispose()
    return password


def cmd_web(args: argparse.Namespace) -> int:
    settings = _start(args)
    if settings.web_problems():
        raise ConfigError(settings.web_problems())
    if not _schema_ok(settings):
        return EXIT_CONFIG
    from .web import run_web

    return run_web(settings)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _start(args)
    problems = settings.trio_problems() if settings.trio_base_url else []
    problems += settings.web_problems()
    if settings.mode == Mode.PRODUCTION:
        problems += settings.production_problems()
    if problems:
        raise ConfigError(problems)
    if not _schema_ok(settings):
        return EXIT_CONFIG
    from .web import serve

    return serve(dict(os.environ), settings.shutdown_timeout_s)


def _schema_ok(settings: Settings) -> bool:
    import storage

    from .wiring import make_engine

    engine = make_engine(settings)
    try:
        storage.check_schema(engine)
    except (storage.SchemaOutOfDate, storage.StorageUnavailable) as exc:
        print(f"trio-monitor: {exc}", file=sys.stderr)
        return False
    finally:
        engine.dispose()
    return True


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


def _users_call(action: Callable[[Any], object]) -> int:
    import auth

    from .wiring import make_engine

    settings = _start(argparse.Namespace(), quiet=True)
    engine = make_engine(settings)
    try:
        action(engine)
    except (auth.UserExists, auth.UnknownUser, auth.WeakPassword, auth.InvalidUsername) as exc:
        print(f"trio-monitor: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        engine.dispose()
    return EXIT_OK


def cmd_users_add(args: argparse.Namespace) -> int:
    import auth

    password = _read_new_password(args.password_file)
    code = _users_call(lambda e: auth.add_user(e, args.username, password, auth.Role(args.role)))
    if code == EXIT_OK:
        print(f"added {args.role} {args.username}")
    return code


def cmd_users_passwd(args: argparse.Namespace) -> int:
    import auth

    password = _read_new_password(args.password_file)
    code = _users_call(lambda e: auth.set_password(e, args.username, password))
    if code == EXIT_OK:
        print(f"password of {args.username} changed; their other sessions end")
    return code


def cmd_users_toggle(args: argparse.Namespace) -> int:
    import auth

    fn = auth.disable_user if args.action == "disable" else auth.enable_user
    code = _users_call(lambda e: fn(e, args.username))
    if code == EXIT_OK:
        print(f"{args.username} {args.action}d")
    return code


def cmd_notify_test(args: argparse.Namespace) -> int:
    from .notify import notify_test_command

    return notify_test_command(_start(args, quiet=True), args.channel, args.timeout)


def cmd_users_list(args: argparse.Namespace) -> int:
    import auth

    rows: list[Any] = []
    code = _users_call(lambda e: rows.extend(auth.list_users(e)))
    for user in rows:
        last = (datetime.fromtimestamp(user.last_login_at_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")
                if user.last_login_at_ms else "never")
        state = "disabled" if user.disabled else "active"
        print(f"{user.username:<24} {user.role:<7} {state:<9} last login {last}")
    return code


# -- display tokens (issue 6) -----------------------------------------------------------------


def _displays_call(action: Callable[[Any], object]) -> int:
    import auth
    import storage

    from .wiring import make_engine

    settings = _start(argparse.Namespace(), quiet=True)
    engine = make_engine(settings)
    try:
        action(engine)
    except (auth.InvalidDisplayName, storage.DisplayExists, storage.UnknownDisplay) as exc:
        print(f"trio-monitor: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        engine.dispose()
    return EXIT_OK


def cmd_displays_add(args: argparse.Namespace) -> int:
    import auth

    created: list[Any] = []
    code = _displays_call(lambda e: created.append(auth.create_display(e, args.name)))
    if code == EXIT_OK:
        new = created[0]
        print(f"display token {new.display.id} for {new.display.name!r}; open this address "
              "once on the screen (it is not shown again):")
        print(f"{args.url.rstrip('/')}/display/{new.token}")
        print("to rotate pages add e.g. ?rotate=wallboard,drift,health&every=30")
    return code


def cmd_displays_list(args: argparse.Namespace) -> int:
    import auth

    rows: list[Any] = []
    code = _displays_call(lambda e: rows.extend(auth.list_displays(e)))
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    for row in rows:
        state = "revoked" if row.revoked else f"seen {_age(now_ms, row.last_seen_at_ms)}"
        where = f"{row.last_addr or '-'} {row.last_page or '-'}"
        print(f"{row.id:>4} {row.name:<24} {state:<16} {where}")
    return code


def cmd_displays_revoke(args: argparse.Namespace) -> int:
    import auth

    revoked: list[Any] = []
    code = _displays_call(lambda e: revoked.append(auth.revoke_display(e, args.id)))
    if code == EXIT_OK:
        print(f"display token {args.id} ({revoked[0].name!r}) revoked")
    return code


# -- helpers --------------------------------------------------------------------------------


def _start(args: argparse.Namespace, *, quiet: bool = False) -> Settings:
    settings = load_settings()
    if not quiet:
        _configure_logging(settings)
    return settings


def _configure_logging(settings: Settings) -> None:
    from .logs import configure_logging

    configure_logging(settings)
    for name, why in removed_settings(os.environ):
        logging.getLogger("trio_monitor").warning("%s is set but no longer used: %s", name, why)


def _age(now_ms: int, then_ms: int | None) -> str:
    if then_ms is None:
        return "never"
    seconds = max(0, (now_ms - then_ms) // 1000)
    return f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"


if __name__ == "__main__":
    sys.exit(main())

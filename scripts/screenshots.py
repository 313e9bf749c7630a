"""Screenshots of every page, in both languages, at four screen sizes, with alerts firing.

Runs the real product on loopback the way the browser tests do (tests/fixtures/live.py:
the simulator, `collect` and `web` on a new SQLite database, Debian's headless Chromium),
first filling a day of history from the simulator's model as the demo does, so charts
have something to draw. Then it fires alerts through the simulator's control API (a
queue's longest wait pinned high, a worker down, a drifting resource), logs in as admin
and saves every registered page as ``<page>_<lang>_<width>x<height>.png``.

    .venv/bin/python scripts/screenshots.py [--out /tmp/trio-shots] [--readme]

``--readme`` retakes docs/screenshot.png instead: the wall at 1920x1080 in English.
Every run also saves a team's wall screen (``team_<lang>_1920x1080.png``): a display
token bound to a view of five queues and one that left the Trio site, with a message on
its ticker, as a fresh browser shows it; ``--team`` takes only those.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from selenium.common.exceptions import TimeoutException, WebDriverException

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import simulator  # noqa: E402
import storage  # noqa: E402
from tests.fixtures.live import (  # noqa: E402
    SLACK,
    chromium,
    click,
    log_in_browser,
    running_stack,
    wait,
)
from trio_monitor.demo_history import DAY_S, fill_fleet_history, fill_history  # noqa: E402
from trio_monitor.settings._trio import DEFAULT_QUEUE_FIELDS  # noqa: E402

SIZES = ((1280, 720), (1920, 1080), (3840, 2160), (390, 844))
LANGS = ("en", "sv")
QUEUES, AGENTS, SEED = 12, 60, 1
ALERT_QUEUE = 100  # the simulator's first queue id (seed 1)
DOWN_WORKER = "worker-2"
README_SHOT = ROOT / "docs" / "screenshot.png"
# The team screen: the alert queue and its neighbours, in this order, and a queue the
# Trio server no longer lists (stored earlier, as the collector leaves it).
TEAM_QUEUES = ("101", "100", "102", "104", "103")
GONE_QUEUE = ("9999", "Reklamation")
TEAM_TITLE = "Kundtjänst – team Norr"
TEAM_MESSAGE = "Telefonisystemet hos leverantören är nere: be kunderna ringa efter 15.00"


def pages(queue_id: int) -> list[tuple[str, str]]:
    """(file name stem, path) of every page registered in dashboard/registry.py."""
    import dash

    from dashboard import registry

    found = []
    for page in registry.pages():
        template = dash.page_registry[page.module].get("path_template") or page.path
        path = str(template).replace("<queue_id>", str(queue_id))
        stem = page.module.removeprefix(registry.PAGES_PACKAGE)
        found.append(("wall" if path == "/" else stem, path))
    return sorted(found, key=lambda item: item[1])


@contextmanager
def stack_with_history(workdir: Path, history_days: float) -> Iterator[Any]:
    """The simulator (its model advanced through the history stored first), `collect`
    and `web`, as in tests/fixtures/live.py."""
    start = time.time()
    from_s = start - history_days * DAY_S
    db_url = f"sqlite:///{workdir / 'live.db'}"  # the database running_stack uses
    engine = storage.make_engine(db_url)
    try:
        storage.upgrade(engine)
        model = simulator.build_contact_center(queues=QUEUES, agents=AGENTS, seed=SEED,
                                               now=from_s)
        fill_history(engine, model, source="trio", queue_fields=DEFAULT_QUEUE_FIELDS,
                     from_s=from_s)
        # /drift and /health with their week of history, as the demo has it.
        fleet = simulator.build_fleet(SEED, from_s)
        fill_fleet_history(engine, fleet, from_s=from_s)
    finally:
        engine.dispose()
    config = simulator.SimulatorConfig(queues=QUEUES, agents=AGENTS, seed=SEED, model=model,
                                       fleet=fleet)
    with simulator.run_in_thread(config) as sim, running_stack(sim, workdir, {}) as stack:
        yield stack


def fire_alerts(sim: Any) -> None:
    sim.control.override_queue(ALERT_QUEUE, longestwaittime=95, callswaiting=4)
    sim.control.override_queue(ALERT_QUEUE + 1, longestwaittime=40, callswaiting=2)
    sim.control.worker(DOWN_WORKER, mode="failing", status=503)
    reconciler = sim.reconciler_names[0]
    sim.control.reconciler(reconciler, drift=[{
        "resource_id": "db-wallboard", "provider": "aws", "kind": "database",
        "field": "memory", "desired": "4Gi", "actual": "2Gi"}])


def team_display(db_url: str) -> str:
    """A view of TEAM_QUEUES and the gone queue, a display token bound to it and a
    message on its ticker; returns the token."""
    import auth
    from storage._schema import current, series

    now_ms = int(time.time() * 1000)
    engine = storage.make_engine(db_url)
    try:
        with engine.begin() as conn:
            for metric, unit in (("calls_waiting", "calls"), ("longest_wait_s", "s")):
                series_id = conn.execute(series.insert().values(
                    source="trio", entity_kind="queue", entity_id=GONE_QUEUE[0],
                    entity_name=GONE_QUEUE[1], metric=metric, unit=unit,
                    created_at=now_ms - 3_600_000).returning(series.c.id)).scalar_one()
                conn.execute(current.insert().values(series_id=series_id,
                                                     ts=now_ms - 47 * 60_000, value=3.0))
        views = storage.ViewStore(engine)
        view = views.create("norr", TEAM_TITLE, [*TEAM_QUEUES, GONE_QUEUE[0]], actor="admin",
                            now_ms=now_ms)
        created = auth.create_display(engine, "Vägg Norr")
        views.bind(created.display.id, view.id, actor="admin", now_ms=now_ms)
        storage.FloorMessageStore(engine).post(
            TEAM_MESSAGE, displays=[created.display.id], expires_at_ms=now_ms + 3_600_000,
            actor="admin", now_ms=now_ms)
        return created.token
    finally:
        engine.dispose()


def shoot_team(stack: Any, workdir: Path, out: Path, langs: list[str]) -> None:
    """The team's screen as its display token shows it, in each language (set on the
    token, as /admin does), at 1920x1080."""
    import auth

    db_url = stack.env["TRIO_MONITOR_DATABASE_URL"]
    token = team_display(db_url)
    screen_dir = workdir / "team-screen"
    screen_dir.mkdir(exist_ok=True)
    with contextmanager(chromium)(screen_dir) as screen:
        for lang in langs:
            engine = storage.make_engine(db_url)
            try:
                [row] = [r for r in auth.list_displays(engine) if r.name == "Vägg Norr"]
                auth.set_display_language(engine, row.id, lang)
            finally:
                engine.dispose()
            size(screen, (1920, 1080))
            screen.get(f"{stack.base_url}/display/{token}")
            wait(screen, 60).until(lambda d: d.execute_script(
                "return document.querySelectorAll('#wallboard-tiles > .tile').length === 6"
                " && document.querySelector('.tile--gone') !== null"
                " && (document.getElementById('ticker') || {}).className"
                "    .indexOf('ticker--on') >= 0"))
            wait_settled(screen, f"the team screen ({lang}, 1920x1080)")
            target = out / f"team_{lang}_1920x1080.png"
            screen.save_screenshot(str(target))
            print(target, flush=True)


# What "drawn" means, read in one go: Dash's callback queue (the renderer keeps its redux
# store on window.store; pending = every list but "stored" and "completed", as the
# renderer's own getPendingCallbacks counts), loading markers, and every chart drawn.
# Pages refresh on a dcc.Interval (every 2 s here); on a loaded machine the next refresh
# is asked for before the last one answered, so the queue is never empty and the text
# never stops changing. So each read first stops the page's Interval timers it finds in
# the layout (disabled, through Dash's own set_props): what the page asked for when it
# loaded still completes, and then nothing more is asked. Each shot loads its page
# afresh, with its timers running.
SETTLE_JS = """
const state = window.store && window.store.getState ? window.store.getState() : null;
const timers = [];
const walk = node => {
  if (Array.isArray(node)) { node.forEach(walk); return; }
  if (!node || typeof node !== 'object' || !node.props) { return; }
  if (node.type === 'Interval' && node.props.id && !node.props.disabled) {
    timers.push(node.props.id);
  }
  walk(node.props.children);
};
if (state && window.dash_clientside && window.dash_clientside.set_props) {
  walk(state.layout);
  for (const id of timers) { window.dash_clientside.set_props(id, {disabled: true}); }
}
let pending = null;
if (state && state.callbacks) {
  pending = [];
  for (const [name, list] of Object.entries(state.callbacks)) {
    if (name !== 'stored' && name !== 'completed' && Array.isArray(list)) {
      for (const cb of list) {
        pending.push(name + ' ' + ((cb.callback || {}).output || '?').slice(0, 80));
      }
    }
  }
}
const graphs = Array.from(document.querySelectorAll('.dash-graph'));
return {
  ready: document.readyState,
  fonts: document.fonts ? document.fonts.status : 'loaded',
  pending: pending,
  stopped: timers.length,
  loading: Array.from(document.querySelectorAll(
    '[data-dash-is-loading="true"], ._dash-loading, ._dash-loading-callback'))
    .map(e => e.id || e.className || e.tagName),
  undrawn: graphs.filter(g => !g.querySelector('.main-svg')).map(g => g.id || g.className),
  text: document.body ? document.body.innerText.trim().length : 0,
};
"""
SETTLE_TIMEOUT_S = 60  # times the fixtures' SLACK: how long a loaded machine may take
QUIET_POLLS = 3  # consecutive polls (0.1 s apart) with nothing in flight
SETTLE_AFTER_S = 0.3  # then a short pause for the browser to paint the last change


class NotSettled(RuntimeError):
    """A page that never came to rest: says which, at which size, and what was left."""


def settled(browser: Any) -> Callable[[Any], bool]:
    """True once the page is loaded, fonts are in, its refresh timers are stopped, Dash
    has no callback pending, nothing shows a loading state and every chart has drawn its
    SVG, on ``QUIET_POLLS`` polls in a row (see SETTLE_JS). The last state read is kept
    on the function (``check.last``) for the error message."""
    quiet: list[bool] = []

    def check(driver: Any) -> bool:
        try:
            state = driver.execute_script(SETTLE_JS)
        except TimeoutException:  # the page's thread is busy (Plotly drawing): not yet
            check.last = {"busy": "the page did not answer a script in time"}  # type: ignore[attr-defined]
            quiet.append(False)
            return False
        check.last = state  # type: ignore[attr-defined]
        ok = (state["ready"] == "complete" and state["fonts"] == "loaded"
              and not state["stopped"] and state["pending"] == [] and not state["loading"]
              and not state["undrawn"] and state["text"] > 0)
        quiet.append(ok)
        return len(quiet) >= QUIET_POLLS and all(quiet[-QUIET_POLLS:])

    check.last = {}  # type: ignore[attr-defined]
    return check


def wait_settled(browser: Any, what: str, timeout_s: float = SETTLE_TIMEOUT_S) -> None:
    """Wait for ``settled``, then ``SETTLE_AFTER_S``; a page that does not settle in
    ``timeout_s`` (times SLACK) raises ``NotSettled`` naming ``what`` and what was
    still going on."""
    check = settled(browser)
    try:
        wait(browser, timeout_s).until(check)
    except TimeoutException as exc:
        raise NotSettled(f"{what} did not settle within {timeout_s * SLACK:.0f} s; last "
                         f"state: {check.last}") from exc  # type: ignore[attr-defined]
    time.sleep(SETTLE_AFTER_S)


def set_language(browser: Any, base_url: str, lang: str) -> None:
    """Click the page frame's language switch (the choice is kept on the user), then wait
    until a freshly loaded page carries its title in that language."""
    from dashboard.i18n import t

    size(browser, (1920, 1080))  # at phone size the switch may be folded away
    browser.get(base_url + "/alerts")
    click(browser, "id", f"pages-lang-{lang}", timeout=20)
    title = t("alr_title", lang)  # the page frame shows it beside the site's name

    def switched(driver: Any) -> bool:
        header = driver.find_element("css selector", "header, .topbar").text
        return title in header.split()

    try:
        wait(browser, 10).until(switched)
    except TimeoutException:  # the choice is kept, but this page was not re-rendered
        browser.get(base_url + "/alerts")
        wait(browser, 30).until(switched, f"the pages did not switch to {lang}")


def size(browser: Any, viewport: tuple[int, int]) -> None:
    """The page's viewport exactly (a window size would include the window's frame)."""
    width, height = viewport
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def shoot(browser: Any, url: str, viewport: tuple[int, int], target: Path) -> None:
    what = f"{url} at {viewport[0]}x{viewport[1]} (for {target.name})"
    try:
        size(browser, viewport)
        browser.get(url)
        wait_settled(browser, what)
        browser.save_screenshot(str(target))
    except WebDriverException as exc:  # the browser's own deadlines (a busy renderer)
        raise NotSettled(f"{what}: the browser gave up: {exc.msg}") from exc


def shoot_again(browser: Any, url: str, viewport: tuple[int, int], target: Path) -> None:
    """``shoot``, and once more from a fresh load if the page did not settle (a busy
    machine can starve one load's drawing; a second failure is reported)."""
    try:
        shoot(browser, url, viewport, target)
    except NotSettled as exc:
        print(f"retrying once: {exc}", file=sys.stderr, flush=True)
        shoot(browser, url, viewport, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/trio-shots"))
    parser.add_argument("--readme", action="store_true",
                        help="retake docs/screenshot.png (the wall, 1920x1080, English)")
    parser.add_argument("--history-days", type=float, default=1.0)
    parser.add_argument("--lang", nargs="+", choices=LANGS, default=list(LANGS))
    parser.add_argument("--team", action="store_true",
                        help="only the team screen (team_<lang>_1920x1080.png)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="trio-shots-") as tmp:
        workdir = Path(tmp)
        with stack_with_history(workdir / "stack", args.history_days) as stack:
            fire_alerts(stack.sim)
            with contextmanager(chromium)(workdir) as browser:
                log_in_browser(browser, stack.base_url)
                # The wall shows the pinned queue as critical once the collector polled.
                wait(browser, 60).until(lambda d: d.execute_script(
                    "return document.querySelector("
                    f"'.tile[data-queue=\"{ALERT_QUEUE}\"][data-level=\"critical\"]') !== null"))
                if not args.readme:
                    shoot_team(stack, workdir, args.out, args.lang)
                    if args.team:
                        return 0
                if args.readme:
                    set_language(browser, stack.base_url, "en")
                    shoot(browser, stack.base_url + "/", (1920, 1080), README_SHOT)
                    print(README_SHOT)
                    return 0
                failed: list[str] = []
                for lang in args.lang:
                    set_language(browser, stack.base_url, lang)
                    for stem, path in pages(ALERT_QUEUE):
                        for width, height in SIZES:
                            target = args.out / f"{stem}_{lang}_{width}x{height}.png"
                            try:
                                shoot_again(browser, stack.base_url + path, (width, height),
                                            target)
                            except NotSettled as exc:  # the rest of the pass still counts
                                failed.append(str(exc))
                                print(f"error: {exc}", file=sys.stderr, flush=True)
                                continue
                            print(target, flush=True)
    if failed:
        print(f"error: {len(failed)} screenshot(s) not taken:", *failed, sep="\n  ",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

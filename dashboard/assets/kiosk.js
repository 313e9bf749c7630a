/* Kiosk mode of the pages, for wall screens with a display token (pages/kiosk.py).
 *
 * A screen opened /display/<token>: auth's screen.js stored the token, /kiosk gave this
 * script the playlist (start). From then on, on every page of this browser:
 * - the page is in kiosk mode (class "kiosk": no navigation, large type, no cursor) and
 *   the playlist's pages rotate, by client-side navigation (no reload, no new session);
 * - a 401 from the server (the session ended: token revoked, or the cookie lost) sends
 *   the screen to /display/<token> again: a new session, or the revoked page; never the
 *   login page;
 * - a changed build id (X-Trio-Build: the app was upgraded), callbacks failing with 5xx
 *   for 2 minutes, or no callback answered for 90 s while the server answers (a renderer
 *   that stopped) start the screen again the same way, at most once a minute.
 * A reload while the server is down would leave the browser's own error page, which never
 * retries: nothing here reloads unless the server just answered.
 *
 * A logged-in user's browser (no display token) rotates too, in that tab only: the
 * playlist is not remembered and nothing sends it to /display/...; its session is the
 * user's own, and an ended session goes to the login page as on any page.
 *
 * Every request to the app from a tab in kiosk mode carries X-Trio-Kiosk: 1
 * (screenview.KIOSK_HEADER), so the server draws its charts for four metres for a
 * logged-in user's rotating tab too (it knows a display session by itself). */
(function () {
    "use strict";
    var TOKEN_KEY = "trio.display.token"; // written by auth's screen.js
    var PLAYLIST_KEY = "trio.kiosk.playlist";
    var RESTARTED_KEY = "trio.kiosk.restartedAt";
    var BUILD_HEADER = "X-Trio-Build";
    var KIOSK_HEADER = "X-Trio-Kiosk"; // dashboard/screenview.py KIOSK_HEADER
    var KIOSK_PATH = "/kiosk";
    var KIOSK_CLASS = "kiosk";
    var STUCK_AFTER_MS = 90000;
    var FAILING_FOR_MS = 120000;
    var RESTART_GAP_MS = 60000;
    var WATCH_EVERY_MS = 15000;

    var state = {
        playlist: null, display: false, index: 0, rotation: null, build: null,
        lastOk: Date.now(), failingSince: null, leaving: false
    };
    var store = (function () {
        try {
            return window.localStorage;
        } catch (e) {
            return null; // storage disabled: the session cookie alone still works
        }
    })();
    var originalFetch = window.fetch ? window.fetch.bind(window) : null;
    // The site's mount point ("" or e.g. "/monitor", URL_PREFIX): paths below are from
    // the app's root, the browser's are under it. Dash's config on the page names it.
    var ROOT = (function () {
        try {
            var config = JSON.parse(document.getElementById("_dash-config").textContent);
            return (config.requests_pathname_prefix || "/").replace(/\/$/, "");
        } catch (e) {
            return "";
        }
    })();

    function local(pathname) {
        return ROOT && pathname.indexOf(ROOT + "/") === 0 ? pathname.slice(ROOT.length) : pathname;
    }

    function readPlaylist() {
        if (!store || !store.getItem(TOKEN_KEY)) {
            return null;
        }
        try {
            var saved = JSON.parse(store.getItem(PLAYLIST_KEY) || "null");
            if (saved && Array.isArray(saved.paths) && saved.paths.length && saved.everyMs > 0) {
                return saved;
            }
        } catch (e) {
            // unreadable: not a kiosk until /kiosk hands over a playlist again
        }
        return null;
    }

    function leave(url) {
        if (!state.leaving) {
            state.leaving = true;
            window.location.replace(url);
        }
    }

    // Through /display/<token>: a new session if this one is gone, the revoked page if
    // the token is.
    function startAgain() {
        var token = store && store.getItem(TOKEN_KEY);
        if (!token) {
            leave(ROOT + "/display/revoked");
            return;
        }
        var playlist = readPlaylist();
        leave(ROOT + "/display/" + encodeURIComponent(token) + ((playlist && playlist.query) || ""));
    }

    function restart() {
        var now = Date.now();
        var last = Number(store && store.getItem(RESTARTED_KEY)) || 0;
        if (now >= last && now - last < RESTART_GAP_MS) {
            return; // asked again by a later response once the gap has passed
        }
        if (store) {
            store.setItem(RESTARTED_KEY, String(now));
        }
        startAgain();
    }

    function show(path) {
        if (local(window.location.pathname) === path) {
            return;
        }
        // What a dcc.Link does: Dash's pages router follows this event.
        window.history.pushState({}, "", ROOT + path);
        window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    }

    function rotate() {
        var paths = state.playlist.paths;
        state.index = (state.index + 1) % paths.length;
        show(paths[state.index]);
    }

    // display: a wall screen's session (a display token), watched and started again;
    // false: a user's tab, which only rotates.
    function run(playlist, display) {
        state.playlist = playlist;
        state.display = display;
        state.lastOk = Date.now();
        document.documentElement.classList.add(KIOSK_CLASS);
        var at = playlist.paths.indexOf(local(window.location.pathname));
        state.index = at < 0 ? 0 : at;
        if (state.rotation !== null) {
            window.clearInterval(state.rotation);
            state.rotation = null;
        }
        if (playlist.paths.length > 1) {
            state.rotation = window.setInterval(rotate, playlist.everyMs);
        }
        show(playlist.paths[state.index]);
    }

    function observe(response) {
        var build = response.headers.get(BUILD_HEADER);
        if (build) {
            if (state.build === null) {
                state.build = build;
            } else if (build !== state.build) {
                restart();
                return;
            }
        }
        if (response.status === 401) {
            startAgain();
        } else if (response.status >= 500) {
            state.failingSince = state.failingSince || Date.now();
            if (Date.now() - state.failingSince > FAILING_FOR_MS) {
                restart();
            }
        } else if (response.ok) {
            state.failingSince = null;
            state.lastOk = Date.now();
        }
    }

    function watch() {
        if (!state.playlist || !state.display || state.leaving ||
                Date.now() - state.lastOk < STUCK_AFTER_MS) {
            return;
        }
        originalFetch(ROOT + "/_dash-layout", {credentials: "same-origin", cache: "no-store"})
            .then(function (reply) {
                if (reply.status === 401) {
                    startAgain();
                } else if (reply.ok) {
                    restart();
                }
            })
            .catch(function () { /* unreachable: wait for it to come back */ });
    }

    // fetch's arguments with the kiosk header added, for a request to this site only (a
    // header of its own on another origin's request would ask it for a CORS preflight).
    function marked(args) {
        var target = args[0];
        var url = typeof target === "string" ? target : (target && target.url) || "";
        try {
            if (new URL(url, window.location.href).origin !== window.location.origin) {
                return args;
            }
        } catch (e) {
            return args;
        }
        var init = Object.assign({}, args[1] || {});
        var headers = new Headers(init.headers ||
                                  (target instanceof Request ? target.headers : undefined));
        headers.set(KIOSK_HEADER, "1");
        init.headers = headers;
        return [target, init].concat(Array.prototype.slice.call(args, 2));
    }

    if (originalFetch) {
        window.fetch = function () {
            var args = Array.prototype.slice.call(arguments);
            var pending = originalFetch.apply(null, state.playlist ? marked(args) : args);
            if (!state.playlist || !state.display) {
                return pending;
            }
            return pending.then(function (response) {
                observe(response);
                return response;
            });
        };
        window.setInterval(watch, WATCH_EVERY_MS);
    }

    var saved = readPlaylist();
    if (saved && local(window.location.pathname) !== KIOSK_PATH) {
        run(saved, true);
    }

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        trioKiosk: {
            // /kiosk checked the playlist: a wall screen remembers it (a reload on any
            // page resumes it); then show its first page once Dash has applied this
            // callback's output.
            start: function (data) {
                if (!data) {
                    return window.dash_clientside.no_update;
                }
                var display = !!data.display;
                var playlist = {paths: data.paths, everyMs: data.everyMs, query: data.query};
                if (display && store) {
                    store.setItem(PLAYLIST_KEY, JSON.stringify(playlist));
                }
                window.setTimeout(function () { run(playlist, display); }, 0);
                return "started";
            }
        }
    });
})();

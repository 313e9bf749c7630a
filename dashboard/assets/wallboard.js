/* Clientside callbacks of the wall screen (pages/wallboard.py).
 * Served from assets/ so the Content-Security-Policy needs no inline script for them.
 * They run in the browser: the clock and the connection watchdog keep working while
 * the server is unreachable, and cost it nothing. */
(function () {
    "use strict";
    // Stands in for the first heartbeat until one arrives.
    var LOADED_AT = Date.now();
    var HIDDEN = "overlay overlay--hidden";
    var VISIBLE = "overlay overlay--visible";

    var sessionCheckAt = 0;

    function pad(n) {
        return (n < 10 ? "0" : "") + n;
    }

    // While heartbeats are missing, tell "server unreachable" from "session ended": the
    // guard answers 401 to Dash's endpoints without a session. A reload then goes through
    // the guard to the login page; an unreachable server keeps the overlay up instead.
    function checkSession() {
        var now = Date.now();
        if (now - sessionCheckAt < 5000 || !window.fetch) {
            return;
        }
        sessionCheckAt = now;
        window.fetch("/_dash-layout", {credentials: "same-origin", cache: "no-store"})
            .then(function (reply) {
                if (reply.status === 401) {
                    window.location.reload();
                }
            })
            .catch(function () { /* unreachable: the overlay says so already */ });
    }

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        trioWallboard: {
            // The top bar clock, 24 h, in the screen's own time zone.
            clock: function () {
                var now = new Date();
                return pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" +
                    pad(now.getSeconds());
            },
            // When a heartbeat ARRIVED, by this browser's clock: server and screen
            // clocks may disagree, so the server's own time is not compared here.
            heartbeatSeen: function () {
                return Date.now();
            },
            // Show the "connection lost" overlay once no heartbeat arrived for
            // lostAfterMs; hide it again as soon as one does.
            watchdog: function (_n, seenAt, config, current) {
                var limit = (config && config.lostAfterMs) || 12500;
                var last = seenAt || LOADED_AT;
                var wanted = Date.now() - last > limit ? VISIBLE : HIDDEN;
                if (wanted === VISIBLE) {
                    checkSession();
                }
                return wanted === current ? window.dash_clientside.no_update : wanted;
            }
        }
    });
})();

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

    var siteFormats = {};

    function hms(now) {
        return pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
    }

    // This screen's own time, marked with its offset ("14:03:12 UTC+09:00"): never
    // passed off as the site's.
    function ownTime(now) {
        var offset = -now.getTimezoneOffset();
        var abs = Math.abs(offset);
        return hms(now) + " UTC" + (offset < 0 ? "-" : "+") + pad(Math.floor(abs / 60)) +
            ":" + pad(abs % 60);
    }

    // HH:MM:SS in the site's zone, whatever this browser's zone is; with the zone's
    // abbreviation ("CET") when this screen's own clock reads otherwise, so a viewer
    // elsewhere is not misled. Without Intl, or a zone it does not know: ownTime.
    function clockText(now, zone) {
        if (!zone || !window.Intl || !Intl.DateTimeFormat.prototype.formatToParts) {
            return ownTime(now);
        }
        try {
            if (!siteFormats[zone]) {
                siteFormats[zone] = new Intl.DateTimeFormat("en-GB", {
                    timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit",
                    hourCycle: "h23", timeZoneName: "short"
                });
            }
            var parts = {};
            siteFormats[zone].formatToParts(now).forEach(function (part) {
                parts[part.type] = part.value;
            });
            var site = parts.hour + ":" + parts.minute + ":" + parts.second;
            return site === hms(now) ? site : site + " " + parts.timeZoneName;
        } catch (err) {  // RangeError: a zone this browser's Intl does not know
            return ownTime(now);
        }
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
            // The top bar clock, 24 h, in the site's zone (config.timeZone), like every
            // time the server writes.
            clock: function (_n, _lang, config) {
                return clockText(new Date(), config && config.timeZone);
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

/* Clientside callbacks of the wall screen's alert sound (pages/wallboard.py).
 * Served from assets/ so the Content-Security-Policy needs no inline script.
 *
 * Each refresh brings the ids of the critical alerts firing now. The screen beeps when
 * one appears that it has not seen since it loaded, if its sound is switched on (a
 * per-screen choice kept in localStorage, off by default). The first refresh after
 * loading is the baseline: a reloaded screen does not beep for alerts already firing.
 *
 * Browsers start audio only after a gesture on the page. Switching the sound on is one;
 * a screen reloaded with the sound on beeps once someone clicks or presses a key on it,
 * or at once when the browser allows autoplay (Chromium kiosk:
 * --autoplay-policy=no-user-gesture-required). */
(function () {
    "use strict";
    var ON = "sound__button sound__button--on";
    var OFF = "sound__button";
    var MAX_SEEN = 1000;
    var audio = null;
    var seen = null; // alert id -> true; null until the baseline
    var seenOrder = [];

    function context() {
        var Ctor = window.AudioContext || window.webkitAudioContext;
        if (!Ctor) {
            return null;
        }
        if (audio === null) {
            audio = new Ctor();
        }
        if (audio.state === "suspended") {
            audio.resume().catch(function () { /* no gesture yet: stays silent */ });
        }
        return audio;
    }

    // Two short 880 Hz tones; returns whether audio could be started at all.
    function beep(times) {
        var ctx = context();
        if (ctx === null) {
            return false;
        }
        var start = ctx.currentTime + 0.02;
        for (var i = 0; i < times; i++) {
            var at = start + i * 0.3;
            var osc = ctx.createOscillator();
            var gain = ctx.createGain();
            osc.type = "sine";
            osc.frequency.value = 880;
            gain.gain.setValueAtTime(0.0001, at);
            gain.gain.exponentialRampToValueAtTime(0.4, at + 0.02);
            gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.2);
            osc.connect(gain);
            gain.connect(ctx.destination);
            osc.start(at);
            osc.stop(at + 0.22);
        }
        return ctx.state === "running";
    }

    function remember(id) {
        seen[id] = true;
        seenOrder.push(id);
        if (seenOrder.length > MAX_SEEN) {
            delete seen[seenOrder.shift()];
        }
    }

    function resumeOnGesture() {
        if (audio !== null && audio.state === "suspended") {
            audio.resume().catch(function () { /* retried on the next gesture */ });
        }
    }
    document.addEventListener("pointerdown", resumeOnGesture, true);
    document.addEventListener("keydown", resumeOnGesture, true);

    var api = {
        beeps: 0, // how many times this screen beeped (read by browser tests)
        // The toggle: a click is the gesture that lets audio start; a short tone when
        // switched on says that sound works on this screen.
        toggleSound: function (_clicks, current) {
            var on = current !== true;
            if (on) {
                beep(1);
            }
            return on;
        },
        soundButton: function (on) {
            return on === true ? ON : OFF;
        },
        beepOnNew: function (ids, soundOn) {
            var current = Array.isArray(ids) ? ids : [];
            if (seen === null) {
                seen = {};
                current.forEach(remember);
                return {baseline: current.length, fresh: [], beeped: false};
            }
            var fresh = current.filter(function (id) { return !seen[id]; });
            fresh.forEach(remember);
            var beeped = false;
            if (fresh.length && soundOn === true) {
                beep(2);
                api.beeps += 1;
                beeped = true;
            }
            return {baseline: null, fresh: fresh, beeped: beeped};
        }
    };

    window.dash_clientside = Object.assign({}, window.dash_clientside, {trioAlerts: api});
})();

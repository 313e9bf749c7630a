/* Wall screens (display tokens), on the pages auth serves itself.
 *
 * /display/<token> (starting): remember the token in localStorage and go on to the
 * screen's start page. The dashboard's kiosk.js opens /display/<token> again with it when
 * the session is lost, so a screen never ends up on the login page.
 * /display/revoked: forget the token. /login: a screen that was sent here anyway (its
 * cookie lost, "next" set by the redirect) goes back to /display/<token> instead; a person
 * logging in on this browser turns it back into a normal browser.
 * A file, not inline script: the Content-Security-Policy allows no inline script. */
(function () {
    "use strict";
    var TOKEN_KEY = "trio.display.token";
    var PLAYLIST_KEY = "trio.kiosk.playlist"; // written by the dashboard's kiosk.js

    function storage() {
        try {
            return window.localStorage;
        } catch (e) {
            return null; // storage disabled: the session cookie alone still works
        }
    }

    function forget(store) {
        store.removeItem(TOKEN_KEY);
        store.removeItem(PLAYLIST_KEY);
    }

    function storedQuery(store) {
        try {
            var playlist = JSON.parse(store.getItem(PLAYLIST_KEY) || "{}");
            return typeof playlist.query === "string" ? playlist.query : "";
        } catch (e) {
            return "";
        }
    }

    function onScreenPage(box, store) {
        var token = box.getAttribute("data-token") || "";
        var next = box.getAttribute("data-next") || "";
        var mode = box.getAttribute("data-forget") || "";
        if (store) {
            if (mode === "all" || (mode === "token" && store.getItem(TOKEN_KEY) === token)) {
                forget(store);
            } else if (token && next) {
                store.setItem(TOKEN_KEY, token);
            }
        }
        if (next) {
            window.location.replace(next);
        }
    }

    function onLoginPage(box, store) {
        var token = store && store.getItem(TOKEN_KEY);
        var sentHere = new URLSearchParams(window.location.search).has("next");
        if (token && sentHere) {
            var url = box.getAttribute("data-display-url").replace("TOKEN", encodeURIComponent(token));
            window.location.replace(url + storedQuery(store));
            return;
        }
        var form = box.querySelector("form");
        if (form && store) {
            form.addEventListener("submit", function () { forget(store); });
        }
    }

    var store = storage();
    var screen = document.getElementById("trio-display");
    if (screen) {
        onScreenPage(screen, store);
        return;
    }
    var login = document.getElementById("trio-login");
    if (login) {
        onLoginPage(login, store);
    }
})();

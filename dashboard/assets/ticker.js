/* The ticker's language: the one chosen on the page shown under it. The wall screen
 * keeps its choice in localStorage "wallboard-lang", the other pages in "pages-lang"
 * (dcc.Store, JSON); the ticker follows whichever the page has. */
(function () {
    "use strict";

    function stored(key) {
        try {
            var raw = window.localStorage.getItem(key);
            return raw ? JSON.parse(raw) : null;
        } catch (err) {
            return null;
        }
    }

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.trioTicker = {
        language: function () {
            var onWall = document.querySelector(".wallboard") !== null;
            var lang = stored(onWall ? "wallboard-lang" : "pages-lang");
            return lang === "en" || lang === "sv" ? lang : null;
        }
    };
})();

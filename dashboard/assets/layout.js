/* The top bar's menu and the long texts that open on click (components/layout.py,
 * strip.py, site_strip.py). One delegated listener: it survives Dash re-rendering the
 * elements it acts on, and needs no inline script under the Content-Security-Policy. */
(function () {
    "use strict";

    function setOpen(bar, open) {
        bar.classList.toggle("topbar--open", open);
        var button = bar.querySelector(".menu__button");
        if (button) {
            button.setAttribute("aria-expanded", open ? "true" : "false");
        }
    }

    // The long texts opened on this screen, by what they are about (a strip line's
    // alert kind, a site part's name), not by element: a refresh that draws the line
    // anew (its part went up and down again, its text changed shape) keeps it open.
    var openClips = new Set();
    var watcher = null;

    function clipKey(clip) {
        var part = clip.closest("[data-part]");
        return clip.dataset.alert ? "alert:" + clip.dataset.alert
            : part ? "part:" + part.dataset.part : null;
    }

    function reopen() {
        Array.prototype.forEach.call(document.querySelectorAll(".clip"), function (clip) {
            if (!clip.classList.contains("clip--open") && openClips.has(clipKey(clip))) {
                clip.classList.add("clip--open");
            }
        });
    }

    function remember(clip) {
        var key = clipKey(clip);
        if (key === null) {
            return;
        }
        if (clip.classList.contains("clip--open")) {
            openClips.add(key);
        } else {
            openClips.delete(key);
        }
        if (openClips.size && watcher === null) {
            watcher = new MutationObserver(reopen);
            watcher.observe(document.body, {childList: true, subtree: true,
                                            attributes: true, attributeFilter: ["class"]});
        } else if (!openClips.size && watcher !== null) {
            watcher.disconnect();
            watcher = null;
        }
    }

    document.addEventListener("click", function (event) {
        var target = event.target;
        if (!(target instanceof Element)) {
            return;
        }
        var button = target.closest(".menu__button");
        var openBars = document.querySelectorAll(".topbar--open");
        if (button) {
            var bar = button.closest(".topbar");
            setOpen(bar, !bar.classList.contains("topbar--open"));
        }
        // A click anywhere else, or on a link in the menu, closes it.
        Array.prototype.forEach.call(openBars, function (bar) {
            var inside = bar.querySelector(".topbar__controls").contains(target);
            if (!bar.contains(button) && (!inside || target.closest("a"))) {
                setOpen(bar, false);
            }
        });
        // A long text cut to one line (a worker's reason, a source's last error):
        // a click shows all of it, another click cuts it again.
        var clip = target.closest(".clip");
        if (clip && !target.closest("a")) {
            clip.classList.toggle("clip--open");
            remember(clip);
        }
    });
})();

"""New texts of the dayfix branch, folded into the catalog at merge
(``scripts/i18n.py import-dict dashboard._texts_dayfix --remove``)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # The daily table on /queues/<id>: which service-level target it judged against.
    "hst_help_target_own": (
        "Service level is marked when under this queue's own target, {target} (the target "
        "set now, for every day shown).",
        "Servicenivån markeras när den är under köns eget mål, {target} (målet som gäller "
        "nu, för alla dagar som visas).",
    ),
    "hst_help_target_default": (
        "Service level is marked when under the site's default target, {target}: this "
        "queue has no target of its own.",
        "Servicenivån markeras när den är under platsens standardmål, {target}: kön har "
        "inget eget mål.",
    ),
    "hst_below_target": ("under the target {target}", "under målet {target}"),
    "hst_col_sl_target": ("Service-level target (% / s)", "Servicenivåmål (% / s)"),
}

"""New texts of the phone layout and /health cards (folded into the catalog at merge)."""

TEXTS: dict[str, tuple[str, str]] = {
    "hlt_no_latency": ("No latency measured in the last hour",
                       "Ingen svarstid uppmätt den senaste timmen"),
    "hlt_trend_trio": ("History: on each queue's page", "Historik: på varje kös sida"),
    "hlt_trend_drift": ("Cycle times: on the Drift page", "Cykeltider: på sidan Avvikelser"),
}

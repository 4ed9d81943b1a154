"""The map at / colours the agreement's corridors by their forecast risk (GET /corridors)."""

from __future__ import annotations

import json
import urllib.request

from .conftest import Site, Watched, open_dashboard


def test_corridors_are_coloured_by_the_forecast(watched: Watched, site: Site) -> None:
    page = open_dashboard(watched, site.url)
    page.wait_for_selector("path.corridor[data-risk]", timeout=30_000)
    lines = page.locator("path.corridor[data-risk]")
    agreement = json.loads(urllib.request.urlopen(f"{site.url}/agreement").read())["agreement"]
    assert lines.count() == len(agreement["geography"]["corridors"])
    # the colour is the band of the probability the server forecast for that window
    requested = [u for u in watched.requests if "/corridors?" in u]
    assert len(requested) == 1
    doc = json.loads(urllib.request.urlopen(requested[0]).read())
    worst = max(f["p_breach"] for f in doc["forecasts"])
    shown = max(float(lines.nth(i).get_attribute("data-risk") or "0") for i in range(lines.count()))
    assert shown == worst
    band = "high" if worst >= 0.3 else "medium" if worst >= 0.1 else "low"
    colour = {"high": "#c0262d", "medium": "#e08a00", "low": "#1e7b4f"}[band]
    assert page.locator(f"path.corridor.risk-{band}").count() >= 1
    assert colour in [lines.nth(i).get_attribute("stroke") for i in range(lines.count())]

"""The metrics charts and the webhook subscribers on the dashboard, in chromium: the charts
draw the numbers GET /metrics gives (bar heights in proportion to them), the subscribers'
health, backlog and oldest undelivered message are those GET /publication/subscribers gives,
and axe-core finds no violation on either view."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import yaml

from served_home import serve_home

from .conftest import Mission, Site, Watched, open_dashboard, watch
from .test_accessibility import _violations

SECRET = "whsec_" + base64.b64encode(b"dashboard-test-secret-0123456789").decode()


def _receiver(status: int) -> Iterator[ThreadingHTTPServer]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers["content-length"]))
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture(scope="module")
def notified_site(mission: Mission, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A copy of the home whose transitions one `truceline notify` pass sent to a healthy
    receiver and a dead one (HTTP 500), served."""
    root = tmp_path_factory.mktemp("notified")
    home = root / "home"
    shutil.copytree(mission.home, home)
    healthy, dead = _receiver(204), _receiver(500)
    hooks = []
    for sid, rx in (("guarantors", next(healthy)), ("observers", next(dead))):
        port = rx.server_address[1]
        hooks.append({"id": sid, "url": f"http://127.0.0.1:{port}/hook", "secret_env": "W_S"})
    (home / "publication.yaml").write_text(yaml.safe_dump({"webhooks": hooks}))
    # In a process of its own: Playwright's loop runs in this one.
    result = subprocess.run(
        [sys.executable, "-m", "truceline.cli", "notify", "--home", str(home)],
        env={**os.environ, "W_S": SECRET},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr  # the dead one's messages are left queued
    for rx in (healthy, dead):
        rx.close()
    with serve_home(home, root / "serve.log") as url:
        yield Site(url, home, mission)


def test_metric_charts_show_the_numbers_of_get_metrics(watched: Watched, site: Site) -> None:
    page = open_dashboard(watched, site.url, "#/metrics")
    page.wait_for_selector("#chart-trend-1 circle", timeout=60_000)
    start, end = (page.get_attribute("#metrics-range", f"data-{k}") for k in ("from", "to"))
    doc = httpx.get(f"{site.url}/metrics", params={"from": start, "to": end}, timeout=60).json()
    assert (doc["from"], doc["to"]) == (start, end)
    want: dict[tuple[str, str], float] = {
        (p, period): 0 for p in doc["parties"] for period in doc["periods"]
    }
    verified = dict.fromkeys(doc["periods"], 0.0)
    fire = dict.fromkeys(doc["periods"], 0.0)
    for r in doc["rows"]:
        if r["metric"] == "verified_breaches" and r["key"] == "all":
            want[r["party"], r["period"]] += r["value"]
            verified[r["period"]] += r["value"]
        elif r["metric"] == "observed_fire":
            fire[r["period"]] += r["value"]
    assert sum(want.values()) > 0 and sum(fire.values()) > 0  # something to draw

    bars = page.eval_on_selector_all(
        "#chart-parties rect[data-series]",
        "els => els.map(e => [e.dataset.series, e.dataset.period, Number(e.dataset.value),"
        " e.getBBox().height])",
    )
    assert {(s, p): v for s, p, v, _ in bars} == want
    # Drawn in proportion: one scale for every bar.
    scales = {round(height / v, 6) for _, _, v, height in bars if v}
    assert len(scales) == 1, scales
    points = page.eval_on_selector_all(
        "#chart-trend-0 circle, #chart-trend-1 circle",
        "els => els.map(e => [e.dataset.series, e.dataset.period, Number(e.dataset.value)])",
    )
    drawn = {(s, p): v for s, p, v in points}
    assert drawn == {("verified breaches", p): v for p, v in verified.items()} | {
        ("reports of fire", p): v for p, v in fire.items()
    }
    # The tables beside the charts say the same.
    rows = page.eval_on_selector_all(
        "#table-parties tbody tr",
        "els => els.map(e => [e.dataset.period, ...[...e.querySelectorAll('td')].map(td =>"
        " Number(td.textContent))])",
    )
    assert {(party, r[0]): r[1 + k] for r in rows for k, party in enumerate(doc["parties"])} == want
    assert page.get_attribute("#chart-parties", "role") == "img"
    assert _violations(page) == []


def test_subscribers_health_backlog_and_oldest_on_the_dashboard(
    browser: Any, notified_site: Site
) -> None:
    for w in watch(browser, notified_site.url):
        page = open_dashboard(w, notified_site.url, "#/notifications")
        page.wait_for_selector("#subscriber-table tbody tr[data-subscriber]")
        status = httpx.get(f"{notified_site.url}/publication/subscribers").json()["subscribers"]
        by_id = {s["id"]: s for s in status}
        assert by_id["guarantors"]["health"] == "healthy" and by_id["guarantors"]["backlog"] == 0
        assert by_id["observers"]["health"] == "failing" and by_id["observers"]["backlog"] > 0
        shown = page.eval_on_selector_all(
            "#subscriber-table tbody tr",
            "els => els.map(e => [e.dataset.subscriber,"
            " ...[...e.querySelectorAll('td')].map(td => td.textContent)])",
        )
        assert [r[0] for r in shown] == [s["id"] for s in status]
        for sid, health, backlog, oldest, _behind, delivered, dead, last, _next in shown:
            s = by_id[sid]
            assert health.startswith(s["health"] + ":")
            assert (int(backlog), int(delivered), int(dead)) == (
                s["backlog"],
                s["delivered"],
                s["dead_letters"],
            )
            if s["oldest_undelivered_at"] is None:
                assert oldest == "–"
            else:  # the age, and when it was queued
                queued = s["oldest_undelivered_at"][:19].replace("T", " ")
                assert oldest.endswith(f"(queued {queued} UTC)"), oldest
                assert oldest.split(" (")[0] not in ("–", "")
            assert ("HTTP 500" in last) == (sid == "observers")
        assert _violations(page) == []

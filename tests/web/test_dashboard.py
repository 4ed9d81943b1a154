"""The live map in Debian's chromium against a real `truceline serve` of a witnessed mission:
what it draws, filters and the time slider, the incident and penalty pages, and Verify, which
passes on real records and fails, saying why, on every tampering a server could try.

Every page's requests are recorded (conftest.watch): none may leave the server.
Set TRUCELINE_WEB_FIGURES=docs/figures to save the screenshots the docs show.
"""

from __future__ import annotations

import base64
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from served_home import serve_home
from truceline.ledger.note import Ed25519Signer

from .conftest import Site, Watched, cli, open_dashboard, watch

WAIT = 30_000  # ms a view may take to render on a loaded machine

FIGURES = os.environ.get("TRUCELINE_WEB_FIGURES")
STEP_MS = 10 * 60 * 1000  # the slider's resolution (app.js SLIDER_STEP_MS)


def figure(page: Any, name: str, full_page: bool = False) -> None:
    if FIGURES:
        Path(FIGURES).mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(Path(FIGURES) / name), full_page=full_page)


def api(site: Site, path: str) -> Any:
    return httpx.get(f"{site.url}{path}").json()


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def markers(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#map [data-incident]", "els => els.map(e => e.dataset.incident)"
    )


def rows(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#incident-table tbody tr", "els => els.map(e => e.dataset.incident)"
    )


def test_map_draws_everything_and_the_table_lists_the_same(watched: Watched, site: Site) -> None:
    page = open_dashboard(watched, site.url)
    incidents = api(site, "/incidents")
    assert len(incidents) > 40
    ids = sorted(i["incident"] for i in incidents)
    assert sorted(markers(page)) == ids
    assert sorted(rows(page)) == ids
    assert page.inner_text("#map-count") == f"Showing {len(ids)} of {len(ids)} incidents."
    geography = page.locator(".leaflet-geography-pane path").count()
    agreement = api(site, "/agreement")["agreement"]["geography"]
    assert geography >= 1 + len(agreement["territories"]) + len(agreement["zones"]) + len(
        agreement["corridors"]
    ) + len(agreement["protected_sites"])
    located = [s for s in api(site, "/sensors") if s.get("location")]
    assert page.locator(".leaflet-sensors-pane path").count() == len(located)
    inspections = [i for i in api(site, "/enforcement/inspections")["inspections"] if i["location"]]
    assert page.locator(".inspection-icon").count() == len(inspections)
    assert page.locator(".grat-label").count() > 4  # the graticule, labelled
    assert 20 < page.locator(".leaflet-land-pane path").count() < 200  # countries near the front
    page.check("#layer-coverage")
    assert page.locator(".leaflet-coverage-pane path").count() == sum(
        1 for s in located if s["coverage"].get("range_km") or s["coverage"].get("geometry")
    )
    page.uncheck("#layer-coverage")
    page.uncheck("#layer-sensors")
    assert page.locator(".leaflet-sensors-pane path").count() == 0
    page.check("#layer-sensors")
    assert "Verified: " not in page.content()  # nothing claims verification unasked
    figure(page, "dashboard-map.png")


def test_filters_and_time_slider_change_what_is_shown(watched: Watched, site: Site) -> None:
    page = open_dashboard(watched, site.url)
    incidents = api(site, "/incidents")
    east = sorted(i["incident"] for i in incidents if i["accused"] == "east")
    page.select_option("#f-party", "east")
    assert sorted(markers(page)) == east == sorted(rows(page))
    page.uncheck("#f-grade-weak")
    want = sorted(
        i["incident"] for i in incidents if i["accused"] == "east" and i["grade"] != "weak"
    )
    assert sorted(markers(page)) == want and len(want) < len(east)
    page.select_option("#f-rule", "art-1")
    want = [i for i in want if "art-1" in next(x for x in incidents if x["incident"] == i)["rules"]]
    assert sorted(markers(page)) == want
    page.click("#f-reset")
    page.wait_for_selector("#map [data-incident] >> nth=40")
    assert len(markers(page)) == len(incidents)
    page.uncheck("#f-state-reported")
    assert sorted(markers(page)) == sorted(
        i["incident"] for i in incidents if i["state"] != "reported"
    )
    page.check("#f-state-reported")

    # The slider, by keyboard: to its start, then ten steps on; then a six-hour window.
    slider = page.locator("#f-time")
    slider.focus()
    page.keyboard.press("Home")
    for _ in range(60):
        page.keyboard.press("ArrowRight")
    until = int(slider.input_value()) * STEP_MS
    shown = sorted(markers(page))
    want = sorted(i["incident"] for i in incidents if ms(i["window"][0]) <= until)
    assert shown == want and 0 < len(shown) < len(incidents), (len(shown), len(incidents))
    assert slider.get_attribute("aria-valuetext").startswith("up to 20")
    page.select_option("#f-span", "21600")
    want = sorted(
        i["incident"]
        for i in incidents
        if ms(i["window"][0]) <= until and ms(i["window"][1]) >= until - 6 * 3600 * 1000
    )
    assert sorted(markers(page)) == want and len(want) < len(shown)
    assert page.inner_text("#map-count") == f"Showing {len(want)} of {len(incidents)} incidents."
    assert sorted(rows(page)) == want


def _cited_incident(site: Site) -> tuple[str, dict[str, Any]]:
    case = next(c for c in api(site, "/enforcement/penalties")["penalties"] if c["votes"])
    return case["incidents"][0], case


def test_incident_page_and_verify(watched: Watched, site: Site) -> None:
    incident, case = _cited_incident(site)
    page = open_dashboard(watched, site.url)
    page.click(f"#incident-table a[href='#/incident/{incident}']")
    # the view renders after its fetch: wait for it (a loaded machine takes seconds)
    page.wait_for_function("document.activeElement?.id === 'incident-heading'", timeout=WAIT)
    history = api(site, f"/incidents/{incident}")["transitions"]
    body = page.locator("#incident-body")
    expect(body.locator("tbody tr")).to_have_count(len(history), timeout=WAIT)
    citing = page.locator("#citing")
    expect(citing).to_contain_text(case["case"], timeout=WAIT)
    assert "guarantor-a block" in citing.inner_text()
    latest = history[-1]
    page.get_by_role(
        "button", name=f"Verify incident {incident} (entry {latest['ledger_index']})"
    ).click()
    result = page.locator(".verify-result[data-result]")
    result.wait_for()
    assert result.get_attribute("data-result") == "ok", result.inner_text()
    text = result.inner_text()
    assert f"Verified: incident {incident} is entry {latest['ledger_index']} of the log" in text
    assert text.count("Passed:") == 6 and "Failed" not in text
    assert "quorum 'quorum' met; cosigned by east-witness at" in text
    page.get_by_role("button", name=re.compile(r"Show the \d+ evidence records")).click()
    page.wait_for_selector("ul.evidence li")
    evidence = latest["evidence"]
    expect(page.locator("ul.evidence li")).to_have_count(min(len(evidence), 50), timeout=WAIT)
    page.locator("ul.evidence li button").first.click()
    page.wait_for_selector(".verify-result[data-result=ok] >> text=evidence entry")
    page.get_by_role(
        "button", name=f"Verify incident {incident} (entry {latest['ledger_index']})"
    ).click()
    page.wait_for_selector(".verify-result[data-result=ok] >> text=Verified: incident")
    figure(page, "dashboard-incident.png", full_page=True)


def _flip_last_hash(body: dict[str, Any]) -> dict[str, Any]:
    head, _, checkpoint = body["proof"].partition("\n\n")
    lines = head.split("\n")
    raw = bytearray(base64.b64decode(lines[-1]))
    raw[0] ^= 0x01
    lines[-1] = base64.b64encode(bytes(raw)).decode()
    return {**body, "proof": "\n".join(lines) + "\n\n" + checkpoint}


def _edit_signature_lines(body: dict[str, Any], edit: Any) -> dict[str, Any]:
    head, _, checkpoint = body["proof"].partition("\n\n")
    text, _, sigs = checkpoint.rpartition("\n\n")
    lines = [edit(line) for line in sigs.split("\n") if line]
    sig_block = "".join(line + "\n" for line in lines if line is not None)
    return {**body, "proof": head + "\n\n" + text + "\n\n" + sig_block}


def _bad_log_signature(origin: str) -> Any:
    def edit(line: str) -> str:
        if not line.startswith(f"\u2014 {origin} "):
            return line
        prefix, b64 = line.rsplit(" ", 1)
        raw = bytearray(base64.b64decode(b64))
        raw[-1] ^= 0x80
        return prefix + " " + base64.b64encode(bytes(raw)).decode()

    return lambda body: _edit_signature_lines(body, edit)


def _without_witness(name: str) -> Any:
    return lambda body: _edit_signature_lines(
        body, lambda line: None if line.startswith(f"\u2014 {name}") else line
    )


def _changed_entry(body: dict[str, Any]) -> dict[str, Any]:
    raw = bytearray(base64.b64decode(body["entry_base64"]))
    raw[-3] ^= 0x01  # no longer the logged bytes
    return {**body, "entry_base64": base64.b64encode(bytes(raw)).decode()}


def test_verify_fails_visibly_on_tampering(watched: Watched, site: Site) -> None:
    """The server (or anyone on the way) alters what Verify fetches; each alteration fails
    the step it breaks, and the page says so in an alert with the reason."""
    incident, _ = _cited_incident(site)
    latest = api(site, f"/incidents/{incident}")["transitions"][-1]
    origin = httpx.get(f"{site.url}/log/vkey").text.split("+")[0]
    tamperings = [
        # (what, route altered, how, the step that fails, its reason)
        (
            "a flipped proof hash",
            "/receipts/",
            _flip_last_hash,
            "inclusion",
            "inclusion proof gives root",
        ),
        (
            "a bad log signature",
            "/receipts/",
            _bad_log_signature(origin),
            "log",
            "invalid signature for key",
        ),
        (
            "a missing cosignature",
            "/receipts/",
            _without_witness("east.witness"),
            "witnesses",
            "quorum 'quorum' not satisfied; cosigned by",
        ),
        (
            "changed entry bytes",
            "/entries/",
            _changed_entry,
            "inclusion",
            "inclusion proof gives root",
        ),
    ]
    now: dict[str, Any] = {}

    def handle(route: Any) -> None:
        response = route.fetch()
        if now.get("route") and now["route"] in route.request.url:
            route.fulfill(response=response, json=now["change"](response.json()))
        else:
            route.fulfill(response=response)

    page = watched.page
    page.route(re.compile(r".*/(receipts|entries)/\d+$"), handle)
    open_dashboard(watched, site.url, f"#/incident/{incident}")
    button = page.get_by_role(
        "button", name=f"Verify incident {incident} (entry {latest['ledger_index']})"
    )
    result = page.locator(".verify-result")
    for what, path, change, step, reason in tamperings:
        now.update(route=path, change=change)
        button.click()
        page.wait_for_selector(".verify-result[data-result=fail] >> role=alert")
        alert = result.get_by_role("alert").inner_text()
        assert "Verification failed" in alert and reason in alert, (what, alert)
        failed = result.locator("ol.steps li.fail").first
        assert failed.get_attribute("data-step") == step, what
        assert reason in failed.inner_text(), what
        now.clear()  # the genuine answers verify again
        button.click()
        page.wait_for_selector(".verify-result[data-result=ok]")


def test_a_changed_log_key_is_flagged_and_the_pinned_one_still_used(
    watched: Watched, site: Site
) -> None:
    page = open_dashboard(watched, site.url)
    assert page.locator("#trust-notice").is_visible()  # first use, said so
    assert "trust on first use" in page.inner_text("#trust-notice")
    pinned = page.evaluate("JSON.parse(localStorage.getItem('truceline.trust.v1'))")
    assert pinned["vkey"] == httpx.get(f"{site.url}/log/vkey").text.strip()
    assert pinned["policy"] == httpx.get(f"{site.url}/log/policy").text
    assert "cosigned by 4 witnesses (quorum met)" in page.inner_text("#checkpoint-status")
    # The server now publishes another key: flagged loudly; records still verify with the pin.
    other = Ed25519Signer("other.example/log", b"\x09" * 32).verifier().vkey
    page.route("**/log/vkey", lambda route: route.fulfill(body=other + "\n"))
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    alert = page.locator("#trust-alert")
    assert alert.is_visible() and "log key this server publishes now differ" in alert.inner_text()
    page.goto(f"{site.url}/#/trust")
    assert "DIFFERS from the pinned key" in page.inner_text("#trust-body")
    incident, _ = _cited_incident(site)
    page.goto(f"{site.url}/#/incident/{incident}")
    page.locator("#incident-body button.verify").first.click()
    page.wait_for_selector(".verify-result[data-result]")
    assert page.get_attribute(".verify-result", "data-result") == "ok"
    # A key pinned by hand that did not sign the log: verification fails, naming the step.
    page.goto(f"{site.url}/#/trust")
    page.fill("#trust-vkey", other)
    page.click("#trust-form button[type=submit]")
    page.wait_for_selector("#trust-form-status >> text=Pinned.")
    page.goto(f"{site.url}/#/incident/{incident}")
    page.locator("#incident-body button.verify").first.click()
    page.wait_for_selector(".verify-result[data-result]")
    assert page.get_attribute(".verify-result", "data-result") == "fail"
    assert page.locator("ol.steps li.fail").first.get_attribute("data-step") == "log"


def test_penalties_countdowns_a_verified_vote_and_inspections(watched: Watched, site: Site) -> None:
    page = open_dashboard(watched, site.url, "#/penalties")
    cases = api(site, "/enforcement/penalties")["penalties"]
    expect(page.locator("#penalty-table tbody tr")).to_have_count(len(cases), timeout=WAIT)
    running = page.locator("td.countdown", has_text=re.compile(r"^\d+ d \d\d:\d\d:\d\d$"))
    assert running.count() >= 1
    before = running.first.inner_text()
    page.wait_for_timeout(1100)
    assert running.first.inner_text() != before  # it counts down
    voted = next(c for c in cases if c["votes"])
    page.click(f"a[href='#/penalty/{voted['case']}']")
    detail = api(site, f"/enforcement/penalties/{voted['case']}")
    table = page.locator("#penalty-body tbody tr")
    n = len(detail["transitions"]) + len(detail["vote_records"])
    expect(table).to_have_count(n, timeout=WAIT)
    [vote] = detail["vote_records"]
    row = page.locator(f"#penalty-body tr[data-index='{vote['ledger_index']}']")
    assert "vote by guarantor-a: block" in row.inner_text() and "counted" in row.inner_text()
    row.get_by_role("button").click()
    page.wait_for_selector(".verify-result[data-result]")
    assert page.get_attribute(".verify-result", "data-result") == "ok"
    page.click("nav a[data-view=inspections]")
    items = api(site, "/enforcement/inspections")["inspections"]
    assert items
    expect(page.locator("#inspection-table tbody tr")).to_have_count(len(items), timeout=WAIT)
    assert items[0]["id"] in page.inner_text("#inspection-table")


def test_the_dashboard_works_on_a_mirror(browser: Any, site: Site, tmp_path: Path) -> None:
    """A `truceline mirror` of the log holds public data only; served, it shows the same map,
    and its records verify against the key and policy the mirror pinned."""
    mirror = tmp_path / "mirror"
    cli("mirror", f"{site.url}/log", "--home", mirror)
    with serve_home(mirror, tmp_path / "serve.log") as url:
        for w in watch(browser, url):
            page = open_dashboard(w, url)
            assert sorted(markers(page)) == sorted(i["incident"] for i in api(site, "/incidents"))
            incident, _ = _cited_incident(site)
            page.goto(f"{url}/#/incident/{incident}")
            page.locator("#incident-body button.verify").first.click()
            page.wait_for_selector(".verify-result[data-result]")
            assert page.get_attribute(".verify-result", "data-result") == "ok"

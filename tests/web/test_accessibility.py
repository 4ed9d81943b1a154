"""Accessibility: axe-core (bundled by axe-playwright-python) finds no violation on any view,
and the dashboard can be used with the keyboard alone, with the focus always visible."""

from __future__ import annotations

from typing import Any

import httpx
from axe_playwright_python.sync_playwright import Axe

from .conftest import Site, Watched, open_dashboard

axe = Axe()


def _violations(page: Any) -> list[str]:
    """axe-core over the page as it is: injected once per document, run in place."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe.axe_script)
    response = page.evaluate("axe.run({resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in response["violations"]
    ]


def test_no_axe_violations_on_any_view(watched: Watched, site: Site) -> None:
    page = open_dashboard(watched, site.url)
    incident = httpx.get(f"{site.url}/incidents").json()[0]["incident"]
    case = httpx.get(f"{site.url}/enforcement/penalties").json()["penalties"][0]["case"]
    found = {"map": _violations(page)}
    for name, route in [
        ("incident", f"#/incident/{incident}"),
        ("penalties", "#/penalties"),
        ("penalty", f"#/penalty/{case}"),
        ("inspections", "#/inspections"),
        ("party", "#/party"),
        ("trust", "#/trust"),
    ]:
        page.goto(f"{site.url}/{route}")
        page.wait_for_selector(f"#view-{name}:not([hidden])")
        page.wait_for_selector(f"#view-{name} tbody tr, #view-{name} dl", timeout=30_000)
        if name == "incident":  # with a verification report showing
            page.locator("#incident-body button.verify").first.click()
            page.wait_for_selector(".verify-result[data-result]")
        found[name] = _violations(page)
    assert {k: v for k, v in found.items() if v} == {}


def _focused(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          return {tag: el.tagName, id: el.id, text: (el.textContent || '').trim().slice(0, 40),
                  label: el.getAttribute('aria-label') || '', type: el.type || '',
                  outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
        }"""
    )


def test_keyboard_reaches_and_operates_every_control(watched: Watched, site: Site) -> None:
    page = open_dashboard(watched, site.url)
    # Landmarks, labels, and the table that is the map's alternative.
    assert page.locator("header").count() == 1 and page.locator("main").count() == 1
    assert page.locator("footer").count() == 1 and page.locator("nav[aria-label]").count() == 1
    assert page.get_by_role("region", name="Map of the agreement geography").count() == 1
    table = page.get_by_role("table", name="Incidents matching the filters")
    assert table.locator("tbody tr").count() == len(httpx.get(f"{site.url}/incidents").json())
    for control in page.locator("#filters select, #filters input").all():
        ident = control.get_attribute("id")
        assert page.locator(f"label[for='{ident}']").count() == 1, ident
    assert page.get_attribute("nav a[data-view=map]", "aria-current") == "page"
    # Tab through the page: every control is reached, the focus always visible.
    seen = []
    for _ in range(60):
        page.keyboard.press("Tab")
        f = _focused(page)
        seen.append(f)
        assert f["tag"] != "BODY", "the focus was lost"
        assert f["outline"] != "none" and f["width"] >= 2, f"focus not visible on {f}"
    reached = {f["id"] or f["label"] or f["text"] for f in seen}
    assert seen[0]["text"] == "Skip to main content"
    for control in (
        "f-party",
        "f-rule",
        "f-grade-weak",
        "f-state-verified",
        "f-time",
        "f-span",
        "layer-sensors",
        "f-reset",
    ):
        assert control in reached, (control, reached)
    assert "Zoom in" in reached  # the map's own controls
    # Operate: the slider moves by arrow keys and the count follows.
    page.focus("#f-time")
    before = page.inner_text("#map-count")
    page.keyboard.press("Home")
    assert page.inner_text("#map-count") != before
    page.keyboard.press("End")
    assert page.inner_text("#map-count") == before
    # A checkbox by Space; a select by arrows.
    page.focus("#f-grade-weak")
    page.keyboard.press("Space")
    assert not page.is_checked("#f-grade-weak")
    page.keyboard.press("Space")
    page.focus("#f-party")
    page.keyboard.press("ArrowDown")
    assert page.input_value("#f-party") != ""
    page.keyboard.press("ArrowUp")
    assert page.input_value("#f-party") == ""
    # A table link by Enter: the incident page opens with the focus on its heading.
    link = page.locator("#incident-table tbody a").first
    name = link.inner_text()
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#view-incident:not([hidden])")
    assert _focused(page)["id"] == "incident-heading"
    assert page.inner_text("#incident-heading") == f"Incident {name}"
    # Verify by keyboard, from the heading.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('verify')"):
            break
    else:
        raise AssertionError("no Verify button reachable by Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(".verify-result[data-result]")
    assert _focused(page)["tag"] == "DIV"  # the report, for a screen reader to read next
    # The skip link jumps to the main content.
    page.focus("a.skip")
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == "main"
    page.keyboard.press("Tab")
    assert page.is_visible("#view-incident") and _focused(page)["text"] == "Back to the map"

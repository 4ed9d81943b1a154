"""The dashboard's HTTP side, against the real `truceline serve`: the page and its files
(from this server only, under a self-only Content-Security-Policy), and the two read routes
it needs, which name the ledger entries holding what they show; on a mirror home too."""

from __future__ import annotations

import base64
import fnmatch
import json
import tomllib
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from truceline.api import create_app
from truceline.home import Home
from truceline.web.api import STATIC, served_files

from .conftest import REPO_ROOT, Site, cli


def entry_payload(base: str, index: int) -> dict:
    raw = base64.b64decode(httpx.get(f"{base}/entries/{index}").json()["entry_base64"])
    envelope = json.loads(raw)
    return json.loads(base64.b64decode(envelope["payload"]))


def test_the_page_and_its_files_come_from_this_server(site: Site) -> None:
    page = httpx.get(f"{site.url}/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    for directive in (
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
    ):
        assert directive in csp
    assert "http" not in csp  # no other origin is allowed anything
    for name in ("app.js", "verify.js", "style.css", "leaflet/leaflet.js", "leaflet/leaflet.css"):
        r = httpx.get(f"{site.url}/web/{name}")
        assert r.status_code == 200, name
        assert r.headers["content-security-policy"] == csp
    assert "Leaflet 1.9" in httpx.get(f"{site.url}/web/leaflet/leaflet.js").text[:200]
    # Only the files listed when the router was built: no path from the request is opened.
    for bad in (
        "../api.py",
        "..%2Fapi.py",
        "leaflet/leaflet-src.js.map",
        "nothing.js",
        "%2e%2e/__init__.py",
    ):
        assert httpx.get(f"{site.url}/web/{bad}").status_code == 404, bad
    # Every script, style and image the page names is served here.
    html = page.text
    for ref in (
        "/web/leaflet/leaflet.css",
        "/web/style.css",
        "/web/leaflet/leaflet.js",
        "/web/app.js",
    ):
        assert ref in html
    assert "http:" not in html and "https:" not in html


def test_static_files_are_package_data() -> None:
    """pyproject's package-data globs cover every file the router serves from the package."""
    globs = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["truceline"]
    files = [p.relative_to(STATIC.parents[1]).as_posix() for p in STATIC.rglob("*") if p.is_file()]
    assert any(f.endswith("index.html") for f in files)
    for f in files:
        assert any(
            fnmatch.fnmatch(f, g) or fnmatch.fnmatch(f, g.replace("**/", "")) for g in globs
        ), f
    assert set(served_files()) >= {"app.js", "verify.js", "sign.js", "leaflet/leaflet.js"}
    # The country outline, vendored by scripts/vendor-outline (scripts/setup runs it).
    assert "outline/countries-50m.json" in served_files(), "run bash scripts/vendor-outline"


def test_agreement_route_names_its_entry(site: Site) -> None:
    got = httpx.get(f"{site.url}/agreement").json()
    assert got["ledger_index"] == 0 and got["in_force"] and got["complete"]
    assert set(got["signed_by"]) >= {"west", "east"}
    assert got["agreement"]["geography"]["contact_line"]["type"] == "LineString"
    assert entry_payload(site.url, 0) == got["agreement"]
    before = httpx.get(f"{site.url}/agreement", params={"at": "2000-01-01T00:00:00Z"}).json()
    assert not before["in_force"] and before["ledger_index"] == 0  # the newest, said so


def test_penalty_route_names_transitions_and_votes(site: Site) -> None:
    cases = httpx.get(f"{site.url}/enforcement/penalties").json()["penalties"]
    voted = next(c for c in cases if c["votes"])
    got = httpx.get(f"{site.url}/enforcement/penalties/{voted['case']}").json()
    assert got["case"] == voted["case"] and got["votes"] == {"guarantor-a": "block"}
    events = [t["event"] for t in got["transitions"]]
    assert "countdown_started" in events, events
    for t in got["transitions"]:
        assert entry_payload(site.url, t["ledger_index"]) == {
            k: v for k, v in t.items() if k != "ledger_index"
        }
    [vote] = got["vote_records"]
    assert vote["ignored"] is None and vote["voter"] == "guarantor-a"
    assert entry_payload(site.url, vote["ledger_index"])["case"] == voted["case"]
    assert httpx.get(f"{site.url}/enforcement/penalties/no-such-case").status_code == 404


@pytest.mark.slow
def test_a_mirror_answers_the_same(site: Site, tmp_path: Path) -> None:
    """The page and its read routes need nothing but public data."""
    mirror = tmp_path / "mirror"
    cli("mirror", f"{site.url}/log", "--home", mirror)
    assert not (mirror / "log.key").exists() and not (mirror / "keys").exists()
    now = httpx.get(f"{site.url}/enforcement/penalties").json()["now"]
    case = httpx.get(f"{site.url}/enforcement/penalties").json()["penalties"][0]["case"]
    with TestClient(create_app(Home(mirror))) as client:
        for path in ("/agreement", "/incidents", f"/enforcement/penalties/{case}?now={now}"):
            assert client.get(path).json() == httpx.get(f"{site.url}{path}").json(), path
        assert client.get("/").status_code == 200

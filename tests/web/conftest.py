"""The dashboard under test: a witnessed mission served by `truceline serve`, and Debian's
chromium driven by Playwright.

The mission is built the way an operator builds one, through the CLI: a day of an artillery
duel simulated to end yesterday (so penalty countdowns are running now), `init`, four real
witnesses (one per party, two guarantors; `truceline.mission.witnesses.WitnessFarm`) named in
the home's policy before anything else is logged, then `sensor add`, `ingest`, `fuse`,
`enforce` and one vote: every checkpoint after `init` carries the witnesses' cosignatures.
The witnesses run for the whole session, so what the server appends (a party's dispute) is
cosigned too. Tests that write get a `party_site`: a copy of the home, with its own server.

Every page a test opens records each request it makes; the test fails if one goes anywhere
but the server under test, or if the page throws.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from served_home import serve_home
from truceline.cli import app
from truceline.clock import SystemClock
from truceline.home import Home
from truceline.ledger.tilelog import TileLog
from truceline.mission.witnesses import WitnessFarm, WitnessGroup

SEED = 11
REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
runner = CliRunner()


def cli(*args: str | Path) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, (args, result.output)
    return result.output


@dataclass
class Mission:
    home: Path
    sim: Path
    farm: WitnessFarm

    def signatory_key(self, who: str) -> Path:
        return self.sim / "keys" / "signatories" / f"{who}.key"


def build_mission(root: Path) -> Mission:
    sim, home = root / "sim", root / "home"
    start = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT00:00:00Z")
    cli(
        "simulate",
        "--seed",
        SEED,
        "--scenario",
        "duel",
        "--days",
        "1",
        "--start",
        start,
        "--out",
        sim,
    )
    # Two confirmed breaches open a sanctions case (the preset asks five): the day's
    # breaches then give cases in consultation, with a vote deadline ahead of now.
    agreement = yaml.safe_load((sim / "agreement.yaml").read_text())
    agreement["penalties"]["rungs"][1]["trigger"]["count"] = 2
    (sim / "agreement.yaml").write_text(yaml.safe_dump(agreement, sort_keys=False))
    cli(
        "init",
        "--home",
        home,
        "--agreement",
        sim / "agreement.yaml",
        "--signers",
        sim / "keys" / "signatories",
    )
    groups = [
        WitnessGroup("west", "any", ("west",)),
        WitnessGroup("east", "any", ("east",)),
        WitnessGroup("guarantors", "any", ("guarantor-a", "guarantor-b")),
    ]
    farm = WitnessFarm(root / "witnesses", groups, SystemClock(), SEED)
    h = Home(home)
    farm.create(TileLog.origin_of(h.log_dir), h.log_vkey.read_text().strip())
    farm.start()
    farm.write_policy(h)
    cli(
        "sensor",
        "add",
        "--home",
        home,
        "--from",
        sim / "sensors.json",
        "--effective-at",
        "2020-01-01T00:00:00Z",
    )
    cli("ingest", "--home", home, sim / "observations.jsonl")
    cli("fuse", "--home", home)
    cli("enforce", "--home", home)
    mission = Mission(home, sim, farm)
    case = next(p["case"] for p in penalties(home) if p["status"] == "consultation")
    cli(
        "vote",
        "--home",
        home,
        "--case",
        case,
        "--voter",
        "guarantor-a",
        "--choice",
        "block",
        "--key",
        mission.signatory_key("guarantor-a"),
    )
    return mission


def penalties(home: Path) -> list[dict[str, Any]]:
    import json

    return list(json.loads(cli("penalties", "--home", home))["penalties"])


@pytest.fixture(scope="package")  # its witnesses and server stop with the web tests
def mission(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mission]:
    m = build_mission(tmp_path_factory.mktemp("web"))
    yield m
    m.farm.stop()


@dataclass
class Site:
    url: str
    home: Path
    mission: Mission


@pytest.fixture(scope="package")
def site(mission: Mission, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The mission's home served read-only by the tests (none of them writes to it)."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with serve_home(mission.home, log) as url:
        yield Site(url, mission.home, mission)


@pytest.fixture(scope="module")
def party_site(mission: Mission, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A copy of the home, served: the party tests append to its log (one branch only,
    since the witnesses would refuse to cosign two different extensions of one tree)."""
    root = tmp_path_factory.mktemp("party")
    home = root / "home"
    shutil.copytree(mission.home, home)
    with serve_home(home, root / "serve.log") as url:
        yield Site(url, home, mission)


# --- the browser --------------------------------------------------------------------------------


# The fixtures below are the web package's own: torn down when its tests are done, not at
# the end of the session. The browser above all: while Playwright's sync API is open, the
# main thread has a running event loop, and every later `asyncio.run` (tests/publication)
# fails with "cannot be called from a running event loop".
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is not installed: run `bash scripts/browser-deps`")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Watched:
    """A page and what it did: every request URL, console errors, uncaught exceptions."""

    page: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


def watch(browser: Any, origin: str) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    w = Watched(page)
    context.on("request", lambda r: w.requests.append(r.url))
    page.on("pageerror", lambda e: w.errors.append(str(e)))
    page.on("console", lambda m: w.console.append(f"{m.type}: {m.text}"))
    yield w
    context.close()
    elsewhere = [u for u in w.requests if not u.startswith(origin + "/")]
    assert not elsewhere, f"requests that left the server: {elsewhere}"
    assert not w.errors, f"the page threw: {w.errors}"
    refused = [c for c in w.console if "Content Security Policy" in c]
    assert not refused, refused


@pytest.fixture
def watched(browser: Any, site: Site) -> Iterator[Watched]:
    yield from watch(browser, site.url)


def open_dashboard(w: Watched, base: str, route: str = "") -> Any:
    w.page.goto(f"{base}/{route}")
    w.page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    return w.page

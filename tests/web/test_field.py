"""The field app in Debian's chromium, as an observer uses it: enrol the device, lose the
server, file a report of each kind offline with a photo attached, restart the browser, bring
the server back, and see each report's receipt from the log. A report altered in the queue
after signing and a photo swapped after reporting are refused with their reason.

The server is `truceline serve` on a fixed port, stopped and started again: the same origin
to the browser, whose service worker serves the app while nothing answers. The browser is a
persistent profile, closed and reopened: the queue and the key live in its IndexedDB.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from c2pa_signing import make_chain, sign
from served_home import free_port, serve_home
from truceline.authority import authority_of
from truceline.codec.entries import Record, read
from truceline.home import Home
from truceline.observation import OBSERVATION_TYPE, Observation

from .conftest import CHROMIUM_ARGS, Mission, cli, open_dashboard, watch
from .test_accessibility import _violations

KINDS = [
    "explosion",
    "impact",
    "launch",
    "small_arms",
    "heavy_weapon_sighting",
    "troop_movement",
    "uav_sighting",
    "demining",
    "corridor_status",
    "site_inspection",
    "weapons_missing",
    "access_denied",
    "inspection_report",
]


@dataclass
class FieldSite:
    home: Path
    root: Path
    port: int
    team: str
    base: tuple[float, float]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self) -> Any:
        return serve_home(self.home, self.root / "serve.log", port=self.port)


@pytest.fixture(scope="module")
def field_site(mission: Mission, tmp_path_factory: pytest.TempPathFactory) -> FieldSite:
    root = tmp_path_factory.mktemp("field")
    home = root / "home"
    shutil.copytree(mission.home, home)
    # No witnesses for this copy: they cosign one extension of the shared tree, the party
    # tests' (conftest.party_site), and would refuse a second.
    (home / "policy").unlink()
    agreement = json.loads(cli("agreement", "show", "--home", home, "--json"))
    team = agreement["inspections"]["teams"][0]
    return FieldSite(home, root, free_port(), team["id"], tuple(team["base"]))


def photo(lonlat: tuple[float, float], colour: str) -> bytes:
    """A JPEG with a phone's EXIF GPS position (no time: the browser's clock is not ours)."""
    from PIL import Image

    def dms(x: float) -> tuple[float, float, float]:
        d = int(abs(x))
        m = int((abs(x) - d) * 60)
        return (float(d), float(m), (abs(x) - d - m / 60) * 3600)

    image = Image.new("RGB", (40, 30), colour)
    exif = Image.Exif()
    lon, lat = lonlat
    exif.get_ifd(0x8825).update({1: "N", 2: dms(lat), 3: "E", 4: dms(lon)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@dataclass
class Device:
    """A persistent browser profile with the field app open, every request recorded."""

    context: Any
    page: Any
    requests: list[str]
    errors: list[str]


@contextmanager
def open_device(browser: Any, site: FieldSite, profile: Path) -> Iterator[Device]:
    context = browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=shutil.which("chromium"),
        args=CHROMIUM_ARGS,
        geolocation={"longitude": site.base[0], "latitude": site.base[1], "accuracy": 15},
        permissions=["geolocation"],
    )
    page = context.pages[0] if context.pages else context.new_page()
    d = Device(context, page, [], [])
    context.on("request", lambda r: d.requests.append(r.url))
    page.on("pageerror", lambda e: d.errors.append(str(e)))
    try:
        yield d
    finally:
        context.close()
    elsewhere = [u for u in d.requests if not u.startswith(site.url + "/")]
    assert not elsewhere, f"requests that left the server: {elsewhere}"
    assert not d.errors, f"the app threw: {d.errors}"


def load(page: Any, site: FieldSite) -> None:
    page.goto(f"{site.url}/field/")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)


def scheduled_incident(site: FieldSite) -> str:
    """An incident with an inspection open now, so the device's finding falls in its window."""
    got = json.loads(cli("inspections", "--home", site.home))
    open_ = [i for i in got["inspections"] if i["incident"] and i["status"] != "completed"]
    assert open_, got
    return str(open_[0]["incident"])


def compose(page: Any, kind: str, n: int, incident: str, media: list[Path]) -> None:
    page.select_option("#kind", kind)
    page.select_option("#perception", ["seen", "heard", "recorded"][n % 3])
    page.select_option("#direction", ["", "SSE", "NW"][n % 3])
    if n % 3:
        page.select_option("#distance", ["", "1000,2000", ""][n % 3])
    if kind == "inspection_report":
        page.fill("#incident", incident)
        page.select_option("#finding", "confirmed")
        # the inspection's finding: casualties, a damaged school, and photos
        page.fill("#civ-injured-min", "2")
        page.fill("#civ-injured-max", "4")
        page.select_option("#harm-source", "medical")
        page.select_option("#damage", "school")
    if kind == "impact":
        page.select_option("#weapon", "artillery")
    if media:
        page.set_input_files("#media", [str(m) for m in media])
    page.wait_for_selector("#position:has-text('±')")
    page.click("#sign")
    page.wait_for_selector(f"#reports li[data-seq='{n + 1}']")


# JavaScript run in the page, as someone with the device in hand could: change a queued
# report's signed payload, or the bytes of a queued photo.
TAMPER_REPORT = """async (seq) => {
  const { allReports, putReport } = await import('/field/store.js');
  const r = (await allReports()).find((x) => x.seq === seq);
  const env = JSON.parse(r.envelope);
  const payload = JSON.parse(atob(env.payload));
  payload.attributes.perception = 'heard';
  env.payload = btoa(JSON.stringify(payload));
  r.envelope = JSON.stringify(env);
  await putReport(r);
}"""
SWAP_MEDIA = """async (seq) => {
  const { allReports, putReport } = await import('/field/store.js');
  const r = (await allReports()).find((x) => x.seq === seq);
  r.media[0].blob = new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])], {type: 'image/jpeg'});
  await putReport(r);
}"""


def test_reports_filed_offline_reach_the_log_signed_by_the_device(
    browser: Any, field_site: FieldSite, tmp_path: Path
) -> None:
    site, profile = field_site, tmp_path / "profile"
    near = tmp_path / "crater.jpg"
    # the crater's photo carries a C2PA manifest, signed by a camera key whose CA this
    # installation does not trust
    captured = datetime.now(UTC).isoformat(timespec="seconds")
    near.write_bytes(sign(make_chain(), photo(site.base, "red"), "image/jpeg", site.base, captured))
    far = tmp_path / "school.jpg"
    far.write_bytes(photo((site.base[0] + 0.4, site.base[1] + 0.3), "blue"))
    incident = scheduled_incident(site)

    with open_device(browser, site, profile) as d:
        with site.serve():
            load(d.page, site)
            code = cli(
                "field", "invite", "--home", site.home, "--team", site.team, "--member", "ana"
            )
            d.page.fill("#enrol-code", code.strip())
            d.page.click("#enrol-button")
            d.page.wait_for_selector("#enrol-result:has-text('Enrolled as')")
            d.page.wait_for_function("navigator.serviceWorker.controller !== null")
            sensor = d.page.text_content("#device-status").split()[1].rstrip(",")

        # the server is gone: the app still opens, and reports are signed and queued
        load(d.page, site)
        assert d.page.get_attribute("body", "data-enrolled") == "true"
        for n, kind in enumerate(KINDS):
            compose(d.page, kind, n, incident, [near, far] if kind == "inspection_report" else [])
        d.page.click("#send")
        d.page.wait_for_selector("#connection:has-text('cannot be reached')")
        assert d.page.text_content("#queue-count") == str(len(KINDS))
        # one more impact; then the first report is altered after it was signed, and the
        # last one's photo swapped
        compose(d.page, "impact", len(KINDS), incident, [near])
        d.page.evaluate(TAMPER_REPORT, 1)
        d.page.evaluate(SWAP_MEDIA, len(KINDS) + 1)

    # the browser restarts, still without a server: the queue is still there
    with open_device(browser, site, profile) as d:
        load(d.page, site)
        assert d.page.text_content("#queue-count") == str(len(KINDS) + 1)
        with site.serve():
            d.page.click("#send")
            d.page.wait_for_selector("#queue-count:text-is('0')", timeout=30_000)
            d.page.wait_for_function(
                "!document.querySelector('#reports').textContent.includes('waiting to be sent')"
            )
            rows = {
                int(li.get_attribute("data-seq")): li
                for li in d.page.query_selector_all("#reports > li")
            }
            assert rows[1].get_attribute("data-status") == "refused"
            assert "bad_signature" in rows[1].text_content()
            for seq in range(2, len(KINDS) + 2):
                text = rows[seq].text_content()
                assert rows[seq].get_attribute("data-status") == "logged", text
                assert "the logged entry is the one signed here" in text
                # (this copy has no witness policy: the log key alone vouches)
                assert "inclusion proof verified against the pinned log key" in text
                assert rows[seq].get_attribute("data-proof") == "true"
            # the inspection's photos: the crater's place agrees with the report, the
            # school's is flagged
            inspection = rows[KINDS.index("inspection_report") + 1]
            [ok, flagged] = inspection.query_selector_all("li[data-status=stored]")
            assert (
                ok.query_selector("[data-check=place]").get_attribute("data-check-status") == "ok"
            )
            c2pa = ok.query_selector("[data-check=c2pa]")
            assert c2pa.get_attribute("data-check-status") == "untrusted"
            assert "valid signature, untrusted signer" in c2pa.get_attribute("title")
            place = flagged.query_selector("[data-check=place]")
            assert place.get_attribute("data-check-status") == "flag"
            # the photo swapped in the queue: refused with its reason; its report stands
            bad = rows[len(KINDS) + 1].query_selector("li[data-status=refused]")
            assert bad is not None and "hash_mismatch" in bad.text_content()

    # the log: every report is the device's, signed by its key, allowed by the authority
    reader = Home(site.home).reader()
    authority = authority_of(reader)
    mine, indices = [], []
    for index, entry in reader.scan():
        got = read(index, entry, (OBSERVATION_TYPE,))
        if isinstance(got, Record) and got.payload["sensor"] == sensor:
            obs = Observation.model_validate(got.payload)
            assert authority.check_observation(index, obs, got.envelope) is None
            mine.append(obs)
            indices.append(index)
    assert sorted(o.kind.value for o in mine) == sorted([*KINDS[1:], "impact"])
    harmed = next(o for o in mine if o.attributes.harm is not None)
    assert harmed.attributes.harm is not None and harmed.attributes.harm.civilians is not None
    assert harmed.attributes.harm.civilians.injured == (2, 4)
    stored = hashlib.sha256(near.read_bytes()).hexdigest()
    assert (site.home / "media" / stored).read_bytes() == near.read_bytes()

    # the finding confirms the incident; its page shows the harm and the photos, each
    # hashed again in the browser, with the checks of their own place against the report
    cli("fuse", "--home", site.home)
    features = json.loads(cli("incidents", "--home", site.home))["features"]
    finding = next(
        i for i, o in zip(indices, mine, strict=True) if o.kind.value == "inspection_report"
    )
    [inspected] = [f["properties"] for f in features if f["properties"]["incident"] == incident]
    assert inspected["state"] == "confirmed" and finding in inspected["evidence"], inspected
    with site.serve():
        for w in watch(browser, site.url):
            page = open_dashboard(w, site.url, f"#/incident/{incident}")
            page.click("#incident-body button:has-text('evidence records')")
            item = page.wait_for_selector(f"li[data-sha256='{stored}'][data-hash-check]")
            assert item.get_attribute("data-hash-check") == "ok"
            assert "is the one in the signed report" in item.text_content()
            assert item.query_selector("img") is not None
            c2pa = item.query_selector("[data-check=c2pa]")
            assert c2pa.get_attribute("data-check-status") == "untrusted"
            assert "valid signature, untrusted signer (signer CN=Field Camera 7" in (
                c2pa.text_content()
            )
            # the report's device clock, measured against the server's before it was signed
            clock = page.locator(f"li:has(li[data-sha256='{stored}']) [data-check=clock]")
            assert clock.get_attribute("data-check-status") == "ok"
            assert "measured against the server" in clock.text_content()
            far_sha = hashlib.sha256(far.read_bytes()).hexdigest()
            other = page.wait_for_selector(f"li[data-sha256='{far_sha}'][data-hash-check]")
            flag = other.query_selector("[data-check=place]")
            assert flag.get_attribute("data-check-status") == "flag"
            assert "Civilians: 2 to 4 injured (source: medical)" in page.text_content(
                "#incident-body"
            )


def test_the_field_app_has_no_axe_violations(browser: Any, field_site: FieldSite) -> None:
    site = field_site
    with site.serve():
        for w in watch(browser, site.url):
            page = w.page
            load(page, site)
            assert _violations(page) == []  # the enrolment view
            code = cli(
                "field", "invite", "--home", site.home, "--team", site.team, "--member", "axe"
            )
            page.fill("#enrol-code", code.strip())
            page.click("#enrol-button")
            page.wait_for_selector("#enrol-result:has-text('Enrolled as')")
            assert _violations(page) == []  # the report form and the queue


def test_a_report_signed_offline_is_sent_when_the_browser_is_back_online(
    browser: Any, field_site: FieldSite, tmp_path: Path
) -> None:
    site = field_site
    with site.serve(), open_device(browser, site, tmp_path / "profile") as d:
        load(d.page, site)
        code = cli("field", "invite", "--home", site.home, "--team", site.team, "--member", "ola")
        d.page.fill("#enrol-code", code.strip())
        d.page.click("#enrol-button")
        d.page.wait_for_selector("#enrol-result:has-text('Enrolled as')")
        d.context.set_offline(True)
        d.page.wait_for_selector("#connection:has-text('Offline')")
        compose(d.page, "small_arms", 0, "", [])
        assert d.page.get_attribute("#reports li[data-seq='1']", "data-status") == "queued"
        # back online: sent with no button pressed (the `online` event, else the 15 s retry)
        d.context.set_offline(False)
        d.page.wait_for_selector("#reports li[data-seq='1'][data-status=logged]")
        assert d.page.text_content("#queue-count") == "0"


# The page's clock set 7 minutes slow, as a phone's may be: every Date in the page reads
# the real time minus the shift (injected before the app's scripts run); `setClockSlow`
# sets the clock again, as its owner might by hand.
SHIFT_MS = 420_000
LATER_SHIFT_MS = 3_600_000
SLOW_CLOCK = f"""(() => {{
  const Real = Date;
  let slow = {SHIFT_MS};
  globalThis.setClockSlow = (ms) => {{ slow = ms; }};
  class Slow extends Real {{
    constructor(...args) {{ if (args.length === 0) super(Real.now() - slow); else super(...args); }}
    static now() {{ return Real.now() - slow; }}
  }}
  globalThis.Date = Slow;
}})();"""


def test_a_slow_device_clock_is_measured_and_stated_in_each_report(
    browser: Any, field_site: FieldSite, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    site = field_site
    with site.serve(), open_device(browser, site, tmp_path / "profile") as d:
        d.page.add_init_script(SLOW_CLOCK)
        load(d.page, site)
        code = cli("field", "invite", "--home", site.home, "--team", site.team, "--member", "tim")
        d.page.fill("#enrol-code", code.strip())
        d.page.click("#enrol-button")
        d.page.wait_for_selector("#enrol-result:has-text('Enrolled as')")
        expect(d.page.locator("#clock")).to_contain_text("s behind the server")
        sensor = d.page.text_content("#device-status").split()[1].rstrip(",")
        compose(d.page, "launch", 0, "", [])
        row = d.page.locator("#reports li[data-seq='1'][data-status=logged]")
        expect(row).to_be_visible()
        # the server's check at arrival: the stated time is within its stated accuracy
        expect(row.locator("[data-check=clock]")).to_have_attribute("data-check-status", "ok")
        # the clock is set back another 53 minutes after the measurement: the page carries
        # the server's time on its monotonic clock, so the next report's time does not move
        d.page.evaluate(f"() => setClockSlow({LATER_SHIFT_MS})")
        compose(d.page, "launch", 1, "", [])
        second = d.page.locator("#reports li[data-seq='2'][data-status=logged]")
        expect(second.locator("[data-check=clock]")).to_have_attribute("data-check-status", "ok")

    reader = Home(site.home).reader()
    reports = [
        Observation.model_validate(got.payload)
        for index, entry in reader.scan()
        if isinstance(got := read(index, entry, (OBSERVATION_TYPE,)), Record)
        and got.payload["sensor"] == sensor
    ]
    assert [o.seq for o in reports] == [1, 2]
    for obs, shift_ms in zip(reports, (SHIFT_MS, LATER_SHIFT_MS), strict=True):
        clock = obs.attributes.clock
        assert clock is not None and clock.offset_s is not None and clock.accuracy_s is not None
        # the measured offset is the shift, within the accuracy the device stated for it
        assert abs(clock.offset_s - shift_ms / 1000) <= clock.accuracy_s + 0.001, clock
        assert clock.synced_at is not None
        # observed_at is on the server's time scale: the device's time plus the offset
        gap = (obs.observed_at - clock.device_time).total_seconds()
        assert abs(gap - clock.offset_s) < 0.002

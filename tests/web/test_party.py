"""The party view in Debian's chromium: a party loads its key file, the browser signs a
dispute and an acknowledgement, and the server logs them; `truceline fuse` then moves the
incident to inspection and `truceline incidents` shows it. The key never leaves the page:
it is imported non-extractable, and the only requests are to this server."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from truceline.codec import keys, records
from truceline.enforcement.records import ACK_TYPE
from truceline.observation import format_time

from .conftest import Site, Watched, cli, open_dashboard, watch


@pytest.fixture
def party_page(browser: Any, party_site: Site) -> Iterator[Watched]:
    yield from watch(browser, party_site.url)


def _verified_against(site: Site) -> dict[str, Any]:
    incidents = httpx.get(f"{site.url}/incidents").json()
    return next(i for i in incidents if i["state"] == "verified" and i["accused"])


def _load_key(page: Any, path: Path) -> str:
    page.set_input_files("#key-file", str(path))
    page.wait_for_selector("#key-status >> text=/Key loaded|none of/")
    return page.inner_text("#key-status")


def test_a_party_disputes_an_incident_against_it(
    party_page: Watched, party_site: Site, tmp_path: Path
) -> None:
    target = _verified_against(party_site)
    party = target["accused"]
    other = "west" if party == "east" else "east"
    page = open_dashboard(party_page, party_site.url, "#/party")
    page.select_option("#party-select", party)
    row = page.locator(f"#against-table tr[data-incident='{target['incident']}']")
    dispute = row.get_by_role("button", name=f"Dispute {target['incident']}")
    assert dispute.is_disabled()  # no key yet
    # The other party's key is not one of this party's: refused before anything is signed.
    status = _load_key(page, party_site.mission.signatory_key(other))
    assert f"none of {party}'s keys" in status and dispute.is_disabled()
    # The party's own key, as the base64 seed file the CLI also reads.
    seed_file = tmp_path / f"{party}.seed"
    key = keys.load_private_key(party_site.mission.signatory_key(party))
    seed_file.write_text(keys.private_key_b64(key) + "\n")
    status = _load_key(page, seed_file)
    assert f"key id {keys.key_id(key.public_key())}, one of {party}'s keys" in status
    assert page.evaluate("document.querySelector('#key-file').value") == ""
    dispute.click()
    assert page.evaluate("document.activeElement.id") == "dispute-reason"
    page.fill("#dispute-reason", "our guns were silent <script>alert(1)</script>")
    posted: list[Any] = []
    page.on("request", lambda r: posted.append(r) if r.method == "POST" else None)
    page.get_by_role("button", name=f"Sign and send the dispute of {target['incident']}").click()
    page.wait_for_selector("#act-status >> text=is on the log as entry")
    text = page.inner_text("#act-status")
    assert "it counts" in text, text
    [request] = posted
    assert request.url == f"{party_site.url}/enforcement/disputes"
    envelope = json.loads(request.post_data)
    assert list(envelope) == ["payload", "payloadType", "signatures"]
    payload = json.loads(base64.b64decode(envelope["payload"]))
    assert payload["incident"] == target["incident"] and payload["party"] == party
    # The logged entry is the bytes the browser sent, and it verifies in the browser.
    index = int(text.split("as entry ")[1].split(";")[0])
    logged = base64.b64decode(httpx.get(f"{party_site.url}/entries/{index}").json()["entry_base64"])
    assert logged == request.post_data_buffer
    page.get_by_role(
        "button", name=f"Verify your dispute of {target['incident']} (entry {index})"
    ).click()
    page.wait_for_selector("#act-status .verify-result[data-result]")
    assert page.get_attribute("#act-status .verify-result", "data-result") == "ok"
    # The adjudicator reads the dispute: the incident goes to inspection.
    cli("fuse", "--home", party_site.home)
    shown = json.loads(cli("incidents", "--home", party_site.home))["features"]
    after = next(
        f["properties"] for f in shown if f["properties"]["incident"] == target["incident"]
    )
    assert after["state"] == "inspection", after
    assert after["reason"].startswith(f"disputed by {party}: our guns were silent <script>")
    # The page's refresh shows the new state without taking the keyboard focus away.
    link = row.get_by_role("link", name=target["incident"])
    link.focus()
    page.evaluate("document.getElementById('refresh').click()")
    page.wait_for_selector(
        f"#against-table tr[data-incident='{target['incident']}'] >> text=inspection"
    )
    assert page.evaluate(
        "[document.activeElement.textContent, document.activeElement.closest('tr').dataset.incident]"
    ) == [target["incident"], target["incident"]]
    assert "Disputed" in row.inner_text()


def test_a_party_acknowledges_a_playbook_step(party_page: Watched, party_site: Site) -> None:
    steps = httpx.get(f"{party_site.url}/enforcement/playbooks").json()["steps"]
    step = next(s for s in steps if not s["acked_by"])
    party = step["to"][0]
    page = open_dashboard(party_page, party_site.url, "#/party")
    page.select_option("#party-select", party)
    _load_key(page, party_site.mission.signatory_key(party))  # the PKCS#8 PEM file
    page.locator(f"#steps-table tr[data-step='{step['key']}']").get_by_role("button").click()
    page.wait_for_selector("#act-status >> text=is on the log as entry")
    assert "it counts" in page.inner_text("#act-status")
    acked = json.loads(cli("playbooks", "--home", party_site.home))
    assert next(s for s in acked if s["key"] == step["key"])["acked_by"] == party
    page.wait_for_selector(
        f"#steps-table tr[data-step='{step['key']}'] >> text=Acknowledged by {party}",
        timeout=30_000,
    )


def _log_size(site: Site) -> int:
    """The size of the log as the server publishes it (its checkpoint's second line)."""
    return int(httpx.get(f"{site.url}/log/checkpoint").text.splitlines()[1])


def _dismiss(site: Site, incident: dict[str, Any], team: str = "patrol-mission-001") -> None:
    """Its accused disputes `incident`, an inspection team finds no breach (CLI): `fuse`
    dismisses it and `enforce` logs the withdrawal of its playbook steps."""
    ident, accused = incident["incident"], incident["accused"]
    key = site.mission.signatory_key(accused)
    cli("dispute", "--home", site.home, "--incident", ident, "--as", accused, "--key", key)
    cli("fuse", "--home", site.home)
    cli("enforce", "--home", site.home)  # schedules the inspection the dispute asks for
    lon, lat = incident["location"]
    finding = ["--finding", "dismissed", "--lon", str(lon), "--lat", str(lat)]
    team_key = site.mission.sim / "keys" / f"{team}.key"
    cli(
        "finding",
        "--home",
        site.home,
        "--as",
        team,
        "--key",
        team_key,
        "--incident",
        ident,
        *finding,
    )
    cli("fuse", "--home", site.home)
    cli("enforce", "--home", site.home)


def test_a_withdrawn_step_cannot_be_acknowledged(party_page: Watched, party_site: Site) -> None:
    """A step whose incident no longer stands (an inspection found no breach) is `void`:
    the party view shows why and no Acknowledge button, and the server refuses an
    acknowledgement signed all the same, naming the step and why (HTTP 422; nothing is
    logged). Fails on main: the row offered Acknowledge, and the server logged it."""
    steps = httpx.get(f"{party_site.url}/enforcement/playbooks").json()["steps"]
    shown = json.loads(cli("incidents", "--home", party_site.home))["features"]
    verified = {
        f["properties"]["incident"]: f["properties"] | {"location": f["geometry"]["coordinates"]}
        for f in shown
        if f["properties"]["state"] == "verified" and f["properties"]["accused"]
    }
    step = next(s for s in steps if not s["acked_by"] and s["incident"] in verified)
    party, incident = step["to"][0], step["incident"]
    _dismiss(party_site, verified[incident])
    steps = httpx.get(f"{party_site.url}/enforcement/playbooks").json()["steps"]
    now = next(s for s in steps if s["key"] == step["key"])
    assert now["status"] == "void" and now["withdrawn_why"].startswith(f"incident {incident} ")

    page = open_dashboard(party_page, party_site.url, "#/party")
    page.select_option("#party-select", party)
    _load_key(page, party_site.mission.signatory_key(party))
    row = page.locator(f"#steps-table tr[data-step='{step['key']}']")
    row.wait_for()
    assert row.locator("td").nth(2).inner_text() == "void"
    assert f"Withdrawn: {now['withdrawn_why']}" in row.inner_text()
    assert row.get_by_role("button").count() == 0
    # A standing step addressed to the party keeps its button.
    standing = next(s for s in steps if party in s["to"] and s["status"] in ("open", "escalated"))
    other = page.locator(f"#steps-table tr[data-step='{standing['key']}']")
    assert other.get_by_role("button", name=f"Acknowledge step {standing['key']}").is_enabled()

    # Signed and posted all the same (as a script could): refused, nothing logged.
    key = keys.load_private_key(party_site.mission.signatory_key(party))
    ack = {"step": step["key"], "by": party, "at": format_time(datetime.now(UTC))}
    entry = records.seal(ACK_TYPE, ack, key, keys.key_id(key.public_key()))
    size = _log_size(party_site)
    answer = httpx.post(f"{party_site.url}/enforcement/acknowledgements", content=entry)
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert detail.startswith(f"payload.step: {step['key']} is void, withdrawn at ")
    assert f"({now['withdrawn_why']}): a withdrawn step cannot be acknowledged" in detail
    assert _log_size(party_site) == size
    after = json.loads(cli("playbooks", "--home", party_site.home))
    assert next(s for s in after if s["key"] == step["key"])["acked_by"] is None

"""The party view in Debian's chromium: a party loads its key file, the browser signs a
dispute and an acknowledgement, and the server logs them; `truceline fuse` then moves the
incident to inspection and `truceline incidents` shows it. The key never leaves the page:
it is imported non-extractable, and the only requests are to this server."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from truceline.codec import keys

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

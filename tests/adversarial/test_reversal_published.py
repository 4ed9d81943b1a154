"""A verdict withdrawn by a back-dated revocation is withdrawn on every channel that told of it.

A party publicly accused and then cleared must see the clearing go out where the accusation
went. Through the CLI, with the real publication components: an incident is confirmed, its
warning case's countdown goes to a webhook subscriber (`truceline notify`, Standard Webhooks
to a receiver on 127.0.0.1) and its CAP alert is written (`truceline alert --all`). Then
every sensor it rests on is revoked from before it: the incident is dismissed, the case
voided, and the same subscriber gets the `case_void` of that case, although it subscribed
only to the accusing events; the CAP chain ends in a Cancel that `references` the alert it
withdraws (CAP 1.2 section 3.2.1), valid against the OASIS schema.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from lxml import etree
from tests.publication._receivers import SECRET, Receiver

from truceline.adjudication.service import recompute
from truceline.home import Home
from truceline.observation import format_time
from truceline.publication.webhooks import verify
from truceline.publication.xml import validate

from .conftest import FAR, Mission, Subscribe, cli, when
from .test_settled_revocation import _case_of, _revoke, _settled_after_dispute

CAP = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}


def _notify(m: Mission, config: Path) -> dict[str, Any]:
    """One pass of `truceline notify`: everything due is attempted."""
    return dict(json.loads(cli("notify", "--home", m.h, "--config", str(config))))


def _events_of(rx: Receiver, case: str) -> list[str]:
    """The events of `case` the receiver acknowledged, each signature checked."""
    out = []
    for got in rx.delivered():
        verify(got.headers, got.body, secret=SECRET)
        if got.event.get("subject") == case:
            out.append(str(got.event["event"]))
    return out


def _alerts(m: Mission, out: Path, incident: str, xsd: Path) -> list[etree._Element]:
    """The incident's CAP chain as `truceline alert --all` writes it, each schema-valid."""
    cli("alert", "--all", "--home", m.h, "--out", str(out))
    chain = []
    for path in sorted(out.glob("*.xml"), key=lambda p: int(p.stem)):
        doc = validate(path.read_bytes(), xsd)
        if doc.findtext("cap:incidents", namespaces=CAP) == incident:
            chain.append(doc)
    return chain


def _reference_of(doc: etree._Element) -> str:
    return ",".join(
        doc.findtext(f"cap:{k}", namespaces=CAP) or "" for k in ("sender", "identifier", "sent")
    )


def _revoke_all_behind(m: Mission, target: dict[str, Any]) -> None:
    """Every sensor behind the confirmed incident was compromised from before it: each is
    revoked back-dated and `fuse` re-judges the settled verdict (`Engine._reopen`),
    dismissing it."""
    observed = dict(recompute(Home(m.home)).view.observations)
    sensors = sorted({observed[i].sensor for i in target["evidence"] if i in observed})
    since = format_time(when(target["window"][0]) - timedelta(hours=1))
    for s in sensors:
        _revoke(m, s, since, "key captured")
    cli("fuse", "--home", m.h)
    assert m.incident(target["incident"])["state"] == "dismissed"


def test_a_withdrawn_verdict_is_withdrawn_where_it_was_published(
    mission: Mission, tmp_path: Path, subscribe: Subscribe, vectors: Path
) -> None:
    xsd = vectors / "cap12" / "schema" / "CAP-v1.2.xsd"
    # The accused's channel: it asked for the accusing events only.
    rx, config = subscribe("accused", ["countdown_started", "penalty_in_force"])
    target, _ = _settled_after_dispute(mission, tmp_path)
    incident = target["incident"]
    cli("enforce", "--home", mission.h, "--now", FAR)
    case = _case_of(mission, incident)
    assert case["status"] != "void"
    _notify(mission, config)
    accused_with = _events_of(rx, case["case"])
    assert "countdown_started" in accused_with
    before = _alerts(mission, tmp_path / "cap-before", incident, xsd)
    assert before[-1].findtext("cap:msgType", namespaces=CAP) in ("Alert", "Update")

    _revoke_all_behind(mission, target)
    cli("enforce", "--home", mission.h, "--now", FAR)
    assert _case_of(mission, incident)["status"] == "void"

    # (1) The webhook: the clearing reaches the channel that carried the accusation.
    _notify(mission, config)
    cleared = _events_of(rx, case["case"])
    assert cleared[: len(accused_with)] == accused_with
    assert cleared[len(accused_with) :] == ["case_void"]
    [void] = [g.event for g in rx.delivered() if g.event["event"] == "case_void"]
    assert (void["subject"], void["party"]) == (case["case"], target["accused"])

    # (2) CAP: the chain ends in a Cancel of the alert consumers hold, nothing lost.
    after = _alerts(mission, tmp_path / "cap-after", incident, xsd)
    assert [_reference_of(d) for d in after[: len(before)]] == [_reference_of(d) for d in before]
    cancel = after[-1]
    assert cancel.findtext("cap:msgType", namespaces=CAP) == "Cancel"
    assert cancel.findtext("cap:references", namespaces=CAP) == _reference_of(after[-2])
    assert cancel.findtext("cap:info/cap:responseType", namespaces=CAP) == "AllClear"
    assert "re-judged: sensor" in (
        cancel.findtext("cap:info/cap:description", namespaces=CAP) or ""
    )

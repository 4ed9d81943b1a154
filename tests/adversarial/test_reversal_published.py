"""A verdict withdrawn by a back-dated revocation is withdrawn on every channel that told of it.

A party publicly accused and then cleared must see the clearing go out where the accusation
went. Through the CLI, with the real publication components: an incident is confirmed, its
warning case's countdown goes to a webhook subscriber (`truceline notify`, Standard Webhooks
to a receiver on 127.0.0.1) and its CAP alert is written (`truceline alert --all`). Then
every sensor it rests on is revoked from before it: the incident is dismissed, the case
voided, and the same subscriber gets the `case_void` of that case, although it subscribed
only to the accusing events; the CAP chain ends in a Cancel that `references` the alert it
withdraws (CAP 1.2 section 3.2.1), valid against the OASIS schema. On the NATS feed
(`truceline feed`), the case's `case_void` is a CAP Cancel referencing the alerts of every
event of the case that went out (its `detail.withdraws`), the countdown and penalty the
accused was told of among them.
"""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

from lxml import etree
from nats.js.errors import NotFoundError
from tests.publication._receivers import SECRET, Receiver
from tests.publication.test_bus import NATS_URL, require_nats, run, stream_messages, unique_stream

from truceline.adjudication.service import recompute
from truceline.home import Home
from truceline.observation import format_time
from truceline.publication import bus
from truceline.publication.caplint import lint
from truceline.publication.webhooks import verify
from truceline.publication.xml import validate

from .conftest import FAR, Mission, Subscribe, cli, when
from .test_settled_revocation import (
    _case_of,
    _revoke,
    _settled_after_dispute,
    _verdicts_recomputed,
)

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


def _feed_alerts(m: Mission) -> list[etree._Element]:
    """The enforcement transitions' CAP alerts that `truceline feed` publishes."""
    name = unique_stream()

    async def read() -> list[tuple[str, bytes, dict[str, str]]]:
        nc = await bus.connect(require_nats())
        try:
            return await stream_messages(nc, name)
        finally:
            with suppress(NotFoundError):
                await nc.jsm().delete_stream(name)
            await nc.close()

    try:
        args = ["--home", m.h, "--nats", NATS_URL, "--stream", name]
        assert json.loads(cli("feed", *args))["published"] > 0
    finally:
        messages = run(read())
    return [
        etree.fromstring(data)
        for subject, data, _ in messages
        if ".enforcement." in subject and subject.endswith(".cap")
    ]


def _alert_of(alerts: list[etree._Element], key: str) -> etree._Element:
    [doc] = [
        d
        for d in alerts
        if (d.findtext("cap:identifier", namespaces=CAP) or "").endswith(f":enforcement:{key}")
    ]
    return doc


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

    # (3) The NATS feed: the case's withdrawal is a Cancel of the alerts of the case's
    # transitions that went out, each one the accused was told of among them.
    withdrawn = {w["key"]: when(w["at"]) for w in void["detail"]["withdraws"]}
    accused = {
        g.event["key"]: when(g.event["at"])
        for g in rx.delivered()
        if g.event["subject"] == case["case"] and g.event["event"] != "case_void"
    }
    assert len(accused) == len(accused_with) and accused.items() <= withdrawn.items()
    alerts = _feed_alerts(mission)
    case_cancel = _alert_of(alerts, void["key"])
    for doc in (case_cancel, *(_alert_of(alerts, key) for key in withdrawn)):
        validate(etree.tostring(doc), xsd)
        assert lint(doc) == []
    assert case_cancel.findtext("cap:msgType", namespaces=CAP) == "Cancel"
    assert case_cancel.findtext("cap:info/cap:responseType", namespaces=CAP) == "AllClear"
    refs = (case_cancel.findtext("cap:references", namespaces=CAP) or "").split()
    assert refs == [_reference_of(_alert_of(alerts, key)) for key in withdrawn]
    # What was logged is what the log implies: a second pass adds nothing, and every
    # verdict replays.
    assert json.loads(cli("enforce", "--home", mission.h, "--now", FAR))["appended"] == 0
    _verdicts_recomputed(mission)

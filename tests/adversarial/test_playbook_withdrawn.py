"""Playbook steps of a verdict withdrawn by a back-dated revocation are withdrawn where they went.

Through the CLI, with the real publication components: an incident is disputed, inspected
and confirmed; `enforce` issues its playbook steps, and `truceline notify` delivers them to
a subscriber of `playbook_step` only (Standard Webhooks to a receiver on 127.0.0.1). Then
every sensor it rests on is revoked from before it, `fuse` re-judges the settled verdict
(`Engine._reopen`) and dismisses it, and `enforce` logs a `playbook_void` for each step:
the same subscriber gets each one, naming the step and what it withdraws; the NATS feed
(`truceline feed`) carries each as a CAP Cancel referencing the step's own alert. What was
logged is what the log implies: `playbooks` recomputes the withdrawals, a second `enforce`
adds nothing, and `replay` recomputes every verdict.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lxml import etree
from tests.publication._receivers import SECRET, Receiver

from truceline.publication.caplint import lint
from truceline.publication.webhooks import verify
from truceline.publication.xml import validate

from .conftest import FAR, Mission, Subscribe, cli, when
from .test_reversal_published import (
    CAP,
    _alert_of,
    _feed_alerts,
    _notify,
    _reference_of,
    _revoke_all_behind,
)
from .test_settled_revocation import _settled_after_dispute, _verdicts_recomputed


def _steps_of(m: Mission, incident: str) -> dict[str, dict[str, Any]]:
    """The incident's playbook steps as `truceline playbooks` recomputes them, by key."""
    steps = json.loads(cli("playbooks", "--home", m.h, "--now", FAR))
    return {s["key"]: s for s in steps if s["incident"] == incident}


def _told(rx: Receiver, steps: dict[str, Any]) -> list[dict[str, Any]]:
    """The transitions of `steps` the receiver acknowledged, each signature checked."""
    out = []
    for got in rx.delivered():
        verify(got.headers, got.body, secret=SECRET)
        if got.event.get("subject") in steps:
            out.append(got.event)
    return out


def test_a_withdrawn_verdict_withdraws_its_playbook_steps_where_they_went(
    mission: Mission, tmp_path: Path, subscribe: Subscribe, vectors: Path
) -> None:
    xsd = vectors / "cap12" / "schema" / "CAP-v1.2.xsd"
    # Those called on to act: they asked for the steps only.
    rx, config = subscribe("responders", ["playbook_step"])
    target, _ = _settled_after_dispute(mission, tmp_path)
    incident = target["incident"]
    cli("enforce", "--home", mission.h, "--now", FAR)
    steps = _steps_of(mission, incident)
    assert steps and all(s["status"] != "void" for s in steps.values())
    _notify(mission, config)
    issued = _told(rx, steps)
    assert sorted((e["event"], e["subject"]) for e in issued) == [
        ("playbook_step", key) for key in sorted(steps)
    ]

    _revoke_all_behind(mission, target)
    assert json.loads(cli("enforce", "--home", mission.h, "--now", FAR))["appended"] >= len(steps)

    # (1) The webhook: each step's withdrawal reaches the channel that carried the step.
    _notify(mission, config)
    told = _told(rx, steps)
    assert told[: len(issued)] == issued
    voids = {e["subject"]: e for e in told[len(issued) :]}
    assert [e["event"] for e in told[len(issued) :]] == ["playbook_void"] * len(steps)
    assert sorted(voids) == sorted(steps)
    for key, void in voids.items():
        assert void["key"] == f"{key}:void"
        assert void["detail"]["reason"] == f"incident {incident} dismissed"
        assert void["detail"]["withdraws"][0]["key"] == key
        assert when(void["detail"]["withdraws"][0]["at"]) == when(steps[key]["issued_at"])

    # (2) The log implies exactly that: recomputed from it, each step is void at the time
    # its withdrawal was logged; a second pass adds nothing; every verdict replays.
    again = _steps_of(mission, incident)
    assert {k: (s["status"], when(s["withdrawn_at"])) for k, s in again.items()} == {
        k: ("void", when(v["at"])) for k, v in voids.items()
    }
    assert json.loads(cli("enforce", "--home", mission.h, "--now", FAR))["appended"] == 0
    _verdicts_recomputed(mission)

    # (3) The feed: each withdrawal's CAP is a Cancel of the step's own alert.
    alerts = _feed_alerts(mission)
    for key in steps:
        step_alert, cancel = _alert_of(alerts, key), _alert_of(alerts, f"{key}:void")
        for doc in (step_alert, cancel):
            validate(etree.tostring(doc), xsd)
            assert lint(doc) == []
        assert cancel.findtext("cap:msgType", namespaces=CAP) == "Cancel"
        assert cancel.findtext("cap:info/cap:responseType", namespaces=CAP) == "AllClear"
        refs = (cancel.findtext("cap:references", namespaces=CAP) or "").split()
        assert refs[0] == _reference_of(step_alert)

"""What adjudication reads from the ledger, folded in one pass in log order.

* the agreement versions and the registry (`truceline.authority`): who may write what;
* observations (OBSERVATION_TYPE) whose signer may write them, with a key live at their
  `observed_at` (verified here: a reader trusts the log, not whoever appended to it);
* disputes (DISPUTE_TYPE) signed by the disputing party's key;
* revocations the registry applied, of a sensor or of one key (a back-dated one taints
  reports already logged: adjudication re-judges their incidents at its index);
* incident transitions already logged (INCIDENT_TYPE), by an adjudicator, for replay.

Anything malformed or unauthorized is skipped and listed in `problems` with its index;
`truceline replay` names each one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from pydantic import ValidationError

from truceline.adjudication.verdict import (
    DISPUTE_TYPE,
    INCIDENT_TYPE,
    AgreementRef,
    Dispute,
    IncidentTransition,
)
from truceline.agreement.model import Agreement
from truceline.agreement.versions import AgreementHistory, payload_sha256
from truceline.authority import Authority
from truceline.codec import dsse
from truceline.codec.entries import Malformed, read
from truceline.fusion.base import SensorInfo
from truceline.observation import OBSERVATION_TYPE, Observation
from truceline.registry.state import Registry

TYPES = frozenset({OBSERVATION_TYPE, INCIDENT_TYPE, DISPUTE_TYPE})


class Revocation(NamedTuple):
    """A revocation as the engine takes it (`Engine.revoke(*revocation)`): the sensor's
    reports dated in [since, until) (unix times, event time) no longer count."""

    entry: int  # its ledger index (`index` would shadow tuple.index)
    sensor: str
    since: float
    reason: str
    until: float = math.inf
    key: str = ""  # the key revoked, if only one


@dataclass
class LogView:
    authority: Authority = field(default_factory=Authority)
    size: int = 0
    observations: list[tuple[int, Observation]] = field(default_factory=list)
    disputes: list[tuple[int, Dispute, dsse.Envelope]] = field(default_factory=list)
    transitions: list[tuple[int, IncidentTransition, bytes]] = field(default_factory=list)
    revocations: list[Revocation] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def registry(self) -> Registry:
        return self.authority.registry

    @property
    def history(self) -> AgreementHistory:
        return self.authority.history

    def sensors(self) -> dict[str, SensorInfo]:
        return {
            sid: SensorInfo(st.kind.value, st.operator) for sid, st in self.registry.sensors.items()
        }

    def agreement(self, fallback: Agreement | None = None) -> tuple[Agreement, AgreementRef]:
        """The version verdicts use: the newest complete one in the log, else the first the
        log holds (the genesis, before every party signed it), else `fallback`."""
        latest = self.history.latest() or self.history.first()
        if latest is not None:
            agr, sha = latest.agreement, latest.sha256
        elif fallback is not None:
            agr, sha = fallback, payload_sha256(fallback)
        else:
            raise ValueError("agreement: the log holds no agreement version and none was given")
        return agr, AgreementRef(id=agr.id, version=agr.version, sha256=sha)


def read_view(entries: Iterable[tuple[int, bytes]], fallback: Agreement | None = None) -> LogView:
    view = LogView(authority=Authority(fallback))
    authority = view.authority
    for index, entry in entries:
        view.size = index + 1
        if authority.apply(index, entry):
            view.revocations.extend(new_revocations(view.registry, len(view.revocations)))
        got = read(index, entry, TYPES)
        if got is None:
            continue
        if isinstance(got, Malformed):
            view.problems.append((index, f"{got.payload_type} entry ignored: {got.reason}"))
            continue
        try:
            if got.payload_type == OBSERVATION_TYPE:
                obs = Observation.model_validate(got.payload)
                refusal = authority.check_observation(index, obs, got.envelope)
                if refusal is None:
                    view.observations.append((index, obs))
                else:
                    view.problems.append((index, f"observation ignored: {refusal.reason}"))
            elif got.payload_type == INCIDENT_TYPE:
                t = IncidentTransition.model_validate(got.payload)
                signer = authority.check_mission(got)
                if isinstance(signer, str):
                    view.transitions.append((index, t, entry))
                else:
                    view.problems.append((index, f"incident transition ignored: {signer.reason}"))
            else:
                d = Dispute.model_validate(got.payload)
                refusal = authority.check_signatory(got, d.party, d.at)
                if refusal is None:
                    view.disputes.append((index, d, got.envelope))
                else:
                    view.problems.append((index, f"dispute ignored: {refusal.reason}"))
        except ValidationError as exc:
            view.problems.append((index, f"{got.payload_type} entry ignored: {str(exc)[:200]}"))
    return view


def new_revocations(registry: Registry, seen: int) -> list[Revocation]:
    """The registry's revocations after the first `seen`."""
    return [
        Revocation(
            r.entry,
            r.sensor,
            r.since.timestamp(),
            r.reason,
            r.until.timestamp() if r.until is not None else math.inf,
            r.keyid or "",
        )
        for r in registry.revocations[seen:]
    ]

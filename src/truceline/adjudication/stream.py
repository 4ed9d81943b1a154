"""Streaming adjudication: one ledger entry at a time, the same verdicts as the batch.

The stream feeds the same `Engine` as the batch, in the same (ledger) order;
only the association's candidate search differs (a grid over the recent
window instead of a k-d tree over everything), and it finds the same links
by construction (see `fusion.associate`). Entries are read as they are
appended; each transition is sealed and appended at once, so the latency
from a corroborating observation's acceptance to the verified verdict in the
ledger is one fusion step and one append.

The agreement version is fixed when the stream starts (a new version needs a
restart, which replays the log); the registry is folded as entries arrive, so
a sensor counts from the entry after its registration, as in the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from truceline.adjudication.lifecycle import Engine, association_points, rows_of
from truceline.adjudication.logview import dispute_is_signed
from truceline.adjudication.verdict import (
    DISPUTE_TYPE,
    AgreementRef,
    Dispute,
    IncidentTransition,
)
from truceline.agreement.model import Agreement
from truceline.codec import records
from truceline.codec.errors import CodecError
from truceline.fusion.associate import StreamIndex
from truceline.fusion.base import SensorInfo, build_table
from truceline.ledger.base import Ledger
from truceline.observation import OBSERVATION_TYPE, Observation
from truceline.registry.state import Registry

_OBS = b'"payloadType":"' + OBSERVATION_TYPE.encode() + b'"'
_DISPUTE = b'"payloadType":"' + DISPUTE_TYPE.encode() + b'"'


class StreamAdjudicator:
    def __init__(
        self,
        agreement: Agreement,
        agreement_ref: AgreementRef,
        mission_keys: Mapping[str, Ed25519PublicKey],
    ) -> None:
        self.engine = Engine(agreement, agreement_ref)
        self.agreement = agreement
        self.index = StreamIndex(self.engine.gate)
        self.registry = Registry(mission_keys)
        self.size = 0  # entries consumed
        self.triggers: list[int] = []

    def _sensor(self, sensor_id: str, before: int) -> SensorInfo | None:
        st = self.registry.sensors.get(sensor_id)
        if st is None or st.registered_index >= before:
            return None
        return SensorInfo(st.kind.value, st.operator)

    def feed(self, index: int, entry: bytes) -> list[IncidentTransition]:
        """Consume ledger entry `index` (entries must come in order, each once)."""
        if index != self.size:
            raise ValueError(f"entry {index}: expected entry {self.size} next (log order)")
        self.size = index + 1
        out = self._feed(index, entry)
        self.triggers.extend([index] * len(out))
        return out

    def _feed(self, index: int, entry: bytes) -> list[IncidentTransition]:
        if self.registry.apply(index, entry):
            return []
        if _OBS in entry:
            try:
                payload_type, obj, _ = records.open_record(entry)
                if payload_type != OBSERVATION_TYPE:
                    return []
                obs = Observation.model_validate(obj)
            except (CodecError, ValidationError):
                return []
            info = self._sensor(obs.sensor, index)
            if info is None:
                return []
            return self.observe(index, obs, info)
        if _DISPUTE in entry:
            try:
                payload_type, obj, envelope = records.open_record(entry)
                if payload_type != DISPUTE_TYPE:
                    return []
                dispute = Dispute.model_validate(obj)
            except (CodecError, ValidationError):
                return []
            if not dispute_is_signed(dispute, envelope, self.agreement):
                return []
            return self.engine.dispute(index, dispute.incident, dispute.party, dispute.reason)
        return []

    def observe(self, index: int, obs: Observation, info: SensorInfo) -> list[IncidentTransition]:
        """One observation (already known to be logged at `index` by a registered sensor)."""
        table = build_table([(index, obs)], {obs.sensor: info}, self.engine.frame)
        row = rows_of(table, self.engine.frame)[0]
        r = len(self.engine.rows)
        # The row's association points, exactly as the batch's `side_points` builds them.
        points = sorted(association_points(row).items())
        candidates = self.index.candidates(r, row.t, points)
        return self.engine.add(row, candidates)

    def follow(
        self,
        ledger: Ledger,
        seal: Callable[[IncidentTransition], bytes],
    ) -> int:
        """Consume every entry appended since the last call; append the transitions. Returns
        how many transitions were appended."""
        appended = 0
        for index, entry in ledger.scan(self.size):
            if index < self.size:
                continue
            out = self.feed(index, entry)
            if out:
                ledger.append([seal(rec) for rec in out])
                appended += len(out)
        return appended

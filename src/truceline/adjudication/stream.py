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

from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice

from pydantic import ValidationError

from truceline.adjudication.lifecycle import Engine
from truceline.adjudication.logview import Revocation, new_revocations
from truceline.adjudication.verdict import (
    DISPUTE_TYPE,
    AgreementRef,
    Dispute,
    IncidentTransition,
)
from truceline.agreement.model import Agreement
from truceline.authority import Authority
from truceline.codec.entries import Record, read
from truceline.fusion.associate import StreamIndex
from truceline.fusion.base import SensorInfo, build_table
from truceline.fusion.points import row_points
from truceline.fusion.rows import rows_of
from truceline.ledger.base import Ledger
from truceline.observation import OBSERVATION_TYPE, Observation

# Entries fused per step of `follow`; their transitions go to the ledger as soon as the
# writer is free. 128 costs no more CPU per entry than 512 (2.4 vs 2.6 s for the 24,547
# entries of a bench_enforcement log) and lets a transition out sooner in a long call.
FOLLOW_CHUNK = 128

_TYPES = frozenset({OBSERVATION_TYPE, DISPUTE_TYPE})


class StreamAdjudicator:
    def __init__(
        self,
        agreement: Agreement,
        agreement_ref: AgreementRef,
    ) -> None:
        self.engine = Engine(agreement, agreement_ref)
        self.agreement = agreement
        self.index = StreamIndex(self.engine.gate)
        # Who may write what, folded as entries arrive (the agreement given stands in
        # while the log holds none).
        self.authority = Authority(agreement)
        self.size = 0  # entries consumed
        self._revocations = 0  # the registry's revocations already fed to the engine
        self.triggers: list[int] = []

    def feed(self, index: int, entry: bytes) -> list[IncidentTransition]:
        """Consume ledger entry `index` (entries must come in order, each once)."""
        return self.feed_many([(index, entry)])

    def feed_many(self, entries: Iterable[tuple[int, bytes]]) -> list[IncidentTransition]:
        """Consume consecutive ledger entries (in order, each once); their transitions.

        Two passes with the same result as one entry at a time: first every entry is
        read (registry folded, records opened and checked), then the observations are
        projected together (one call into PROJ for the lot) and fed to the engine in
        ledger order, disputes in their places. The engine never changes the registry,
        so reading ahead cannot change a verdict."""
        items: list[tuple[int, Observation | Dispute | Revocation, SensorInfo | None]] = []
        for index, entry in entries:
            if index != self.size:
                raise ValueError(f"entry {index}: expected entry {self.size} next (log order)")
            self.size = index + 1
            item = self._read(index, entry)
            if item is not None:
                items.append(item)
        out: list[IncidentTransition] = []
        k = 0
        while k < len(items):
            # A run of observations goes through one table; a sensor whose (kind, operator)
            # changed within the run starts a new one.
            infos: dict[str, SensorInfo] = {}
            run: list[tuple[int, Observation]] = []
            while k < len(items):
                index, record, info = items[k]
                if not isinstance(record, Observation) or info is None:
                    break
                if infos.setdefault(record.sensor, info) != info:
                    break
                run.append((index, record))
                k += 1
            if run:
                out.extend(self.observe_many(run, infos))
                continue
            index, record, _ = items[k]
            k += 1
            if isinstance(record, Revocation):
                found = self.engine.revoke(*record)
            else:
                assert isinstance(record, Dispute)
                found = self.engine.dispute(index, record.incident, record.party, record.reason)
            self.triggers.extend([index] * len(found))
            out.extend(found)
        return out

    def _read(
        self, index: int, entry: bytes
    ) -> tuple[int, Observation | Dispute | Revocation, SensorInfo | None] | None:
        """The entry as something the engine takes, if well formed and authorized (what is
        not is in `authority.refused`, as the batch's view lists it)."""
        if self.authority.apply(index, entry):
            revoked = new_revocations(self.authority.registry, self._revocations)
            self._revocations += len(revoked)
            return (index, revoked[0], None) if revoked else None
        got = read(index, entry, _TYPES)
        if not isinstance(got, Record):
            return None
        try:
            if got.payload_type == OBSERVATION_TYPE:
                obs = Observation.model_validate(got.payload)
                if self.authority.check_observation(index, obs, got.envelope) is not None:
                    return None
                st = self.authority.registry.sensors[obs.sensor]
                return index, obs, SensorInfo(st.kind.value, st.operator)
            dispute = Dispute.model_validate(got.payload)
        except ValidationError:
            return None
        if self.authority.check_signatory(got, dispute.party, dispute.at) is not None:
            return None
        return index, dispute, None

    def observe_many(
        self, run: list[tuple[int, Observation]], infos: Mapping[str, SensorInfo]
    ) -> list[IncidentTransition]:
        table = build_table(run, infos, self.engine.frame)
        rows = rows_of(table, self.engine.frame)
        # The rows' association points, exactly as the batch's `side_points` builds them;
        # candidates depend on points and times only, so the whole run is searched at once.
        links = self.index.candidates_many(
            len(self.engine.rows),
            [(row.t, sorted(row_points(row).items())) for row in rows],
        )
        out: list[IncidentTransition] = []
        for row, candidates in zip(rows, links, strict=True):
            found = self.engine.add(row, candidates)
            self.triggers.extend([row.leaf] * len(found))
            out.extend(found)
        return out

    def observe(self, index: int, obs: Observation, info: SensorInfo) -> list[IncidentTransition]:
        """One observation (already known to be logged at `index` by a registered sensor;
        the caller keeps `size`, as when feeding the engine beside another reader)."""
        return self.observe_many([(index, obs)], {obs.sensor: info})

    def follow(
        self,
        ledger: Ledger,
        seal: Callable[[IncidentTransition], bytes],
        chunk: int = FOLLOW_CHUNK,
    ) -> int:
        """Consume every entry appended since the last call; append the transitions.
        Returns how many transitions were appended (all durable when it returns).

        The entries are fused `chunk` at a time. A writer thread appends the sealed
        transitions by group commit: whenever it is free it takes all those waiting, in
        one call (one fsync), while fusion goes on. So a transition waits for at most one
        append in flight and its own, never for the rest of the call's entries, and a
        slow fsync grows the next append instead of stalling fusion. One writer, in
        order: the log holds the transitions in emission order, each after its cause."""
        appended = 0
        pending: Future[list[int]] | None = None
        waiting: list[bytes] = []
        entries: Iterator[tuple[int, bytes]] = (
            (i, e) for i, e in ledger.scan(self.size) if i >= self.size
        )
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="verdicts") as writer:
            while block := list(islice(entries, chunk)):
                out = self.feed_many(block)
                waiting.extend(seal(rec) for rec in out)
                appended += len(out)
                if waiting and (pending is None or pending.done()):
                    if pending is not None:
                        pending.result()  # raise its error here, not later
                    pending, waiting = writer.submit(ledger.append, waiting), []
            if pending is not None:
                pending.result()
            if waiting:
                ledger.append(waiting)
        return appended

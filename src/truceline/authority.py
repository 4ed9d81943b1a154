"""Who may sign what: the one authority table, and the fold that applies it to the log.

The chain an outsider checks, from the public log alone:

    agreement (entry 0, then complete amendments)
      -> its registrars' keys (`principals.registrars`, default the mission signatory)
      -> registry records signed by them: every other key, with its principal id, kind,
         operator (and team), introduced on the log before it signs anything
      -> each record, signed by a principal whose role may write it (`WRITERS`).

Parties and guarantors sign their own acts (votes, disputes, notifications, requests,
acknowledgements, endorsements) with the keys the agreement lists for them, rotated or
revoked through registry records of kind `signatory` under their own id.

Every reader (ingest, adjudication, enforcement, publication, replay, audit) applies this
module and nothing else, so a record a signer had no right to write is ignored by all of
them the same way, and `truceline replay` names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from truceline.adjudication.verdict import DISPUTE_TYPE, INCIDENT_TYPE
from truceline.agreement.model import AGREEMENT_TYPE, Agreement
from truceline.agreement.versions import AGREEMENT_SIGNATURE_TYPE, AgreementHistory, Version
from truceline.codec import dsse, ed25519
from truceline.codec.entries import Record, payload_type, read
from truceline.codec.keys import KeyFileError, public_key_from_b64
from truceline.corridors.record import FORECAST_TYPE
from truceline.enforcement.records import (
    ACK_TYPE,
    ENFORCEMENT_TYPE,
    EXTENSION_TYPE,
    INSPECTION_REQUEST_TYPE,
    NOTIFICATION_TYPE,
    VOTE_TYPE,
    EnforcementEvent,
    EventKind,
)
from truceline.ledger.base import Ledger
from truceline.ledger.fold import LedgerFold
from truceline.observation import OBSERVATION_TYPE, Kind, Observation, format_time
from truceline.registry.model import SENSOR_TYPE, SensorKind
from truceline.registry.state import Registry, SensorState
from truceline.report.record import REPORT_TYPE


class Role(StrEnum):
    registrar = "registrar"  # introduces, rotates and revokes every other key
    signatory = "signatory"  # a party's or guarantor's own acts
    sensor = "sensor"  # observations of what it detected
    import_gateway = "import_gateway"  # observations imported from a source file, for an uploader
    importer = "importer"  # uploads source files over HTTP; signs no record itself
    inspection_team = "inspection_team"  # inspection findings (neutral observer teams)
    adjudicator = "adjudicator"  # incident transitions
    enforcement = "enforcement"  # enforcement transitions
    publisher = "publisher"  # the record of a published report (its hash)


# The authority table: which roles may sign a record of each payload type.
WRITERS: Mapping[str, frozenset[Role]] = {
    AGREEMENT_TYPE: frozenset({Role.registrar, Role.signatory}),
    AGREEMENT_SIGNATURE_TYPE: frozenset({Role.signatory, Role.registrar}),
    SENSOR_TYPE: frozenset({Role.registrar}),
    OBSERVATION_TYPE: frozenset({Role.sensor, Role.import_gateway, Role.inspection_team}),
    INCIDENT_TYPE: frozenset({Role.adjudicator}),
    ENFORCEMENT_TYPE: frozenset({Role.enforcement}),
    DISPUTE_TYPE: frozenset({Role.signatory}),
    VOTE_TYPE: frozenset({Role.signatory}),
    NOTIFICATION_TYPE: frozenset({Role.signatory}),
    INSPECTION_REQUEST_TYPE: frozenset({Role.signatory}),
    ACK_TYPE: frozenset({Role.signatory}),
    EXTENSION_TYPE: frozenset({Role.signatory}),
    REPORT_TYPE: frozenset({Role.publisher}),
    FORECAST_TYPE: frozenset({Role.publisher}),
}
# Observation kinds with a narrower set of writers than observations in general.
KIND_WRITERS: Mapping[Kind, frozenset[Role]] = {
    Kind.inspection_report: frozenset({Role.inspection_team}),
}

# Registry kinds of principals that observe (sensors, patrols, teams, third parties).
OBSERVING_KINDS = frozenset(SensorKind) - {
    SensorKind.import_gateway,
    SensorKind.importer,
    SensorKind.adjudicator,
    SensorKind.enforcement,
    SensorKind.publisher,
    SensorKind.signatory,
}
# The kind of principal each mission role is registered as, and where the agreement names it.
_MISSION_ROLES: Mapping[SensorKind, tuple[Role, str]] = {
    SensorKind.adjudicator: (Role.adjudicator, "adjudicators"),
    SensorKind.enforcement: (Role.enforcement, "enforcers"),
    SensorKind.publisher: (Role.publisher, "publishers"),
    SensorKind.import_gateway: (Role.import_gateway, "import_gateways"),
}


def roles_of(principal: SensorState, agreement: Agreement | None) -> frozenset[Role]:
    """The roles a registered principal holds under `agreement` (with none known: a
    bare log, in library use, where only observing principals and gateways have one)."""
    sensor = principal.sensor
    if agreement is None:
        if sensor.kind is SensorKind.import_gateway:
            return frozenset({Role.import_gateway})
        return frozenset({Role.sensor}) if sensor.kind in OBSERVING_KINDS else frozenset()
    parties, known, teams = _ids(agreement)
    neutral = sensor.operator not in parties
    if sensor.kind in _MISSION_ROLES:
        role, listed = _MISSION_ROLES[sensor.kind]
        named = sensor.id in getattr(agreement.principals, listed)
        return frozenset({role}) if named and neutral else frozenset()
    if sensor.kind is SensorKind.importer:
        return frozenset({Role.importer}) if sensor.operator in known else frozenset()
    if sensor.kind is SensorKind.signatory:
        ok = sensor.id in known and sensor.operator == sensor.id
        return frozenset({Role.signatory}) if ok else frozenset()
    roles = {Role.sensor}
    if (
        neutral
        and sensor.kind is SensorKind.observer_patrol
        and (sensor.id in teams or (sensor.team is not None and sensor.team in teams))
    ):
        roles.add(Role.inspection_team)
    return frozenset(roles)


# id(agreement) -> (the agreement, its party ids, signatory ids, team ids). Asked of every
# record a reader checks; an agreement is immutable, and holding it keeps its id unique.
_IDS: dict[int, tuple[Agreement, frozenset[str], frozenset[str], frozenset[str]]] = {}


def _ids(agreement: Agreement) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    hit = _IDS.get(id(agreement))
    if hit is None or hit[0] is not agreement:
        if len(_IDS) >= 64:
            _IDS.clear()
        hit = _IDS[id(agreement)] = (
            agreement,
            frozenset(p.id for p in agreement.parties),
            frozenset(s.id for s in agreement.signatories),
            frozenset(t.id for t in agreement.inspections.teams),
        )
    return hit[1], hit[2], hit[3]


def team_of(principal: SensorState) -> str:
    """The observer team a principal reports for: its own id, or the team it belongs to."""
    return principal.sensor.team or principal.sensor.id


@dataclass(frozen=True)
class Refusal:
    """A record the authority table does not let its signer write, and why."""

    index: int
    payload_type: str
    reason: str
    code: str = "unauthorized"  # or bad_signature, unknown_key, malformed

    def __str__(self) -> str:
        return f"entry {self.index} ({self.payload_type or 'not a record'}): {self.reason}"


def _key(text: str) -> Ed25519PublicKey | None:
    try:
        return public_key_from_b64(text)
    except KeyFileError:
        return None


@dataclass(frozen=True)
class KeyBook:
    """The signatories' keys: those the agreement lists, and rotations in the registry.

    A signatory's act counts only if one of its keys, live at the time the act claims,
    signed it. Revocations come from the registry (kind `signatory`, registered under the
    signatory's own id), or from an explicit list."""

    owners: Mapping[str, str]  # keyid -> signatory id
    public: Mapping[str, Ed25519PublicKey]
    revoked_at: Mapping[str, datetime] = field(default_factory=dict)
    registry: Registry | None = None

    @classmethod
    def from_agreement(
        cls,
        agreement: Agreement,
        revoked: Iterable[tuple[str, datetime]] = (),
        registry: Registry | None = None,
    ) -> KeyBook:
        owners: dict[str, str] = {}
        public: dict[str, Ed25519PublicKey] = {}
        for signatory in agreement.signatories:
            for k in signatory.keys:
                pub = _key(k.public_key)
                if pub is not None:
                    owners[k.keyid] = signatory.id
                    public[k.keyid] = pub
        if registry is not None:  # keys added by rotation in the registry
            for signatory in agreement.signatories:
                state = registry.get(signatory.id)
                if state is None or state.kind is not SensorKind.signatory:
                    continue
                for period in state.keys:
                    owners.setdefault(period.keyid, signatory.id)
                    public.setdefault(period.keyid, period.public_key)
        return cls(owners=owners, public=public, revoked_at=dict(revoked), registry=registry)

    def check(self, keyid: str, message: bytes, sig: bytes, at: datetime) -> str:
        """The owner of `keyid` if `sig` verifies and the key was live at `at`; else ValueError."""
        owner = self.owners.get(keyid)
        if owner is None:
            raise ValueError(f"unknown key {keyid!r}")
        revoked = self.revoked_at.get(keyid)
        if revoked is not None and revoked <= at:
            raise ValueError(f"key {keyid!r} revoked at {revoked.isoformat()}")
        state = self.registry.get(owner) if self.registry is not None else None
        if state is not None and state.kind is SensorKind.signatory:
            assert self.registry is not None
            status = self.registry.key_status(owner, keyid, at)
            if not status.ok:
                raise ValueError(status.reason)
        if not ed25519.verify(dsse.raw_key(self.public[keyid]), sig, message):
            raise ValueError(f"bad signature by key {keyid!r}")
        return owner

    def signed_by(self, envelope: dsse.Envelope, signatory: str, at: datetime) -> str | None:
        """None if a live key of `signatory` signed `envelope`; else the reason it did not."""
        message = dsse.pae(envelope.payload_type, envelope.payload)
        reasons = []
        for s in envelope.signatures:
            if self.owners.get(s.keyid) != signatory:
                reasons.append(f"key {s.keyid!r} is not a key of {signatory!r}")
                continue
            try:
                self.check(s.keyid, message, s.sig, at)
            except ValueError as exc:
                reasons.append(str(exc))
                continue
            return None
        return "; ".join(reasons) or "no signature"


@dataclass
class Authority(LedgerFold):
    """The agreement versions and the registry, folded in log order, and the table applied.

    Feed every entry in log order (`apply` or `catch_up`); then `check` any record at the
    position reached: the answer depends on what the log held before it, and nothing else.
    `fallback` is the agreement to use while the log holds none (library callers that
    build a log without one); a mission home's log always starts with its agreement."""

    fallback: Agreement | None = None
    history: AgreementHistory = field(default_factory=AgreementHistory)
    registrar_keys: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    registry: Registry = field(init=False)
    refused: list[Refusal] = field(default_factory=list)
    # The inspections enforcement scheduled, by inspection id and by incident id: an
    # inspection finding counts only within one of them (opened_at, due_by).
    windows: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    size: int = 0
    _current: Agreement | None = field(default=None, repr=False)
    _book: tuple[Agreement, Registry, KeyBook] | None = field(default=None, repr=False)
    _vouched: set[dsse.Envelope] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        # The registry verifies its records with this dict, kept up to date in place.
        self.registry = Registry(self.registrar_keys)
        if self.fallback is not None:
            self._add_registrars(self.fallback)

    # --- folding ---------------------------------------------------------------------

    def apply(self, index: int, entry: bytes) -> bool:
        """Fold the agreement and registry records; True if either changed."""
        self.size = max(self.size, index + 1)
        before = len(self.history.versions), self._completed()
        changed = self.history.apply(index, entry)
        if changed or (len(self.history.versions), self._completed()) != before:
            self._refresh_registrars()
            latest = self.history.latest() or self.history.first()
            self._current = latest.agreement if latest is not None else None
        if payload_type(entry) == ENFORCEMENT_TYPE:
            return self._schedule(index, entry) or changed
        return self.registry.apply(index, entry) or changed

    def _schedule(self, index: int, entry: bytes) -> bool:
        """An inspection an enforcement principal scheduled: its window opens."""
        got = read(index, entry, (ENFORCEMENT_TYPE,))
        if not isinstance(got, Record) or got.payload.get("event") != "inspection_scheduled":
            return False
        if not isinstance(self._mission_signer(got), str):
            return False
        try:
            ev = EnforcementEvent.model_validate(got.payload)
            due = datetime.fromisoformat(str(ev.detail["due_by"]).replace("Z", "+00:00"))
        except (ValueError, KeyError):
            return False
        if ev.event is not EventKind.inspection_scheduled:
            return False
        for key in {ev.subject, str(ev.detail.get("incident") or ev.subject)}:
            self.windows.setdefault(key, []).append((ev.at, due))
        return True

    def _completed(self) -> int:
        return sum(1 for v in self.history.versions.values() if v.complete)

    def _refresh_registrars(self) -> None:
        for version in self._anchors():
            self._add_registrars(version.agreement)

    def _anchors(self) -> list[Version]:
        """The versions whose registrars are trusted: the first on the log (the genesis the
        mission logged at `init`, which every party checks before signing it) and every
        complete one."""
        first = self.history.first()
        out = [v for v in self.history.versions.values() if v.complete]
        return [first, *out] if first is not None and not first.complete else out

    def _add_registrars(self, agreement: Agreement) -> None:
        for signatory in agreement.registrars:
            for k in signatory.keys:
                pub = _key(k.public_key)
                if pub is not None:
                    self.registrar_keys.setdefault(k.keyid, pub)

    # --- queries -----------------------------------------------------------------------

    @property
    def current(self) -> Agreement | None:
        """`agreement`, or None while neither the log nor `fallback` gives one."""
        return self._current or self.fallback

    @property
    def agreement(self) -> Agreement:
        """The version whose principals and parties apply at the position reached: the
        newest complete one, else the first logged, else `fallback`."""
        if self._current is not None:
            return self._current
        if self.fallback is None:
            raise ValueError("agreement: the log holds no agreement version and none was given")
        return self.fallback

    def book(self) -> KeyBook:
        """The signatories' keys under the current agreement (rebuilt when it changes)."""
        agreement = self.agreement
        if self._book is None or self._book[0] is not agreement:
            self._book = (
                agreement,
                self.registry,
                KeyBook.from_agreement(agreement, (), self.registry),
            )
        return self._book[2]

    def principal(self, sensor_id: str) -> SensorState | None:
        return self.registry.get(sensor_id)

    def roles(self, sensor_id: str) -> frozenset[Role]:
        state = self.registry.get(sensor_id)
        return roles_of(state, self.current) if state is not None else frozenset()

    # --- checks ------------------------------------------------------------------------

    def vouch(self, envelope: dsse.Envelope) -> None:
        """An envelope this process has just signed with a key it holds: when read back
        once, its signature need not be verified again (its role is still checked)."""
        self._vouched.add(envelope)

    def refuse(self, refusal: Refusal) -> Refusal:
        self.refused.append(refusal)
        return refusal

    def check_observation(
        self, index: int, obs: Observation, envelope: dsse.Envelope
    ) -> Refusal | None:
        """None if the principal `obs.sensor` may write this observation and one of its
        keys, live at `observed_at`, signed it; else the Refusal (also kept in `refused`)."""
        state = self.registry.get(obs.sensor)
        if state is None or state.registered_index >= index:
            return self.refuse(
                Refusal(index, OBSERVATION_TYPE, f"{obs.sensor!r} is not registered", "unknown_key")
            )
        needed = KIND_WRITERS.get(obs.kind, WRITERS[OBSERVATION_TYPE])
        roles = roles_of(state, self.current)
        if not roles & needed:
            return self.refuse(
                Refusal(
                    index,
                    OBSERVATION_TYPE,
                    f"{obs.sensor!r} ({state.kind.value} of {state.operator}) may not write "
                    f"{obs.kind.value} observations (needs {_names(needed)})",
                )
            )
        if obs.kind is Kind.inspection_report:
            reason = self.inspection_refusal(obs)
            if reason is not None:
                return self.refuse(Refusal(index, OBSERVATION_TYPE, reason))
        if state.kind is SensorKind.import_gateway:
            reason = self._import_refusal(obs)
            if reason is not None:
                return self.refuse(Refusal(index, OBSERVATION_TYPE, reason))
        reason = self._signed_by_principal(envelope, obs.sensor, obs.observed_at)
        if reason is not None:
            return self.refuse(Refusal(index, OBSERVATION_TYPE, reason, "bad_signature"))
        return None

    def inspection_refusal(self, obs: Observation) -> str | None:
        """None if an inspection of `attributes.incident` (an incident or inspection id)
        that enforcement scheduled on the log was open at `observed_at`; else why not."""
        subject = obs.attributes.incident or ""
        windows = self.windows.get(subject, [])
        if any(opened <= obs.observed_at <= due for opened, due in windows):
            return None
        at = format_time(obs.observed_at)
        if not windows:
            return f"no inspection of {subject!r} was scheduled on the log before this report"
        spans = ", ".join(f"{format_time(o)}..{format_time(d)}" for o, d in windows)
        return f"the report ({at}) falls outside every inspection of {subject!r} ({spans})"

    def _import_refusal(self, obs: Observation) -> str | None:
        """A gateway relays rows of a submitted file: it must say which (provenance), and
        for whom, an importer registered on the log (or none: the mission's own import)."""
        prov = obs.attributes.provenance
        if prov is None:
            return f"{obs.sensor!r} is an import gateway: its rows need attributes.provenance"
        if prov.uploader is None or prov.uploader == obs.sensor:
            return None
        if Role.importer not in self.roles(prov.uploader):
            return f"uploader {prov.uploader!r} is not a registered importer"
        return None

    def check_mission(self, record: Record) -> Refusal | str:
        """The principal id that signed a mission record (incident or enforcement
        transition) and holds the role; else the Refusal. Key validity is by log position:
        these records are about past events, but their keys sign when they are logged."""
        signer = self._mission_signer(record)
        self._vouched.discard(record.envelope)
        if isinstance(signer, str):
            return signer
        return self.refuse(Refusal(record.index, record.payload_type, signer.reason))

    def _mission_signer(self, record: Record) -> str | Refusal:
        needed = WRITERS[record.payload_type]
        reasons = []
        vouched = record.envelope in self._vouched
        for s in record.envelope.signatures:
            state = self.registry.owner(s.keyid)
            if state is None:
                owner = self.book().owners.get(s.keyid) if self.current is not None else None
                reasons.append(
                    f"key {s.keyid!r} is {owner!r}'s signatory key, and a signatory may not "
                    f"write this record (needs {_names(needed)})"
                    if owner is not None
                    else f"key {s.keyid!r} was never introduced on the log"
                )
                continue
            if not roles_of(state, self.current) & needed:
                reasons.append(
                    f"{state.sensor.id!r} ({state.kind.value} of {state.operator}) may not "
                    f"write this record (needs {_names(needed)})"
                )
                continue
            status = self.registry.key_status_logged(state.sensor.id, s.keyid, record.index)
            if not status.ok:
                reasons.append(status.reason)
                continue
            if vouched or ed25519.verify(
                dsse.raw_key(state_key(state, s.keyid)), s.sig, record.signed_bytes
            ):
                return state.sensor.id
            reasons.append(f"signature by key {s.keyid!r} does not verify")
        return Refusal(record.index, record.payload_type, "; ".join(reasons) or "no signature")

    def check_signatory(self, record: Record, signatory: str, at: datetime) -> Refusal | None:
        """None if `signatory` (named by the record) signed it with a key live at `at`."""
        book = self.book()
        reason = book.signed_by(record.envelope, signatory, at)
        if reason is None:
            return None
        return self.refuse(Refusal(record.index, record.payload_type, f"{signatory!r}: {reason}"))

    def _signed_by_principal(
        self, envelope: dsse.Envelope, principal: str, at: datetime
    ) -> str | None:
        message = dsse.pae(envelope.payload_type, envelope.payload)
        reasons = []
        for s in envelope.signatures:
            status = self.registry.key_status(principal, s.keyid, at)
            if not status.ok:
                reasons.append(status.reason)
                continue
            state = self.registry.sensors[principal]
            if ed25519.verify(dsse.raw_key(state_key(state, s.keyid)), s.sig, message):
                return None
            reasons.append(f"signature by key {s.keyid!r} does not verify")
        return "; ".join(reasons) or "no signature"


def state_key(state: SensorState, keyid: str) -> Ed25519PublicKey:
    for period in state.keys:
        if period.keyid == keyid:
            return period.public_key
    raise KeyError(keyid)


def _names(roles: frozenset[Role]) -> str:
    return " or ".join(sorted(r.value for r in roles))


def authority_of(ledger: Ledger, fallback: Agreement | None = None) -> Authority:
    """The authority at the end of `ledger` (every entry folded)."""
    authority = Authority(fallback)
    authority.catch_up(ledger)
    return authority


def registrar_ids(authority: Authority) -> list[str]:
    """The signatory ids whose keys may sign registry records now (their key files, in a
    mission home, are HOME/keys/<id>.key)."""
    return [s.id for s in authority.agreement.registrars]

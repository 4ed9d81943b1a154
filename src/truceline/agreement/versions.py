"""Agreement versions in the ledger, and the agreement in force at an event time.

Choice (documented in docs/agreement.md): a version is one AGREEMENT_TYPE
entry whose payload is the agreement's canonical JSON; it may carry any
number of DSSE signatures (a multi-signature envelope, e.g. signed at a
signing ceremony), and signatories who sign later append separate
AGREEMENT_SIGNATURE_TYPE entries that name the version by the SHA-256 of its
payload. Both kinds count. A version is *complete* once every signatory with
role `party` has signed it; only complete versions can be in force.

Whose key counts for a party: the keys that party had in the version being
amended (`previous`), so an amendment cannot swap in keys the party never
held; a party new to the agreement (and every party of version 1) signs with
the keys listed in the version itself.

The version in force at event time t is, among complete versions with
`effective_from <= t`, the one with the highest version number (ties: the
first completed in log order). Everything is folded from the log, so any
party can recompute it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from truceline.agreement.load import agreement_json
from truceline.agreement.model import AGREEMENT_TYPE, Agreement
from truceline.agreement.timebounds import DEFAULT_TIME_BOUNDS, TimeBounds
from truceline.codec import dsse, entries, records
from truceline.codec.errors import CodecError
from truceline.codec.jcs import canonicalize
from truceline.codec.keys import KeyFileError, public_key_from_b64
from truceline.ledger.base import Ledger
from truceline.ledger.fold import LedgerFold

AGREEMENT_SIGNATURE_TYPE = "application/vnd.truceline.agreement-signature+json"

_TYPES = (AGREEMENT_TYPE, AGREEMENT_SIGNATURE_TYPE)


class Endorsement(BaseModel):
    """A signatory's signature on a version, appended after the version itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    agreement: str
    version: int = Field(ge=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="of the version's payload")
    signatory: str


def payload_sha256(agreement: Agreement) -> str:
    """A version's identity: SHA-256 of its canonical JSON (independent of who signed how)."""
    return hashlib.sha256(canonicalize(agreement_json(agreement))).hexdigest()


@dataclass
class Version:
    agreement: Agreement
    sha256: str
    index: int  # ledger index of the first entry recording it
    signed_by: set[str] = field(default_factory=set)
    completed_index: int | None = None  # the entry that brought the last party signature

    @property
    def complete(self) -> bool:
        return self.completed_index is not None

    def missing(self) -> list[str]:
        return sorted({p.id for p in self.agreement.parties} - self.signed_by)


@dataclass
class AgreementHistory(LedgerFold):
    """Versions folded from the ledger; feed it with `apply` or `catch_up`."""

    versions: dict[str, Version] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)
    size: int = 0
    _pending: list[tuple[int, Endorsement, dsse.Envelope]] = field(default_factory=list)

    # --- folding ---------------------------------------------------------------

    def apply(self, index: int, entry: bytes) -> bool:
        self.size = max(self.size, index + 1)
        got = entries.read(index, entry, _TYPES)
        if got is None:
            return False
        if isinstance(got, entries.Malformed):
            self.problems.append((index, f"agreement entry ignored: {got.reason}"))
            return False
        obj, envelope = got.payload, got.envelope
        try:
            if got.payload_type == AGREEMENT_TYPE:
                return self._apply_version(index, Agreement.model_validate(obj), envelope)
            return self._apply_endorsement(index, Endorsement.model_validate(obj), envelope)
        except (CodecError, ValidationError) as exc:
            self.problems.append((index, f"agreement entry ignored: {exc}"))
        return False

    def _apply_version(self, index: int, agreement: Agreement, envelope: dsse.Envelope) -> bool:
        digest = hashlib.sha256(envelope.payload).hexdigest()
        first = self.first()
        if first is not None and agreement.id != first.agreement.id:
            self.problems.append(
                (index, f"version of {agreement.id!r}, but the log holds {first.agreement.id!r}")
            )
            return False
        if agreement.version > 1:
            prev = self.versions.get(agreement.previous or "")
            if prev is None or prev.agreement.version != agreement.version - 1:
                self.problems.append(
                    (
                        index,
                        f"version {agreement.version}: previous must name a recorded version {agreement.version - 1}",
                    )
                )
                return False
        version = self.versions.get(digest)
        if version is None:
            version = Version(agreement, digest, index)
            self.versions[digest] = version
        for signatory in self._signers(version, envelope):
            self._count(version, signatory, index)
        # endorsements that arrived before the version they name
        waiting = [p for p in self._pending if p[1].sha256 == digest]
        self._pending = [p for p in self._pending if p[1].sha256 != digest]
        for idx, endorsement, env in waiting:
            self._apply_endorsement(idx, endorsement, env)
        return True

    def _apply_endorsement(
        self, index: int, endorsement: Endorsement, envelope: dsse.Envelope
    ) -> bool:
        version = self.versions.get(endorsement.sha256)
        if version is None:
            self._pending.append((index, endorsement, envelope))
            return False
        keys = self.signing_keys(version, endorsement.signatory)
        try:
            dsse.verify(envelope, keys)
        except CodecError as exc:
            self.problems.append(
                (index, f"endorsement by {endorsement.signatory!r} does not verify: {exc}")
            )
            return False
        self._count(version, endorsement.signatory, index)
        return True

    def _count(self, version: Version, signatory: str, index: int) -> None:
        version.signed_by.add(signatory)
        if version.completed_index is None and not version.missing():
            version.completed_index = index

    def _signers(self, version: Version, envelope: dsse.Envelope) -> list[str]:
        """The signatories whose keys verify one of the envelope's signatures."""
        message = dsse.pae(envelope.payload_type, envelope.payload)
        out = []
        for sig in envelope.signatures:
            for s in version.agreement.signatories:
                key = self.signing_keys(version, s.id).get(sig.keyid)
                if key is None:
                    continue
                try:
                    key.verify(sig.sig, message)
                except InvalidSignature:
                    continue
                out.append(s.id)
        return out

    def signing_keys(self, version: Version, signatory: str) -> dict[str, Ed25519PublicKey]:
        """The keys that may sign `version` for `signatory` (see the module docstring)."""
        source = version.agreement
        prev = self.versions.get(version.agreement.previous or "")
        if prev is not None and any(s.id == signatory for s in prev.agreement.signatories):
            source = prev.agreement
        try:
            sig = source.signatory(signatory)
        except KeyError:
            return {}
        out = {}
        for k in sig.keys:
            try:
                out[k.keyid] = public_key_from_b64(k.public_key)
            except KeyFileError:
                continue
        return out

    # --- queries ---------------------------------------------------------------

    def first(self) -> Version | None:
        return min(self.versions.values(), key=lambda v: v.index, default=None)

    def in_force(self, at: datetime) -> Version | None:
        """The complete version with the highest number whose effective_from is at or before `at`."""
        best: Version | None = None
        for v in self.versions.values():
            if not v.complete or v.agreement.effective_from > at:
                continue
            if best is None or (v.agreement.version, -(v.completed_index or 0)) > (
                best.agreement.version,
                -(best.completed_index or 0),
            ):
                best = v
        return best

    def time_bounds(self, at: datetime) -> TimeBounds:
        """The time bounds ingest applies at `at`: those of the version in force then, else of
        the newest complete version (before the agreement takes effect), else of the newest
        version still awaiting signatures (a mission set up before the parties signed),
        else the defaults."""
        version = self.in_force(at) or self.latest()
        if version is None and self.versions:
            version = max(self.versions.values(), key=lambda v: (v.agreement.version, -v.index))
        return version.agreement.time_bounds if version is not None else DEFAULT_TIME_BOUNDS

    def latest(self) -> Version | None:
        """The newest complete version, whatever its effective date."""
        complete = [v for v in self.versions.values() if v.complete]
        return max(
            complete, key=lambda v: (v.agreement.version, -(v.completed_index or 0)), default=None
        )

    def pending(self) -> list[Version]:
        return sorted((v for v in self.versions.values() if not v.complete), key=lambda v: v.index)

    def by_version(self, number: int) -> list[Version]:
        return sorted(
            (v for v in self.versions.values() if v.agreement.version == number),
            key=lambda v: v.index,
        )


def seal_version(agreement: Agreement, signers: Sequence[tuple[Ed25519PrivateKey, str]]) -> bytes:
    """The ledger entry of a version, signed by each (key, keyid) in `signers`."""
    return records.seal_multi(AGREEMENT_TYPE, agreement_json(agreement), signers)


def seal_endorsement(
    agreement: Agreement, signatory: str, key: Ed25519PrivateKey, keyid: str
) -> bytes:
    body = Endorsement(
        agreement=agreement.id,
        version=agreement.version,
        sha256=payload_sha256(agreement),
        signatory=signatory,
    )
    return records.seal(AGREEMENT_SIGNATURE_TYPE, body.model_dump(mode="json"), key, keyid)


def history_from_ledger(ledger: Ledger) -> AgreementHistory:
    history = AgreementHistory()
    history.catch_up(ledger)
    return history


def signer_keys_by_signatory(
    agreement: Agreement, keys: Mapping[str, Ed25519PrivateKey]
) -> list[tuple[Ed25519PrivateKey, str]]:
    """Pair private keys (by signatory id) with the keyid the agreement lists for them."""
    from truceline.codec.keys import key_id

    out = []
    for sid, key in keys.items():
        kid = key_id(key.public_key())
        listed = {k.keyid for k in agreement.signatory(sid).keys}
        if kid not in listed:
            raise ValueError(
                f"signatories.{sid}.keys: expected the key {kid} to be listed, found {sorted(listed)}"
            )
        out.append((key, kid))
    return out

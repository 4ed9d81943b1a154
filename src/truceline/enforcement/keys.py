"""Who signed what: the signatories' keys from the agreement, with revocations.

A vote, notification, request or acknowledgement counts only if a key belonging
to the signatory it names signed it, and that key was live at the time the
record claims. Revocations come from the sensor registry when the signatory is
registered there under its own id (a party's signing key is registered like a
sensor key, so rotation and revocation follow the same log events), or from an
explicit list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from truceline.agreement.model import Agreement
from truceline.codec.keys import public_key_from_b64
from truceline.registry.state import Registry


@dataclass(frozen=True)
class KeyBook:
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
            for key in signatory.keys:
                owners[key.keyid] = signatory.id
                public[key.keyid] = public_key_from_b64(key.public_key)
        if registry is not None:  # keys added by rotation in the registry
            for signatory in agreement.signatories:
                state = registry.get(signatory.id)
                for period in state.keys if state else []:
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
        if self.registry is not None and self.registry.get(owner) is not None:
            status = self.registry.key_status(owner, keyid, at)
            if not status.ok:
                raise ValueError(status.reason)
        try:
            self.public[keyid].verify(sig, message)
        except InvalidSignature as exc:
            raise ValueError(f"bad signature by key {keyid!r}") from exc
        return owner

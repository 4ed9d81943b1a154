"""Adjudication inside a mission home: open the log, find the keys, seal transitions.

Keys: the adjudicator signs transitions with `HOME/keys/adjudicator.key` (made
on first use).
Registry events are trusted when signed by a key of the agreement's mission
signatory or by any key in `HOME/keys/` (the mission's own signers).
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from truceline.adjudication.verdict import INCIDENT_TYPE, IncidentTransition
from truceline.agreement.load import load_agreement
from truceline.agreement.model import Agreement, Role
from truceline.codec import records
from truceline.codec.keys import (
    KeyFileError,
    generate,
    key_id,
    load_private_key,
    public_key_from_b64,
    save_private_key,
)
from truceline.ledger.base import Ledger
from truceline.mission.home import Home

ADJUDICATOR_KEY = "adjudicator.key"


def open_ledger(home: Home) -> Ledger:
    from truceline.ledger.home import open_log
    from truceline.ledger.tilelog import LOG_CONFIG, STATE_DIR

    if not (home.log_dir / STATE_DIR / LOG_CONFIG).exists():
        raise FileNotFoundError(
            f"--home {home.root}: no log at {home.log_dir} (run `truceline init`)"
        )
    return open_log(home)


def fallback_agreement(home: Home) -> Agreement | None:
    return load_agreement(home.agreement) if home.agreement.exists() else None


def mission_keys(home: Home, agreement: Agreement | None) -> dict[str, Ed25519PublicKey]:
    keys: dict[str, Ed25519PublicKey] = {}
    if agreement is not None:
        for s in agreement.signatories:
            if s.role is Role.mission:
                for k in s.keys:
                    keys[k.keyid] = public_key_from_b64(k.public_key)
    if home.keys_dir.is_dir():
        for path in sorted(home.keys_dir.glob("*.key")):
            try:
                pub = load_private_key(path).public_key()
            except KeyFileError:
                continue
            keys[key_id(pub)] = pub
    return keys


def adjudicator_key(home: Home) -> tuple[Ed25519PrivateKey, str]:
    """The adjudicator's signing key, made on first use (mode 0600), as enforcement's."""
    path: Path = home.keys_dir / ADJUDICATOR_KEY
    if not home.log_dir.exists():
        raise FileNotFoundError(
            f"--home {home.root}: no log at {home.log_dir} (run `truceline init`)"
        )
    if not path.exists():
        save_private_key(path, generate())
    key = load_private_key(path)
    return key, key_id(key.public_key())


def seal_transition(record: IncidentTransition, key: Ed25519PrivateKey, keyid: str) -> bytes:
    return records.seal(INCIDENT_TYPE, record.model_dump(mode="json"), key, keyid)

"""Adjudication inside a mission home: open the log, find the keys, seal transitions.

Keys: the adjudicator signs transitions with `HOME/keys/adjudicator.key`.
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
from truceline.codec.keys import KeyFileError, key_id, load_private_key, public_key_from_b64
from truceline.ledger.base import Ledger
from truceline.mission.home import Home

ADJUDICATOR_KEY = "adjudicator.key"


def open_ledger(home: Home) -> Ledger:
    import json

    from truceline.ledger.logsign import Ed25519NoteSigner
    from truceline.ledger.tilelog import LOG_CONFIG, STATE_DIR, TileLog
    from truceline.store.base import open_store

    cfg = home.log_dir / STATE_DIR / LOG_CONFIG
    if not cfg.exists():
        raise FileNotFoundError(
            f"--home {home.root}: no log at {home.log_dir} (run `truceline init`)"
        )
    origin = json.loads(cfg.read_text())["origin"]
    signer = Ed25519NoteSigner(origin, load_private_key(home.log_skey))
    return TileLog.open(home.log_dir, signer, open_store(home.store_url))


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
    path: Path = home.keys_dir / ADJUDICATOR_KEY
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: the adjudicator key is missing (`truceline init` makes it, or "
            "save an Ed25519 key there)"
        )
    key = load_private_key(path)
    return key, key_id(key.public_key())


def seal_transition(record: IncidentTransition, key: Ed25519PrivateKey, keyid: str) -> bytes:
    return records.seal(INCIDENT_TYPE, record.model_dump(mode="json"), key, keyid)

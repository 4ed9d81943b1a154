"""Enforcement inside a mission home: the agreement in force, the keys, the appender.

The appender signs its transitions with HOME/keys/enforcement.key (made on
first use, mode 0600). Incident transitions count when a mission key signed
them (the agreement's mission signatory or any key in HOME/keys, as for
adjudication). Party keys may be rotated or revoked through the registry.
"""

from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truceline.adjudication.home import fallback_agreement, mission_keys
from truceline.agreement.model import Agreement
from truceline.agreement.versions import history_from_ledger
from truceline.codec.keys import generate, key_id, load_private_key, save_private_key
from truceline.enforcement.appender import Appender
from truceline.enforcement.keys import KeyBook
from truceline.ledger.base import Ledger
from truceline.mission.home import Home
from truceline.registry.state import from_ledger

ENFORCEMENT_KEY = "enforcement.key"


def enforcement_key(home: Home) -> tuple[Ed25519PrivateKey, str]:
    path = home.keys_dir / ENFORCEMENT_KEY
    key = load_private_key(path) if path.exists() else generate()
    if not path.exists():
        save_private_key(path, key)
    return key, key_id(key.public_key())


def agreement_at(home: Home, ledger: Ledger, now: datetime) -> Agreement:
    """The complete version in force at `now` on the log, else HOME/agreement.yaml."""
    version = history_from_ledger(ledger).in_force(now)
    if version is not None:
        return version.agreement
    fallback = fallback_agreement(home)
    if fallback is None:
        raise FileNotFoundError(
            f"--home {home.root}: no agreement in force on the log at {now.isoformat()} "
            f"and no {home.agreement}"
        )
    return fallback


def appender(home: Home, ledger: Ledger, now: datetime) -> Appender:
    key, keyid = enforcement_key(home)
    agreement = agreement_at(home, ledger, now)
    trusted = mission_keys(home, agreement)
    registry = from_ledger(ledger, trusted)
    book = KeyBook.from_agreement(agreement, registry=registry)
    return Appender(ledger, agreement, key, keyid, book, trusted)

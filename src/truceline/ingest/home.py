"""Opening a mission home's parts: the ledger, the store, the mission and gateway keys.

Key files in HOME/keys (PKCS#8 PEM, mode 0600): `mission.key` signs sensor
events and agreement proposals; `gateway.key` is the default import
gateway's sensor key. The log's checkpoint key is HOME/log.key (a
signed-note skey) with its vkey in HOME/log.vkey.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine

from truceline.codec import keys
from truceline.ledger.base import Ledger
from truceline.mission.home import Home
from truceline.store.base import open_store

QUARANTINE_MAX_BYTES = "quarantine.max_bytes"  # optional: one integer, the quarantine bound
MISSION_KEY = "mission.key"
GATEWAY_KEY = "gateway.key"
GATEWAY_SENSOR = "mission-gateway"


class HomeError(RuntimeError):
    """The home directory lacks something (not initialised, or a key file is missing)."""


def engine(home: Home) -> Engine:
    return open_store(home.store_url)


def quarantine_max_bytes(home: Home) -> int:
    """HOME/quarantine.max_bytes if present (bytes of rejected input kept), else the default."""
    from truceline.ingest.quarantine import DEFAULT_MAX_RAW_BYTES

    path = home.root / QUARANTINE_MAX_BYTES
    if not path.exists():
        return DEFAULT_MAX_RAW_BYTES
    text = path.read_text().strip()
    if not text.isdigit():
        raise HomeError(f"{path}: expected a whole number of bytes, found {text[:40]!r}")
    return int(text)


def mission_key(home: Home) -> tuple[Ed25519PrivateKey, str]:
    path = home.keys_dir / MISSION_KEY
    if not path.exists():
        raise HomeError(f"{path}: no mission key; run `truceline init --home {home.root}` first")
    key = keys.load_private_key(path)
    return key, keys.key_id(key.public_key())


def mission_public_keys(home: Home) -> dict[str, Ed25519PublicKey]:
    key, kid = mission_key(home)
    return {kid: key.public_key()}


def gateway_key(home: Home) -> tuple[Ed25519PrivateKey, str]:
    path = home.keys_dir / GATEWAY_KEY
    if not path.exists():
        raise HomeError(f"{path}: no import gateway key; run `truceline init` first")
    key = keys.load_private_key(path)
    return key, keys.key_id(key.public_key())


def open_ledger(home: Home, store: Engine | None = None) -> Ledger:
    """The home's TileLog (witness cosigning as the home's policy says)."""
    from truceline.ledger.home import open_log

    if not home.log_skey.exists():
        raise HomeError(f"{home.log_skey}: no log key; run `truceline init --home {home.root}`")
    return open_log(home, store or engine(home))


def create_ledger(home: Home, origin: str, store: Engine | None = None) -> Ledger:
    """Create the log (its key pair, the tiles directory) in a fresh home."""
    from truceline.ledger.home import create_log

    return create_log(home, origin, store or engine(home))

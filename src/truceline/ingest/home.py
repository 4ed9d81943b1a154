"""Opening a mission home's parts: the ledger, the store, the mission and gateway keys.

Key files in HOME/keys (PKCS#8 PEM, mode 0600): `mission.key` signs sensor
events and agreement proposals; `gateway.key` is the default import
gateway's sensor key. The log's checkpoint key is HOME/log.key (a
signed-note skey) with its vkey in HOME/log.vkey.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine

from truceline.codec import keys
from truceline.ledger.base import Ledger
from truceline.mission.home import Home
from truceline.store.base import open_store

MISSION_KEY = "mission.key"
GATEWAY_KEY = "gateway.key"
GATEWAY_SENSOR = "mission-gateway"


class HomeError(RuntimeError):
    """The home directory lacks something (not initialised, or a key file is missing)."""


def engine(home: Home) -> Engine:
    return open_store(home.store_url)


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


def _ledger_home_module() -> object | None:
    try:
        return importlib.import_module("truceline.ledger.home")
    except ModuleNotFoundError:
        return None


def open_ledger(home: Home, store: Engine | None = None) -> Ledger:
    """The home's TileLog (through truceline.ledger.home when that module provides it)."""
    mod = _ledger_home_module()
    opener = getattr(mod, "open_log", None) if mod is not None else None
    if opener is not None:
        return opener(home)  # type: ignore[no-any-return]
    from truceline.ledger import note
    from truceline.ledger.logsign import Ed25519NoteSigner
    from truceline.ledger.tilelog import TileLog

    if not home.log_skey.exists():
        raise HomeError(f"{home.log_skey}: no log key; run `truceline init --home {home.root}`")
    signer = note.parse_skey(home.log_skey.read_text().strip())
    seed = signer.private_key_bytes()
    log_signer = Ed25519NoteSigner(signer.name, Ed25519PrivateKey.from_private_bytes(seed))
    return TileLog.open(home.log_dir, log_signer, store or engine(home))


def create_ledger(home: Home, origin: str, store: Engine | None = None) -> Ledger:
    """Create the log (keys, tiles directory) in a fresh home."""
    mod = _ledger_home_module()
    creator = getattr(mod, "create_log", None) if mod is not None else None
    if creator is not None:
        return creator(home, origin)  # type: ignore[no-any-return]
    from truceline.ledger import note
    from truceline.ledger.logsign import Ed25519NoteSigner
    from truceline.ledger.tilelog import TileLog

    skey, vkey = note.generate_ed25519(origin)
    _write_private(home.log_skey, skey.encode() + b"\n")
    home.log_vkey.write_text(vkey + "\n")
    signer = note.parse_skey(skey)
    log_signer = Ed25519NoteSigner(
        origin, Ed25519PrivateKey.from_private_bytes(signer.private_key_bytes())
    )
    return TileLog.create(home.log_dir, origin, log_signer, store or engine(home))


def _write_private(path: Path, data: bytes) -> None:
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())

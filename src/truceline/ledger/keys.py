"""The log's signing key in a mission home: `log.key` (signed-note skey, 0600) and `log.vkey`.

The skey is the Go `note` private key format, `PRIVATE+KEY+<name>+<hex id>+<base64>`;
the vkey is the signed-note verifier key `<name>+<hex id>+base64(0x01 || pub)`,
which is all an outside verifier needs to check checkpoints and proofs.
"""

from __future__ import annotations

import os
from pathlib import Path

from truceline.codec.keys import KeyFileError
from truceline.home import Home
from truceline.ledger import note
from truceline.ledger.durable import fsync_path, write_synced
from truceline.ledger.logsign import NoteSigner

# One error for every key file, the log's and the principals' (codec.keys).
__all__ = ["KeyFileError", "generate_log_key", "load_log_signer"]


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create `path` (never overwrite: losing a log key forks the log) and fsync it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_synced(path, data, os.O_CREAT | os.O_EXCL, mode)
    os.chmod(path, mode)  # not subject to the umask
    fsync_path(path.parent)


def generate_log_key(home: Home, origin: str) -> note.Verifier:
    """Create the log's Ed25519 key pair named `origin`; refuses to replace an existing key."""
    if home.log_skey.exists() or home.log_vkey.exists():
        raise KeyFileError(f"{home.log_skey}: a log key already exists; refusing to replace it")
    if not note.is_valid_name(origin):
        raise ValueError(f"origin {origin!r}: not a valid signed-note key name")
    skey, vkey = note.generate_ed25519(origin)
    _write_new(home.log_skey, skey.encode() + b"\n", 0o600)
    _write_new(home.log_vkey, vkey.encode() + b"\n", 0o644)
    return note.parse_vkey(vkey)


def load_log_signer(home: Home) -> NoteSigner:
    path = home.log_skey
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise KeyFileError(
            f"{path}: no log key; run `truceline log init --home {home.root}`"
        ) from exc
    if st.st_mode & 0o077:
        raise KeyFileError(
            f"{path}: mode {st.st_mode & 0o777:o} lets others read the key; want 600"
        )
    try:
        return NoteSigner.from_skey(path.read_text())
    except note.NoteError as exc:
        raise KeyFileError(f"{path}: {exc}") from exc


def load_log_verifier(home: Home) -> note.Verifier:
    path = home.log_vkey
    try:
        return note.parse_vkey(path.read_text().strip())
    except FileNotFoundError as exc:
        raise KeyFileError(f"{path}: missing") from exc
    except note.NoteError as exc:
        raise KeyFileError(f"{path}: {exc}") from exc

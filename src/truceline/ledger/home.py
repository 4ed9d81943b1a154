"""The log of a mission home: `create_log(home, origin)`, `open_log(home)`, `open_reader(home)`.

Keys are `home.log_skey` / `home.log_vkey`, tiles in `home.tile_storage()`, the
dedup index in `home.store_url`. When `home.policy` names witnesses with URLs,
`open_log` wires a `truceline.ledger.witnessing.Cosigner` as the checkpoint hook.

`open_reader` is for commands that only read: it needs nothing private
(`log.vkey` and `log/`), so it opens an operator's home and a public-data home
(a mirror, which has no `log.key`) alike, and answers the same from the same files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from truceline.home import Home
from truceline.ledger.keys import KeyFileError, generate_log_key, load_log_signer, load_log_verifier
from truceline.ledger.policy import Policy
from truceline.ledger.readonly import ReadOnlyLog
from truceline.ledger.tilelog import Cosigner, LogError, TileLog
from truceline.store.base import open_store

if TYPE_CHECKING:
    from truceline.ledger.witnessing import Cosigner as WitnessCosigner


def create_log(home: Home, origin: str, store: Engine | None = None) -> TileLog:
    """New keys, an empty log (checkpoint of size 0) and the store tables."""
    home.root.mkdir(parents=True, exist_ok=True)
    generate_log_key(home, origin)
    signer = load_log_signer(home)
    return TileLog.create(home.tile_storage(), origin, signer, store or open_store(home.store_url))


def _policy_cosigner(home: Home, engine: Engine) -> WitnessCosigner | None:
    if not home.policy.exists():
        return None
    policy = Policy.parse(home.policy.read_bytes())
    if not any(w.url for w in policy.witnesses.values()):
        return None
    from truceline.ledger import witnessing

    return witnessing.Cosigner(policy, engine)


def _no_log_here(home: Home) -> LogError:
    return LogError(
        f"{home.root}: no log here (create one with `truceline log init` or `truceline init`, "
        "or copy one with `truceline mirror`)"
    )


def open_reader(home: Home) -> ReadOnlyLog:
    """The home's log for reading only: no key, no store, no lock, no file created.

    Checks the checkpoint's signature with `home.log_vkey` (LogError if it fails).
    `append` raises `truceline.ledger.readonly.ReadOnlyLogError`.
    """
    if not home.has_log():
        raise _no_log_here(home)
    try:
        verifier = load_log_verifier(home)
    except KeyFileError as exc:
        raise LogError(str(exc)) from exc
    return ReadOnlyLog(home.tile_storage(), verifier)


def open_log(
    home: Home,
    store: Engine | None = None,
    *,
    cosigner: Cosigner | None = None,
    witnesses: bool = True,
) -> TileLog:
    """Open the home's log; with `witnesses`, cosign through the home's policy (if it has URLs)."""
    if not home.has_log():
        # Before the store is opened: a wrong --home must not create files or fail in SQLite.
        raise _no_log_here(home)
    if not home.log_skey.exists() and home.log_vkey.exists():
        raise LogError(
            f"{home.root}: no log key here (a public-data home, e.g. a mirror): "
            "it can be read (open_reader) but not appended to"
        )
    engine = store or open_store(home.store_url)
    signer = load_log_signer(home)
    auto = _policy_cosigner(home, engine) if cosigner is None and witnesses else None
    log = TileLog.open(
        home.tile_storage(), signer, engine, cosigner=cosigner or auto, recover=False
    )
    if auto is not None:
        auto.consistency_proof = log.consistency_proof
        log.close_with(auto.close)  # its thread pool and HTTP clients belong to this log
    log.recover()
    return log

"""A mission home: its layout, and the one place that opens its parts for every package.

    HOME/agreement.yaml   the agreement as given to `init` (its versions are on the log)
    HOME/log/             the log in the c2sp.org/tlog-tiles layout (public)
    HOME/log.vkey         the log's verifier key (public)
    HOME/policy           the tlog-policy: witnesses and their quorum (public)
    HOME/log.key          the log's signing key (the operator's only)
    HOME/keys/*.key       the mission principals' signing keys (the operator's only, 0600)
    HOME/store.db         SQLite, unless HOME/store.url names another database

A mirror (`truceline mirror`) holds the public part only. Every reading command works on
either, because what it trusts comes from the log (`truceline.authority`), never from the
key files here; only the commands that write load a key, and none creates one (`init` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from truceline.errors import TrucelineError
from truceline.store.base import open_store, sqlite_url

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from sqlalchemy import Engine

    from truceline.ledger.reader import LogReader
    from truceline.ledger.tilelog import Cosigner, TileLog
    from truceline.ratelimit import WriteLimit


class HomeError(TrucelineError, RuntimeError):
    """The home lacks something a command needs (not initialised, a key it must sign with)."""

    code = "home"


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def log_dir(self) -> Path:
        """The tlog-tiles layout: checkpoint, tile/<L>/<N>, tile/entries/<N>."""
        return self.root / "log"

    @property
    def log_vkey(self) -> Path:
        return self.root / "log.vkey"

    @property
    def log_skey(self) -> Path:
        return self.root / "log.key"

    @property
    def keys_dir(self) -> Path:
        """Private keys of the mission's own principals, mode 0600."""
        return self.root / "keys"

    @property
    def agreement(self) -> Path:
        """The agreement as given at init, as YAML (its versions are ledger entries)."""
        return self.root / "agreement.yaml"

    @property
    def policy(self) -> Path:
        """The tlog-policy file naming witnesses and the quorum."""
        return self.root / "policy"

    @property
    def store_url(self) -> str:
        """SQLite in the home unless `store.url` names another database."""
        override = self.root / "store.url"
        if override.exists():
            return override.read_text().strip()
        return sqlite_url(self.root / "store.db")

    def quarantine_max_bytes(self) -> int:
        """HOME/quarantine.max_bytes if present (bytes of rejected input kept), else the
        default bound."""
        from truceline.ingest.quarantine import DEFAULT_MAX_RAW_BYTES

        path = self.root / "quarantine.max_bytes"
        if not path.exists():
            return DEFAULT_MAX_RAW_BYTES
        text = path.read_text().strip()
        if not text.isdigit():
            raise HomeError(f"{path}: expected a whole number of bytes, found {text[:40]!r}")
        return int(text)

    def write_limit(self) -> WriteLimit:
        """HOME/write_limit (`RATE BURST`: writes a second and burst, per principal) if
        present, else the default (`ratelimit.WriteLimit`)."""
        from truceline.ratelimit import WriteLimit

        path = self.root / "write_limit"
        if not path.exists():
            return WriteLimit()
        try:
            return WriteLimit.parse(path.read_text())
        except ValueError as exc:
            raise HomeError(f"{path}: {exc}") from None

    # --- opening its parts --------------------------------------------------------------

    def require_log(self) -> None:
        """HomeError unless the home holds a log (checked before anything creates a file)."""
        if not (self.log_dir / "checkpoint").is_file():
            raise HomeError(
                f"--home {self.root}: no log here (create one with `truceline init`, "
                "or mirror one with `truceline mirror`)"
            )

    def store(self) -> Engine:
        self.require_log()
        return open_store(self.store_url)

    def ledger(
        self,
        store: Engine | None = None,
        *,
        cosigner: Cosigner | None = None,
        witnesses: bool = True,
    ) -> TileLog:
        """The home's log, to append to (the log key is needed); with `witnesses`,
        cosigned through the policy's witnesses. Reading commands use `reader`."""
        from truceline.ledger.home import open_log

        self.require_log()
        return open_log(self, store, cosigner=cosigner, witnesses=witnesses)

    def reader(self) -> LogReader:
        """The home's log for reading only: no key, no store, no lock, no file created. The
        same answers from an operator's home and from a mirror of it."""
        from truceline.ledger.home import open_reader

        self.require_log()
        return open_reader(self)

    def signing_key(self, *principals: str) -> tuple[Ed25519PrivateKey, str, str]:
        """(key, keyid, principal id) of the first of `principals` (the ids the agreement
        names for a role, or the registrar's signatory id) whose key file
        HOME/keys/<id>.key is here, for a command that writes as it. Never creates one."""
        from truceline.codec.keys import KeyFileError, key_id, load_private_key

        for principal in principals:
            path = self.keys_dir / f"{principal}.key"
            if not path.exists():
                continue
            try:
                key = load_private_key(path)
            except KeyFileError as exc:
                raise HomeError(str(exc)) from exc
            return key, key_id(key.public_key()), principal
        raise HomeError(
            f"{self.keys_dir}: no key for {' or '.join(map(repr, principals)) or 'nobody'}: "
            "only the mission's own home can write as it (a mirror holds public data only)"
        )

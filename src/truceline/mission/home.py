"""The layout of a mission home directory: one place for keys, log and store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from truceline.store.base import sqlite_url


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
        """Private keys of the mission's own signers (adjudicator, gateways), mode 0600."""
        return self.root / "keys"

    @property
    def agreement(self) -> Path:
        """The agreement in force, as YAML (its versions are ledger entries)."""
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

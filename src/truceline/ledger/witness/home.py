"""The layout of a witness home directory.

<home>/witness.key    the cosigning private key (mode 0600)
<home>/witness.vkey   its verifier key, type 0x04 (c2sp.org/tlog-cosignature)
<home>/store.db       SQLite state, unless <home>/store.url names another database
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from truceline.home import Home


@dataclass(frozen=True)
class WitnessHome:
    root: Path

    @property
    def skey(self) -> Path:
        return self.root / "witness.key"

    @property
    def vkey(self) -> Path:
        return self.root / "witness.vkey"

    @property
    def store_url(self) -> str:
        return Home(self.root).store_url

    @property
    def evidence_dir(self) -> Path:
        return self.root / "evidence"

    def write_key(self, skey: str, vkey: str) -> None:
        """Write a new key pair; refuse to replace an identity that already exists."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self.skey.exists():
            raise FileExistsError(f"{self.skey}: a witness key already exists here")
        fd = os.open(self.skey, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(skey + "\n")
        self.vkey.write_text(vkey + "\n")

    def read_skey(self) -> str:
        if not self.skey.exists():
            raise FileNotFoundError(f"{self.skey}: no witness key; run `truceline witness init`")
        return self.skey.read_text().strip()

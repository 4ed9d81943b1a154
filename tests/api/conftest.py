"""A mission home for the API tests, built through the CLI (`ingest.hostile.make_home`):
the example agreement signed by every party, one registered radar and the importer."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ingest.hostile import make_home


@pytest.fixture(scope="session")
def api_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ed25519PrivateKey]:
    """(home, the radar's key); read it, or copy it before changing it."""
    return make_home(tmp_path_factory.mktemp("api"))

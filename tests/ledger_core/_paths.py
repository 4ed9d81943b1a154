"""Vector paths known at collection time (parametrize needs them before fixtures exist).

Mirrors tests/conftest.py: TRUCELINE_SHARED overrides ../shared.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VECTORS = Path(os.environ.get("TRUCELINE_SHARED", REPO.parent / "shared")) / "vectors"

"""Store engines shared by the log and witness tests (their conftests re-export them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from truceline.store.base import open_store


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """The metadata store on each backend the suite parametrizes (SQLite, PostgreSQL)."""
    eng = open_store(store_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A private SQLite store, for tests that need one backend only."""
    eng = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield eng
    eng.dispose()

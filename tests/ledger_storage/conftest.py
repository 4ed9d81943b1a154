"""Every storage driver, one fixture: the same tests run on POSIX and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ledger_log import engines  # tests/ is on sys.path (rootdir-relative packages)
from truceline.ledger.storage import TileStorage, open_storage

sqlite_engine = engines.sqlite_engine  # the shared fixture, re-exported so pytest finds it

StorageFactory = Callable[[], TileStorage]


@pytest.fixture(params=["posix", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage_spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where one log lives: a directory, or a fresh PostgreSQL schema (dropped afterwards)."""
    if request.param == "posix":
        yield str(tmp_path / "log")
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def open_driver(storage_spec: str) -> Iterator[StorageFactory]:
    """open_driver(): a new driver instance on the same log (another writer's view)."""
    opened: list[TileStorage] = []

    def make() -> TileStorage:
        storage = open_storage(storage_spec)
        opened.append(storage)
        return storage

    yield make
    for storage in opened:
        storage.close()


@pytest.fixture
def storage(open_driver: StorageFactory) -> TileStorage:
    s = open_driver()
    s.prepare()
    return s

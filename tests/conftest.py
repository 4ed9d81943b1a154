"""Shared fixtures: paths to ../shared, and a metadata store on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pg_schema import pg_schema

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TRUCELINE_SHARED", REPO.parent / "shared"))
VECTORS = SHARED / "vectors"
DATA = SHARED / "data"
PG_URL = os.environ.get("TRUCELINE_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def vectors() -> Path:
    if not VECTORS.is_dir():
        pytest.fail(f"test vectors missing at {VECTORS}")
    return VECTORS


@pytest.fixture(scope="session")
def data() -> Path:
    if not DATA.is_dir():
        pytest.fail(f"real data missing at {DATA}")
    return DATA


def _pg_schema_url() -> Iterator[str]:
    """A fresh PostgreSQL schema per test, dropped afterwards."""
    with pg_schema(PG_URL) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The metadata store URL, once per backend: every store test runs on both."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from _pg_schema_url()


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from _pg_schema_url()


@pytest.fixture(autouse=True)
def _private_state_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`truceline log audit` remembers checkpoints under $XDG_STATE_HOME: never the user's own."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("xdg-state")))


@pytest.fixture(scope="session")
def simulated_mission(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A day of a simulated duel, built once per session through the CLI
    (`simulated_home.build_mission`). Read it, or copy it before changing it."""
    from simulated_home import build_mission

    return build_mission(tmp_path_factory.mktemp("simulated"))

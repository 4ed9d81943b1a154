"""A PostgreSQL-backed home's readers share one pool per URL in a process: opening more
readers, or one per HTTP request, does not open more server connections. Counted on the
real server (pg_stat_activity), by an application_name only this test's URL carries."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from simulated_home import cli
from truceline.api import create_app
from truceline.home import Home
from truceline.ledger.storage.pgengines import dispose_idle

pytestmark = pytest.mark.postgres
EXAMPLE_AGREEMENT = Path(__file__).resolve().parents[2] / "examples" / "agreement.yaml"


def _backends(admin: sa.Engine, name: str) -> set[int]:
    """The server processes of the connections opened under `name`."""
    with admin.connect() as c:
        rows = c.execute(
            sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :n"), {"n": name}
        )
        return {int(pid) for pid in rows.scalars()}


def _closed(admin: sa.Engine, name: str, wait_s: float = 10.0) -> bool:
    """Whether every connection under `name` is gone from the server. A closed
    connection's backend leaves pg_stat_activity a moment after the client hangs up (the
    server process exits on its own), so this looks again until `wait_s` has passed."""
    deadline = time.monotonic() + wait_s
    while _backends(admin, name):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _home_on(tmp_path: Path, pg_url: str) -> tuple[Home, str, sa.Engine]:
    """`truceline init` of a home whose log is in PostgreSQL, under a URL whose connections
    carry a name of their own; (home, name, an admin engine to count them)."""
    name = f"tl-test-{uuid.uuid4().hex[:10]}"
    home = tmp_path / "home"
    cli(
        "init",
        "--home",
        str(home),
        "--agreement",
        str(EXAMPLE_AGREEMENT),
        "--log-storage",
        f"{pg_url}&application_name={name}",
    )
    dispose_idle()  # what init left pooled: count from nothing
    admin = sa.create_engine(pg_url.split("?")[0])
    assert _closed(admin, name)
    return Home(home), name, admin


def test_more_readers_do_not_open_more_connections(tmp_path: Path, pg_url: str) -> None:
    home, name, admin = _home_on(tmp_path, pg_url)
    try:
        first = home.reader()
        first.refresh()
        one = _backends(admin, name)
        assert 1 <= len(one) <= 2  # the reads' connection, and the one that checked the tables
        readers = [home.reader() for _ in range(12)]
        for reader in readers:
            assert reader.refresh() == first.size
        assert _backends(admin, name) == one  # the same connections, not 12 more pools
        for reader in [first, *readers]:
            reader.close()
        assert _backends(admin, name) == one  # kept for the next reader
        assert dispose_idle() >= 1
        assert _closed(admin, name)
    finally:
        admin.dispose()


def test_a_reader_per_request_reuses_the_connections(tmp_path: Path, pg_url: str) -> None:
    """`GET /enforcement/penalties` opens and closes a reader of the log per request: the
    requests are served on the same server connections, not a pool made and disposed
    for each."""
    home, name, admin = _home_on(tmp_path, pg_url)
    try:
        with TestClient(create_app(home)) as client:
            seen = []
            for _ in range(5):
                r = client.get("/enforcement/penalties")
                assert r.status_code == 200, r.text
                seen.append(_backends(admin, name))
        assert seen[0] and all(s == seen[0] for s in seen), seen
    finally:
        dispose_idle()
        admin.dispose()

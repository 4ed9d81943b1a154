from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ledger_log import engines
from truceline.clock import FixedClock
from truceline.ledger.witness.core import Witness
from truceline.ledger.witness.server import create_app
from truceline.ledger.witness.store import WitnessStore

from .helpers import TestLog, cosigner

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)

# The store fixtures the log tests use, re-exported so pytest finds them here.
engine = engines.engine
sqlite_engine = engines.sqlite_engine


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def log() -> TestLog:
    return TestLog()


def make_witness(engine: Engine, name: str, clock: FixedClock, *logs: TestLog) -> Witness:
    w = Witness(WitnessStore(engine, name), cosigner(name), clock)
    for lg in logs:
        w.store.add_log(lg.origin, lg.vkey)
    return w


@pytest.fixture
def witness(engine: Engine, clock: FixedClock, log: TestLog) -> Witness:
    """One witness trusting `log`, on SQLite and on PostgreSQL."""
    return make_witness(engine, "witness.example.org/w1", clock, log)


@pytest.fixture
def http(witness: Witness) -> Iterator[TestClient]:
    with TestClient(create_app(witness)) as client:
        yield client

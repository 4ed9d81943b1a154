"""Model-based: any sequence of honest growth and (possibly wrong) old-size guesses gets
exactly the answers a one-integer model of the witness predicts."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from truceline.clock import FixedClock
from truceline.ledger.witness.core import BadRequest, Conflict, Witness
from truceline.store.base import open_store

from .conftest import make_witness
from .helpers import TestLog

steps = st.lists(
    st.tuples(st.integers(min_value=0, max_value=9), st.integers(min_value=0, max_value=40)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=steps)
def test_witness_matches_the_model(steps: list[tuple[int, int]]) -> None:
    with tempfile.TemporaryDirectory() as d:
        engine = open_store(f"sqlite:///{d}/w.db")
        log = TestLog()
        witness: Witness = make_witness(
            engine, "w", FixedClock(datetime(2026, 1, 1, tzinfo=UTC)), log
        )
        cosigned = 0  # the model: the latest size cosigned
        for grow, guess in steps:
            log.grow(grow)
            size = len(log.leaves)
            old = min(guess, size) if guess % 3 else cosigned  # often right, often wrong
            body = log.request(old, size, proof=log.proof(old, size) if old else [])
            if guess > size and guess % 3:
                body = log.request(guess, size, proof=[])
                try:
                    witness.add_checkpoint(body)
                except BadRequest:
                    continue
                raise AssertionError("old > size was accepted")
            try:
                witness.add_checkpoint(body)
            except Conflict as exc:
                assert old != cosigned and exc.size == cosigned
                continue
            assert old == cosigned, f"cosigned from {old} while at {cosigned}"
            cosigned = size
        state = witness.store.state(log.origin)
        assert state.size == cosigned
        assert state.root == (log.root(cosigned) if state.root is not None else None)
        engine.dispose()

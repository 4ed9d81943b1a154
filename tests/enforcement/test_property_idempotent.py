"""Property: however often and whenever the appender runs, no transition is logged twice,
and every transition a single final run would log is on the log."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from truceline.adjudication.verdict import INCIDENT_TYPE, State
from truceline.agreement.enforcement import PlaybookStep
from truceline.codec.records import open_record
from truceline.enforcement.appender import Appender
from truceline.enforcement.records import ENFORCEMENT_TYPE
from truceline.ledger.logsign import Ed25519NoteSigner
from truceline.ledger.tilelog import TileLog
from truceline.store.base import open_store

from ._world import (
    ENFORCER,
    KEYIDS,
    KEYS,
    T0,
    authority,
    entry,
    incident,
    principals,
    warning_then_snapback,
)

KEY = Ed25519PrivateKey.from_private_bytes(b"\x42" * 32)
A = warning_then_snapback(PlaybookStep(id="tell", action="notify", to=["g1"], deadline_hours=6))
transition = st.tuples(
    st.sampled_from(["i0", "i1", "i2"]),
    st.sampled_from([State.verified, State.confirmed, State.disputed, State.dismissed]),
    st.integers(0, 60 * 24 * 6),
    st.sampled_from(["party-a", "party-b"]),
)


def keys_on(log: TileLog) -> list[str]:
    out = []
    for _, e in log.scan():
        ptype, obj, _ = open_record(e)
        if ptype == ENFORCEMENT_TYPE:
            out.append(obj["key"])
    return out


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(transition, min_size=1, max_size=8), st.lists(st.integers(0, 60 * 24 * 10), max_size=5)
)
def test_runs_never_duplicate_and_cover_a_final_run(transitions, run_minutes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        origin = "test.example/idem"
        signer = Ed25519NoteSigner(origin, KEY)
        store = open_store(f"sqlite:///{Path(tmp) / 's.db'}")
        log = TileLog.create(Path(tmp) / "log", origin, signer, store)
        try:
            log.append(principals())
            log.append(
                [
                    entry(INCIDENT_TYPE, incident(i, s, T0 + timedelta(minutes=m), accused=p))
                    for i, s, m, p in transitions
                ]
            )
            final = T0 + timedelta(days=10)
            app = Appender(log, A, KEYS[ENFORCER], KEYIDS[ENFORCER], authority=authority(A))
            for m in sorted(run_minutes):
                app.run(T0 + timedelta(minutes=m))
                app.run(T0 + timedelta(minutes=m))  # a replay at the same time adds nothing
            Appender(log, A, KEYS[ENFORCER], KEYIDS[ENFORCER], authority=authority(A)).run(final)
            logged = keys_on(log)
            assert len(logged) == len(set(logged))
            fresh = Appender(log, A, KEYS[ENFORCER], KEYIDS[ENFORCER], authority=authority(A))
            assert fresh.pending(final) == []
        finally:
            log.close()
            store.dispose()

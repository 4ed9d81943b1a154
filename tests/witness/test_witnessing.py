"""The log side: a Cosigner collecting a two-party-plus-guarantor quorum over real HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from truceline.clock import FixedClock
from truceline.ledger.policy import Party, Policy, QuorumError, party_quorum
from truceline.ledger.witness.core import Witness
from truceline.ledger.witnessing import Cosigner, WitnessSizes
from truceline.store.base import open_store

from .conftest import make_witness
from .helpers import TestLog, cosigner
from .live import witness_farm

PARTIES = {"A": ("a1", "a2", "a3"), "B": ("b1", "b2"), "G": ("g1", "g2")}
NAMES = [n for names in PARTIES.values() for n in names]


def policy_for(log: TestLog) -> Policy:
    """2 of party A's witnesses AND 2 of party B's AND any guarantor's."""
    vkey = {n: cosigner(n).verifier().vkey for n in NAMES}
    return party_quorum(
        [log.vkey],
        [
            Party("A", 2, [(n, vkey[n]) for n in PARTIES["A"]]),
            Party("B", 2, [(n, vkey[n]) for n in PARTIES["B"]]),
            Party("G", "any", [(n, vkey[n]) for n in PARTIES["G"]]),
        ],
    )


@pytest.fixture
def witnesses(sqlite_engine: Engine, clock: FixedClock, log: TestLog) -> dict[str, Witness]:
    return {n: make_witness(sqlite_engine, n, clock, log) for n in NAMES}


@pytest.fixture
def log_engine(tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    engine = open_store(f"sqlite:///{tmp_path / 'log.db'}")
    yield engine
    engine.dispose()


def cosigner_for(log: TestLog, engine: Engine, urls: dict[str, str], **kw) -> Cosigner:  # type: ignore[no-untyped-def]
    kw.setdefault("timeout", 5.0)
    kw.setdefault("retries", 0)
    return Cosigner(policy_for(log), engine, log.proof, urls=urls, **kw)


def test_all_seven_witnesses_cosign_and_the_quorum_verifies(
    witnesses: dict[str, Witness], log: TestLog, log_engine: Engine
) -> None:
    log.grow(10)
    with witness_farm(witnesses) as urls:
        c = cosigner_for(log, log_engine, urls)
        result = c.collect(log.checkpoint(), 0)
        c.close()
    assert result.quorum_met and result.missing == {}
    assert set(result.cosigned) == set(NAMES)
    verified = policy_for(log).verify(result.note)
    assert verified.witnesses == frozenset(NAMES)
    assert WitnessSizes(log_engine, log.origin).get() == {
        cosigner(n).verifier().vkey: 10 for n in NAMES
    }


def test_quorum_not_met_returns_what_it_has_and_names_the_missing(
    witnesses: dict[str, Witness],
    log: TestLog,
    log_engine: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    log.grow(6)
    with witness_farm(witnesses) as urls:
        urls["a2"] = urls["a3"] = urls["dead"]  # two of party A are down
        c = cosigner_for(log, log_engine, urls)
        with caplog.at_level(logging.WARNING, logger="truceline.witnessing"):
            note = c(log.checkpoint(), 0)
        c.close()
    result = c.last
    assert result is not None and not result.quorum_met
    assert set(result.missing) == {"a2", "a3"}
    assert all(why.startswith("unavailable") for why in result.missing.values())
    assert set(result.cosigned) == {"a1", "b1", "b2", "g1", "g2"}
    assert "QUORUM NOT MET" in caplog.text and "a2" in caplog.text
    with pytest.raises(QuorumError):
        policy_for(log).verify(note)
    # The checkpoint itself is still the log's, with the cosignatures it did get.
    assert note.startswith(log.checkpoint())


def test_a_hanging_witness_does_not_block_once_the_quorum_is_met(
    witnesses: dict[str, Witness], log: TestLog, log_engine: Engine
) -> None:
    live = {n: w for n, w in witnesses.items() if n != "g2"}
    with witness_farm(live, hanging=("g2",)) as urls:
        c = cosigner_for(log, log_engine, urls, timeout=30.0, grace=0.1)
        results = []
        for _ in range(3):
            log.grow(3)
            results.append(c.collect(log.checkpoint(), len(log.leaves) - 3))
        c.close()
    for result in results:
        assert result.quorum_met
        assert set(result.missing) == {"g2"}
        policy_for(log).verify(result.note)
    # The stuck request is not piled on: later rounds skip g2 instead of queueing behind it.
    assert "no answer" in results[0].missing["g2"]
    assert all("still unanswered" in r.missing["g2"] for r in results[1:])


def test_a_hanging_guarantor_fails_the_quorum_after_the_timeout(
    witnesses: dict[str, Witness], log: TestLog, log_engine: Engine
) -> None:
    log.grow(3)
    live = {n: w for n, w in witnesses.items() if n != "g1"}
    with witness_farm(live, hanging=("g1",)) as urls:
        urls["g2"] = urls["dead"]
        c = cosigner_for(log, log_engine, urls, timeout=3.0, request_timeout=30.0)
        result = c.collect(log.checkpoint(), 0)
        c.close()
    assert not result.quorum_met
    assert set(result.missing) == {"g1", "g2"}
    assert "no answer" in result.missing["g1"] or "deadline" in result.missing["g1"]


def test_growth_over_rounds_uses_remembered_sizes_and_survives_a_restart(
    witnesses: dict[str, Witness], log: TestLog, log_engine: Engine
) -> None:
    with witness_farm(witnesses) as urls:
        published = 0
        for grow in (1, 4, 11):
            log.grow(grow)
            c = cosigner_for(log, log_engine, urls)  # a fresh Cosigner: state is in the store
            result = c.collect(log.checkpoint(), published)
            c.close()
            assert result.quorum_met and not result.missing
            published = len(log.leaves)
        sizes = WitnessSizes(log_engine, log.origin).get()
    assert set(sizes.values()) == {16}
    assert {w.store.state(log.origin).size for w in witnesses.values()} == {16}


def test_a_log_that_forgot_its_witness_sizes_recovers_through_409(
    witnesses: dict[str, Witness], log: TestLog, log_engine: Engine, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    log.grow(10)
    with witness_farm(witnesses) as urls:
        c = cosigner_for(log, log_engine, urls)
        assert c.collect(log.checkpoint(), 0).quorum_met
        c.close()
        log.grow(7)
        amnesiac = open_store(f"sqlite:///{tmp_path / 'fresh.db'}")
        c = cosigner_for(log, amnesiac, urls)
        # Guess 0 for everyone: each witness answers 409 "10", and the retry carries proof(10, 17).
        result = c.collect(log.checkpoint(), 0)
        c.close()
    assert result.quorum_met and not result.missing
    assert set(WitnessSizes(amnesiac, log.origin).get().values()) == {17}
    amnesiac.dispose()


def test_an_equivocating_log_is_refused_by_every_witness(
    witnesses: dict[str, Witness], log: TestLog, log_engine: Engine
) -> None:
    log.grow(5)
    fork = TestLog(log.origin, fork="evil ")
    fork.grow(5)
    with witness_farm(witnesses) as urls:
        c = cosigner_for(log, log_engine, urls)
        assert c.collect(log.checkpoint(), 0).quorum_met
        result = c.collect(fork.checkpoint(), 5)
        c.close()
    assert result.cosigned == {} and not result.quorum_met
    assert all(why.startswith("refused") for why in result.missing.values())
    for w in witnesses.values():
        [ev] = w.store.evidence()
        assert ev.kind == "same-size-different-root" and ev.offered == fork.checkpoint()


def test_a_cosignature_from_the_wrong_key_is_not_counted(
    sqlite_engine: Engine, clock: FixedClock, log: TestLog, log_engine: Engine
) -> None:
    from truceline.ledger.cosignature import CosignatureSigner

    from .helpers import seed

    honest = {n: make_witness(sqlite_engine, n, clock, log) for n in NAMES}
    # a1 answers with a key the policy does not list for it.
    honest["a1"] = Witness(honest["a1"].store, CosignatureSigner("a1", seed("rogue")), clock)
    log.grow(2)
    with witness_farm(honest) as urls:
        c = cosigner_for(log, log_engine, urls)
        result = c.collect(log.checkpoint(), 0)
        c.close()
    assert "a1" in result.missing and "no valid cosignature" in result.missing["a1"]
    assert result.quorum_met  # a2 and a3 still make party A's 2


def test_witness_urls_come_from_the_policy_file(
    witnesses: dict[str, Witness], log: TestLog, log_engine: Engine
) -> None:
    log.grow(4)
    with witness_farm(witnesses) as urls:
        lines = [f"log {log.vkey}"]
        for n in NAMES:
            url = f" {urls[n]}" if n != "g2" else ""  # g2 is listed without a URL
            lines.append(f"witness {n} {cosigner(n).verifier().vkey}{url}")
        lines += [
            "group A 2 a1 a2 a3",
            "group B 2 b1 b2",
            "group G any g1 g2",
            "group all-parties all A B G",
            "quorum all-parties",
        ]
        policy = Policy.parse("\n".join(lines) + "\n")
        c = Cosigner(policy, log_engine, log.proof, retries=0)
        result = c.collect(log.checkpoint(), 0)
        c.close()
    assert result.quorum_met
    assert result.missing == {"g2": "no URL in the policy"}
    assert policy.verify(result.note).witnesses == frozenset(NAMES) - {"g2"}


def test_a_cosignature_from_the_future_is_not_published(
    sqlite_engine: Engine, log: TestLog, log_engine: Engine
) -> None:
    from datetime import timedelta

    now = FixedClock(datetime.now(UTC))
    ahead = FixedClock(now.at + timedelta(hours=1))
    ws = {n: make_witness(sqlite_engine, n, ahead if n == "b1" else now, log) for n in NAMES}
    log.grow(2)
    with witness_farm(ws) as urls:
        c = cosigner_for(log, log_engine, urls, clock=now, max_skew=300)
        result = c.collect(log.checkpoint(), 0)
        c.close()
    assert set(result.missing) == {"b1"} and "in the future" in result.missing["b1"]
    assert not result.quorum_met  # party B needs both b1 and b2
    # b1 did cosign size 2, so the log remembers that for next time.
    assert WitnessSizes(log_engine, log.origin).get()[cosigner("b1").verifier().vkey] == 2

"""`truceline demo` end to end (one simulated day): the story's facts, checked from the outside.

One run (module fixture) feeds every test: witnesses cosigned the final checkpoint and
the policy verifies it, breaches were verified, a penalty is in force against a party
that truly breached, every proof the demo printed verifies from its files alone, and
`truceline log audit` / `truceline replay` pass on the home it leaves.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from truceline.adjudication.verdict import State
from truceline.agreement.enforcement import BlockKind, BlockRule, Voter
from truceline.cli import app
from truceline.enforcement.blockrules import decide
from truceline.enforcement.records import Choice
from truceline.home import Home
from truceline.ledger import proof
from truceline.ledger.checkpoint import Checkpoint
from truceline.ledger.policy import Policy
from truceline.ledger.tilelog import CHECKPOINT
from truceline.mission.demo import Demo, _votes_for, run, step_summary


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Demo, str]:
    out = io.StringIO()
    d = Demo(
        home=tmp_path_factory.mktemp("demo") / "home",
        days=1,
        seed=7,
        console=Console(file=out, width=200, color_system=None),
    )
    run(d)
    step_summary(d)
    return d, out.getvalue()


def test_witnesses_cosigned_the_final_checkpoint(demo: tuple[Demo, str]) -> None:
    d, _ = demo
    home = Home(d.home)
    policy = Policy.parse(home.policy.read_bytes())
    note = (home.log_dir / CHECKPOINT).read_bytes()
    verified = policy.verify(note)  # raises unless the log signed it and the quorum cosigned it
    assert verified.checkpoint.size == d.results["ledger_size"]
    # one witness per party and per guarantor, and every one of them cosigned
    assert (
        set(verified.witnesses)
        == set(policy.witnesses)
        == {"west-witness", "east-witness", "guarantor-a-witness", "guarantor-b-witness"}
    )
    # the servers are gone, and the policy no longer sends anyone to them
    assert all(w.url is None for w in policy.witnesses.values())
    assert d.farm is not None
    assert all(w.thread is None for w in d.farm.witnesses.values())


def test_each_witness_kept_the_final_checkpoint_in_its_own_state(demo: tuple[Demo, str]) -> None:
    d, _ = demo
    final = Checkpoint.parse(
        Policy.parse(Home(d.home).policy.read_bytes())
        .verify((Home(d.home).log_dir / CHECKPOINT).read_bytes())
        .note.text
    )
    assert d.farm is not None
    for w in d.farm.witnesses.values():
        [state] = w.witness.store.logs()
        assert (state.size, state.root) == (final.size, final.root_hash)


def test_breaches_were_verified_and_scored(demo: tuple[Demo, str]) -> None:
    d, out = demo
    breaches = d.results["breaches"]
    assert breaches
    assert all(b.state in (State.verified, State.confirmed) for b in breaches)
    scores = d.results["evaluation"]
    assert scores["precision"] >= 0.9
    assert "verified breaches by party and grade" in out
    assert "evaluation against the simulator's truth" in out
    # recall is never shown without its denominator: every true breach, and those enough
    # independent sensors saw to verify
    recall = scores["recall"]
    every = recall["over_all_breach_events"]
    seen = recall["over_breach_events_independent_sensors_saw"]
    assert every["of"] > seen["of"] > 0 and every["found"] >= seen["found"]
    assert f"recall over all {every['of']:,} true breach events" in out
    assert f"recall over the {seen['of']:,} that 2 independent sensors saw" in out


def test_the_demo_ends_with_the_days_report(demo: tuple[Demo, str]) -> None:
    from lxml import html

    d, out = demo
    report = d.results["report"]
    path = Path(report["path"])
    assert path.parent == d.home / "reports" and path.is_file()
    doc = html.fromstring(path.read_bytes())
    for section in ("summary", "key-figures", "map", "charts", "incidents", "penalties"):
        assert doc.get_element_by_id(section) is not None
    squashed = " ".join(out.split())
    assert str(path) in squashed
    assert f"truceline serve --home {d.home}" in squashed


def test_penalty_in_force_against_a_party_that_truly_breached(demo: tuple[Demo, str]) -> None:
    d, out = demo
    story = d.results["story"]
    assert story["status"] == "in_force"
    accused = story["accused"]
    assert f"IN FORCE against {accused}" in out
    # every incident of the case saw a true breach by the accused (truth.jsonl)
    events, obs = d.results["truth"]
    for inc in story["incidents"]:
        seen = story["truth"][inc]
        assert any(e["breach"] and e["party"] == accused for e in seen), (inc, seen)
        assert all(events[e["id"]]["party"] == e["party"] for e in seen)
    # the block attempt failed: the accused's vote was left out, the others counted
    votes = story["votes"]
    assert [v["counted"] for v in votes if v["voter"] == accused] == [False]
    # a plausible vote: the accused and its patron block, the accuser lets it happen
    blockers = {v["voter"] for v in votes if v["choice"] == "block"}
    assert blockers == {accused, *story["allies"]}
    accuser = next(p for p in ("west", "east") if p != accused)
    assert {v["choice"] for v in votes if v["voter"] == accuser} == {"allow"}
    assert all(v["counted"] for v in votes if v["voter"] != accused)
    assert "block_attempt_failed" in story and "penalty_in_force" in story
    assert story["countdown"]["index"] < story["penalty_in_force"]["index"]


def test_every_printed_proof_verifies_from_its_files(demo: tuple[Demo, str]) -> None:
    d, out = demo
    home = Home(d.home)
    vkey = home.log_vkey.read_text().strip()
    policy = Policy.parse(home.policy.read_bytes())
    printed = re.findall(r"tlog-proof of index (\d+) in tree size (\d+) verified", out)
    proofs = d.results["proofs"]
    assert len(printed) == len(proofs) >= 4
    for (index, size), p in zip(printed, proofs, strict=True):
        text = Path(p["file"]).read_bytes()
        entry = Path(p["file"]).with_suffix(".entry").read_bytes()
        cp = proof.verify(text, entry, vkey, policy)
        assert (cp.size, proof.TlogProof.parse(text).index) == (int(size), int(index))
        # and the entry is the log's own entry at that index
        assert _entry_at(home, int(index)) == entry
    # a tampered entry does not verify
    first = proofs[0]
    entry = Path(first["file"]).with_suffix(".entry").read_bytes()
    with pytest.raises(proof.TlogProofError):
        proof.verify(Path(first["file"]).read_bytes(), entry + b" ", vkey, policy)


def _entry_at(home: Home, index: int) -> bytes:
    from truceline.ledger.home import open_log

    log = open_log(home)
    try:
        return log.read(index, index + 1)[0]
    finally:
        log.close()


def test_log_audit_and_replay_pass(demo: tuple[Demo, str]) -> None:
    d, out = demo
    runner = CliRunner()
    audit = runner.invoke(app, ["log", "audit", "--home", str(d.home)])
    assert audit.exit_code == 0, audit.output
    assert "witness policy satisfied" in audit.output
    replay = runner.invoke(app, ["replay", "--home", str(d.home)])
    assert replay.exit_code == 0, replay.output
    assert json.loads(replay.output)["ok"] is True
    assert f"truceline log audit --home {d.home}" in out
    assert f"truceline replay --home {d.home}" in out


@pytest.mark.parametrize(
    "rule",
    [
        BlockRule(
            id="council",
            kind=BlockKind.reverse_veto,
            window_days=30,
            majority=3,
            voters=[
                Voter(id="g1", veto=True),
                Voter(id="g2", veto=True),
                Voter(id="a"),
                Voter(id="b"),
            ],
        ),
        BlockRule(
            id="council",
            kind=BlockKind.reverse_veto,
            window_days=30,
            majority=2,
            voters=[Voter(id="g1"), Voter(id="g2"), Voter(id="a"), Voter(id="b")],
        ),
        BlockRule(
            id="eu",
            kind=BlockKind.reverse_qualified_majority,
            window_days=30,
            voters=[Voter(id=x) for x in ("a", "b", "c", "d", "e")],
        ),
        BlockRule(
            id="eu",
            kind=BlockKind.reverse_qualified_majority,
            window_days=30,
            voters=[Voter(id="a"), Voter(id="b")],
        ),
        BlockRule(
            id="wto",
            kind=BlockKind.negative_consensus,
            window_days=30,
            voters=[Voter(id=x) for x in ("a", "b", "c")],
        ),
    ],
)
@pytest.mark.parametrize("ally", ["g2", "b"])
def test_the_story_votes_fail_to_block_under_every_model(rule: BlockRule, ally: str) -> None:
    votes = _votes_for(rule, "a", [ally])
    assert ("a", "block") in votes  # the accused tries too; the rule leaves it out
    tally = decide(rule, {v: Choice(c) for v, c in votes}, "a")
    assert not tally.blocked, tally
    others = {v.id for v in rule.voters} - {"a", ally}
    # nobody but the accused's side votes to block: no accuser blocks sanctions on the accused
    assert all(c != "block" for v, c in votes if v in others)
    if ally in {v.id for v in rule.voters} and tally.eligible > 2:
        assert tally.block >= 1  # an attempt by the ally, not a non-event


def test_the_log_kept_publishing_while_a_guarantor_witness_was_down(demo: tuple[Demo, str]) -> None:
    d, _ = demo
    story = d.results["story"]
    offline = story["offline"]
    assert offline == "guarantor-b-witness"
    # every checkpoint of the outage met the quorum (verified) without the offline witness
    assert story["outage"] and all(offline not in c and len(c) == 3 for c in story["outage"])
    # back at the deadline, it caught up to the final size through a consistency proof
    before, after = story["caught_up"]
    assert before < after == d.results["ledger_size"]

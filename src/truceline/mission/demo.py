"""`truceline demo`: a simulated ceasefire run through the real pipeline, end to end.

The demo is a list of small steps over one `Demo` context, run in order:

    simulate   -> a seeded scenario into DIR-sim (agreement, sensors, keys, envelopes, truth)
    init       -> a mission home: keys, store, ledger, the agreement's first version
    witnesses  -> one tlog-witness per party and guarantor (real servers on 127.0.0.1),
                  and the home's tlog-policy naming them: from now on every checkpoint
                  is cosigned (`truceline.mission.witnesses`)
    register   -> every simulated sensor in the registry (signed by the mission key)
    ingest     -> every envelope through the real ingest path into the ledger
    fuse       -> fusion and adjudication of the whole log; verified breaches by party and
                  grade; the evaluation against the simulator's truth
    enforce    -> one penalty case told step by step: the breach and its proof, the
                  countdown, signed votes that fail to block (while a guarantor's
                  witness is offline: the quorum still holds), the penalty in force
                  at the deadline (the witness is back and catches up)
    report     -> the daily report of the scenario's last day, HTML, in HOME/reports
    (finally)  -> witnesses stopped; the policy keeps their keys, without URLs

Event time drives everything: each step sets the demo clock (which the witnesses
stamp their cosignatures with) to the moment it stands for, and the enforcement
story passes `now` explicitly, so nothing sleeps and nothing depends on when
the demo is run. Every proof printed is also written under HOME/proofs (the
entry and its c2sp.org/tlog-proof) and verified against the log key and the
witness policy before it is printed.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from truceline.clock import FixedClock, monotonic
from truceline.mission.options import fail

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from truceline.agreement.enforcement import BlockRule
    from truceline.enforcement.appender import Appender
    from truceline.enforcement.penalties import CaseState
    from truceline.ledger.base import Ledger
    from truceline.mission.witnesses import WitnessFarm

COSIGN_WAIT = 30.0
"""Seconds the story's log waits for every witness (a dead one answers at once: refused)."""
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass
class Demo:
    home: Path
    seed: int = 7
    days: float = 2.0
    scenario: str = "duel"
    workers: int = 0
    console: Console = field(default_factory=Console)
    # the demo's event-time clock: witnesses stamp cosignatures with it
    clock: FixedClock = field(default_factory=lambda: FixedClock(EPOCH))
    # filled in by the steps
    sim_dir: Path | None = None
    start: datetime | None = None
    end: datetime | None = None
    farm: WitnessFarm | None = None
    info: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def proofs_dir(self) -> Path:
        return self.home / "proofs"


def step_simulate(d: Demo) -> None:
    from truceline.simulate import config, writer

    scenario = config.load(d.scenario, days=d.days)
    d.sim_dir = d.home.parent / f"{d.home.name}-sim"
    d.info = writer.simulate(scenario, d.seed, d.sim_dir, d.workers or None)
    d.start = scenario.start
    d.end = scenario.start + timedelta(days=scenario.days)
    ev = d.info.get("events", {})
    d.console.rule("[bold]1. simulate")
    d.console.print(
        f"scenario {d.scenario!r}, seed {d.seed}, {d.days:g} days from {d.start.isoformat()}: "
        f"{ev.get('total', '?')} true events, {ev.get('breaches', '?')} of them breaches "
        f"(ground truth in {d.sim_dir / 'truth.jsonl'})"
    )


def step_init(d: Demo) -> None:
    from truceline.agreement.load import load_agreement
    from truceline.ingest.bootstrap import init_home

    assert d.sim_dir is not None and d.start is not None
    path = d.sim_dir / "agreement.yaml"
    d.clock.at = d.start - timedelta(hours=1)
    lines = init_home(
        d.home,
        load_agreement(path),
        path.read_text(),
        d.sim_dir / "keys" / "signatories",
        None,
        None,
        FixedClock(d.clock.at),
        key_source=lambda name: _seeded_key(d, name),
    )
    d.results["init"] = lines
    d.console.rule("[bold]2. mission home")
    d.console.print(
        f"home {d.home}: log, keys, store (SQLite); the agreement is entry 0 of the log"
    )


def _seeded_key(d: Demo, name: str) -> Ed25519PrivateKey:
    """The mission principals' keys, derived from the seed (`init` makes them at random
    otherwise), so that the log's bytes, and its root, are the same for a seed."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    raw = hashlib.sha256(f"truceline-demo/{d.seed}/{name}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(raw)


def step_witnesses(d: Demo) -> None:
    """A witness per party and guarantor; quorum: each party's AND any guarantor's."""
    from truceline.agreement.load import load_agreement
    from truceline.agreement.model import Role
    from truceline.home import Home
    from truceline.ledger.tilelog import TileLog

    # Here, not at the top: the witness servers pull in FastAPI, which every `truceline`
    # command would otherwise load at start-up.
    from truceline.mission.witnesses import WitnessFarm, WitnessGroup

    assert d.sim_dir is not None
    agreement = load_agreement(d.sim_dir / "agreement.yaml")
    parties = [s.id for s in agreement.signatories if s.role is Role.party]
    guarantors = [s.id for s in agreement.signatories if s.role is Role.guarantor]
    groups = [WitnessGroup(p, 1, (p,)) for p in parties]
    if guarantors:
        groups.append(WitnessGroup("guarantors", "any", tuple(guarantors)))
    home = Home(d.home)
    farm = WitnessFarm(d.home.parent / f"{d.home.name}-witnesses", groups, d.clock, d.seed)
    d.farm = farm
    farm.create(TileLog.origin_of(home.log_dir), home.log_vkey.read_text().strip())
    farm.start()
    policy = farm.write_policy(home)
    d.console.rule("[bold]3. witnesses")
    t = Table(title="witnesses (tlog-witness, each its own key, state and port)")
    for col in ("policy name", "run by", "cosigner key name", "listening on"):
        t.add_column(col)
    for w in farm.witnesses.values():
        t.add_row(w.name, w.operator, w.witness.name, w.url.removeprefix("http://"))
    d.console.print(t)
    groups_text = " AND ".join(
        f"{g.threshold} of {g.name} ({', '.join(m + '-witness' for m in g.members)})"
        for g in groups
    )
    d.console.print(f"tlog-policy {home.policy}: quorum = {groups_text}")
    d.results["policy_quorum"] = policy.quorum


def step_register(d: Demo) -> None:
    import json

    from truceline.authority import authority_of, registrar_ids
    from truceline.home import Home
    from truceline.registry.model import Register, SensorList
    from truceline.registry.state import seal_event

    assert d.sim_dir is not None and d.start is not None
    sensors = SensorList.model_validate(
        json.loads((d.sim_dir / "sensors.json").read_text())
    ).sensors
    home = Home(d.home)
    ledger = home.ledger()
    try:
        mission, mkid, _ = home.signing_key(*registrar_ids(authority_of(ledger)))
        when = d.start - timedelta(hours=1)
        d.clock.at = when
        ledger.append(
            [seal_event(Register(effective_at=when, sensor=s), mission, mkid) for s in sensors]
        )
    finally:
        ledger.close()
    d.results["registered"] = len(sensors)
    d.console.rule("[bold]4. registry")
    d.console.print(f"{len(sensors)} sensors registered (signed by the mission key, on the log)")


def step_ingest(d: Demo) -> None:
    from truceline.home import Home
    from truceline.ingest.formats import split_envelopes
    from truceline.ingest.service import Mission

    assert d.sim_dir is not None and d.end is not None
    envelopes = split_envelopes((d.sim_dir / "observations.jsonl").read_bytes())
    # the clock stands just after the scenario's end: no observation is "from the future"
    d.clock.at = d.end + timedelta(hours=1)
    with Mission(Home(d.home), FixedClock(d.clock.at), workers=d.workers) as mission:
        tally = mission.ingest_envelopes(envelopes, "observations.jsonl")
        d.results["ledger_size"] = d.results["ingested_size"] = mission.ledger.size
        d.results["checkpoint"] = mission.ledger.checkpoint().decode()
    d.results["generated"] = len(envelopes)
    d.results["ingest"] = tally.to_json()
    d.console.rule("[bold]5. ingest")
    d.console.print(
        f"{len(envelopes)} signed observations: {tally.accepted} accepted, "
        f"{sum(tally.rejected.values())} rejected; log size {d.results['ledger_size']}"
    )
    _show_checkpoint(d, "checkpoint after ingest", full=False)


def _policy(d: Demo) -> Any:
    from truceline.home import Home
    from truceline.ledger.policy import Policy

    return Policy.parse(Home(d.home).policy.read_bytes())


def _show_checkpoint(d: Demo, title: str, *, full: bool = True) -> None:
    """Print the current checkpoint (the whole note if `full`) and who cosigned it (verified)."""
    from truceline.home import Home
    from truceline.ledger.tilelog import CHECKPOINT

    note = (Home(d.home).log_dir / CHECKPOINT).read_bytes()
    verified = _policy(d).verify(note)
    d.results["final_checkpoint"] = note.decode()
    d.results["cosigned_by"] = sorted(verified.witnesses)
    d.console.print(f"[bold]{title}[/bold] (size {verified.checkpoint.size}):")
    if full:
        d.console.print(note.decode().rstrip("\n"), style="dim", highlight=False, markup=False)
    else:
        d.console.print(f"  root {verified.checkpoint.root_hash.hex()}", highlight=False)
    d.console.print(
        f"  log signature OK; cosigned by {', '.join(sorted(verified.witnesses))}: quorum met"
    )


def step_fuse(d: Demo) -> None:
    """Fuse and adjudicate the whole log (as `truceline fuse`), then score against the truth."""
    from truceline.adjudication.evaluate import DETECTED, evaluate_engine, load_truth
    from truceline.adjudication.service import fuse, recompute
    from truceline.adjudication.verdict import State
    from truceline.home import Home

    assert d.sim_dir is not None
    home = Home(d.home)
    assert d.end is not None
    # The batch runs once the whole feed is ingested: its verdicts are logged then.
    d.clock.at = d.end + timedelta(hours=2)
    summary = fuse(home, d.clock)
    verified_states = frozenset({State.verified, State.confirmed})
    verdicts = recompute(home)
    logged = [(i, rec) for i, rec, _ in verdicts.view.transitions]
    latest = verdicts.engine.incidents()
    breaches = [r for r in latest if r.state in verified_states and r.rules and r.accused]
    contested = [r for r in latest if r.state in DETECTED - verified_states and r.rules]
    d.results["fuse"] = summary
    d.results["transitions"] = logged
    d.results["breaches"] = breaches
    events, obs = load_truth(d.sim_dir / "truth.jsonl")
    scores = evaluate_engine(
        verdicts.engine,
        [rec for _, rec in logged],
        dict(verdicts.view.observations),
        verdicts.view.sensors(),
        events,
        obs,
    )
    d.results["evaluation"] = scores
    d.results["truth"] = (events, obs)
    d.results["observations"] = dict(verdicts.view.observations)
    d.results["members"] = verdicts.engine.members()

    d.console.rule("[bold]6. fusion and adjudication")
    d.console.print(
        f"{summary['observations']} observations -> {summary['incidents']} incidents, "
        f"{summary['appended']} transitions appended (signed by the adjudicator key)"
    )
    if not breaches:
        d.console.print("no verified breach in this run")
    grades = sorted({r.grade.value for r in breaches})
    parties = sorted({r.accused for r in breaches if r.accused})
    t = Table(title="verified breaches by party and grade")
    t.add_column("party")
    for g in grades:
        t.add_column(g, justify="right")
    t.add_column("total", justify="right")
    for p in parties:
        row = [sum(1 for r in breaches if r.accused == p and r.grade.value == g) for g in grades]
        t.add_row(p, *map(str, row), str(sum(row)))
    if breaches:
        d.console.print(t)
    if contested:
        d.console.print(f"(and {len(contested)} verified, then disputed: under inspection)")
    e = Table(title="evaluation against the simulator's truth")
    e.add_column("measure")
    e.add_column("value", justify="right")
    e.add_row("precision", _num(scores["precision"]))
    for name, label in (
        ("over_all_breach_events", "recall over all {of:,} true breach events"),
        ("over_breach_events_any_sensor_saw", "recall over the {of:,} any sensor saw"),
        (
            "over_breach_events_independent_sensors_saw",
            "recall over the {of:,} that {k} independent sensors saw",
        ),
    ):
        r = scores["recall"][name]
        e.add_row(
            label.format(of=r["of"], k=_min_sources(d)),
            f"{_num(r['value'])} ({r['found']:,} found)",
        )
    e.add_row(
        f"F1 (recall over what {_min_sources(d)} independent sensors saw)", _num(scores["f1"])
    )
    e.add_row("F1 (recall over all true breach events)", _num(scores["f1_over_all_breach_events"]))
    e.add_row("attribution accuracy", _num(scores["attribution_accuracy"]))
    for label, key in (
        ("localization error median / p90", "localization_error_m"),
        ("  where a radar saw it", "localization_error_radar_m"),
    ):
        loc = scores[key]
        e.add_row(label, f"{_num(loc['median'], '.1f')} m / {_num(loc['p90'], '.1f')} m")
    false = scores["false_accusations_by_grade"]
    e.add_row(
        "false accusations by grade",
        ", ".join(f"{g} {n}" for g, n in false.items()) or "none",
    )
    d.console.print(e)


def _min_sources(d: Demo) -> int:
    """The fewest independent sources the agreement's evidence standard verifies on."""
    from truceline.agreement.load import load_agreement

    assert d.sim_dir is not None
    return load_agreement(d.sim_dir / "agreement.yaml").evidence.fair_min_sources


def _num(x: float | None, fmt: str = ".3f") -> str:
    """A score, or '-' where the run gave nothing to score (e.g. no incident at all)."""
    return "-" if x is None else format(x, fmt)


def _prove(d: Demo, ledger: Any, index: int, label: str) -> dict[str, Any]:
    """A tlog-proof of entry `index` against the log's latest (cosigned) checkpoint.

    It is verified here as an outsider would (log key + witness policy), then written
    to HOME/proofs/<label>.{entry,tlog-proof} and summarised for printing.
    """
    from truceline.home import Home
    from truceline.ledger import proof

    entry = ledger.read(index, index + 1)[0]
    text = ledger.prove(index)
    vkey = Home(d.home).log_vkey.read_text().strip()
    policy = _policy(d)
    cp = proof.verify(text, entry, vkey, policy)
    cosigned = sorted(policy.verify(proof.TlogProof.parse(text).checkpoint).witnesses)
    d.proofs_dir.mkdir(exist_ok=True)
    (d.proofs_dir / f"{label}.entry").write_bytes(entry)
    (d.proofs_dir / f"{label}.tlog-proof").write_bytes(text)
    out = {
        "label": label,
        "index": index,
        "size": cp.size,
        "root": cp.root_hash.hex(),
        "cosigned_by": cosigned,
        "file": str(d.proofs_dir / f"{label}.tlog-proof"),
    }
    d.results.setdefault("proofs", []).append(out)
    return out


def _proof_line(p: dict[str, Any]) -> str:
    return (
        f"  tlog-proof of index {p['index']} in tree size {p['size']} verified "
        f"(log key + cosigned by {', '.join(p['cosigned_by'])}) -> {p['file']}"
    )


def patrons(agreement: Any) -> dict[str, str]:
    """The story's alignments: each party has a patron among the guarantors (the i-th
    party the i-th guarantor, in the agreement's order), who sides with it in a vote."""
    from truceline.agreement.model import Role

    parties = [s.id for s in agreement.signatories if s.role is Role.party]
    guarantors = [s.id for s in agreement.signatories if s.role is Role.guarantor]
    return {p: guarantors[i % len(guarantors)] for i, p in enumerate(parties) if guarantors}


def _votes_for(rule: Any, accused: str, allies: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(voter, choice) pairs of a plausible block attempt that fails under the rule.

    The accused and its allies vote to block the penalty; everyone else, the accusing
    party among them, votes to let it happen (`allow`), in the rule's order of voters. The accused's vote is
    logged but not counted (`exclude_accused`). Under a reverse veto a veto holder's
    `allow` vetoes the continuation; under a reverse qualified majority or negative
    consensus the allies are too few. Should the allies alone reach the rule's bar (a
    council of two), they abstain instead, and the attempt is the accused's alone.
    """
    from truceline.enforcement.blockrules import decide
    from truceline.enforcement.records import Choice

    ids = [v.id for v in rule.voters]
    votes: list[tuple[str, str]] = [(accused, "block")] if accused in ids else []
    friends = [v for v in ids if v in allies and v != accused]
    votes += [(v, "block") for v in friends]
    votes += [(v, "allow") for v in ids if v != accused and v not in friends]
    if decide(rule, {v: Choice(c) for v, c in votes}, accused).blocked:
        votes = [(v, "abstain" if v in friends else c) for v, c in votes]
    return votes


def _spare_witness(d: Demo) -> str | None:
    """A witness the quorum can do without: the last of a group that needs fewer than all."""
    from truceline.mission.witnesses import witness_name

    if d.farm is None:
        return None
    for g in d.farm.groups:
        need = (
            len(g.members)
            if g.threshold == "all"
            else 1
            if g.threshold == "any"
            else int(g.threshold)
        )
        if need < len(g.members):
            return witness_name(g.members[-1])
    return None


def _cosigners(d: Demo) -> tuple[int, list[str]]:
    """The current checkpoint's size and the witnesses whose cosignatures verify (quorum or raise)."""
    from truceline.home import Home
    from truceline.ledger.tilelog import CHECKPOINT

    verified = _policy(d).verify((Home(d.home).log_dir / CHECKPOINT).read_bytes())
    return verified.checkpoint.size, sorted(verified.witnesses)


def _enforcement_index(app: Any, key: str) -> int | None:
    from truceline.enforcement.records import ENFORCEMENT_TYPE

    app.catch_up()
    for rec in app.records:
        if rec.payload_type == ENFORCEMENT_TYPE and rec.payload.get("key") == key:
            return int(rec.index)
    return None


def step_enforce(d: Demo) -> None:
    """One penalty case, step by step, through the real appender and signed votes."""
    assert d.end is not None
    story: dict[str, Any] = {}
    d.results["story"] = story
    d.console.rule("[bold]7. enforcement: one case, step by step")
    t0 = d.end + timedelta(hours=3)  # after the batch fuse logged its verdicts
    d.clock.at = t0
    with _story_log(d) as ledger:
        opened = _open_case(d, ledger, t0, story)
        if opened is not None:
            _block_attempt(d, *opened, t0, story)
        d.results["ledger_size"] = ledger.size
    if opened is not None:
        before = _bring_back(d, story)
        # A fresh handle on the log: its Cosigner has no request of the outage in flight.
        with _story_log(d) as ledger:
            _deadline(d, ledger, opened[1], story, before)
            d.results["ledger_size"] = ledger.size
    _show_checkpoint(d, "final checkpoint")


@contextmanager
def _story_log(d: Demo) -> Iterator[Ledger]:
    """The home's log with a Cosigner that waits for every witness's answer (up to
    COSIGN_WAIT s) instead of 0.2 s past the quorum, and checks cosignature times
    against the demo's clock: so which witnesses cosign does not depend on machine load."""
    from truceline.home import Home
    from truceline.ledger.home import open_log
    from truceline.ledger.witnessing import Cosigner
    from truceline.store.base import open_store

    home = Home(d.home)
    engine = open_store(home.store_url)
    hook = Cosigner(_policy(d), engine, timeout=COSIGN_WAIT, grace=COSIGN_WAIT, clock=d.clock)
    log = open_log(home, engine, cosigner=hook)
    hook.consistency_proof = log.consistency_proof
    try:
        yield log
    finally:
        log.close()
        hook.close()
        engine.dispose()


def _open_case(
    d: Demo, ledger: Ledger, t0: datetime, story: dict[str, Any]
) -> tuple[Appender, CaseState, BlockRule] | None:
    """The appender's first run; then (a) the breach behind the first case with a block
    rule and (b) its countdown, each with a verified proof."""
    from truceline.adjudication.verdict import State
    from truceline.enforcement.appender import open_appender
    from truceline.home import Home
    from truceline.observation import format_time

    app = open_appender(Home(d.home), ledger, t0, write=True)
    first = app.run(t0)
    state = app.state(t0, plan_routes=False)
    story["appended_at_start"] = len(first)
    rules = {r.id: r for r in app.agreement.penalties.block_rules}
    cases = sorted(
        (cs for cs in state.cases if cs.case.rung.block_rule in rules),
        key=lambda cs: (cs.case.opened_at, cs.case.id),
    )
    in_force = [cs for cs in state.cases if cs.status.value == "in_force"]
    d.console.print(
        f"appender at {format_time(t0)}: {len(first)} transitions logged; "
        f"{len(state.cases)} penalty cases, {len(in_force)} already in force "
        "(rungs without a block rule)"
    )
    if not cases:
        d.console.print(
            "[yellow]no case reached a rung with a block rule in this run; try more --days[/yellow]"
        )
        return None
    cs = cases[0]
    case = cs.case
    rule = rules[case.rung.block_rule or ""]
    story["case"] = case.id
    story["accused"] = case.accused
    story["incidents"] = list(case.incidents)

    # (a) the verified breach behind it: the first of the case's incidents, and the
    # first of its logged transitions that counts for the rung (grade in the trigger)
    inc = case.incidents[0]
    history = [(i, r) for i, r in d.results["transitions"] if r.incident == inc]
    grades = set(case.rung.trigger.grades)
    idx, rec = next(
        (i, r)
        for i, r in history
        if r.state in (State.verified, State.confirmed) and (not grades or r.grade in grades)
    )
    p = _prove(d, ledger, idx, "1-incident-verified")
    story["breach"] = {
        "incident": inc,
        "index": idx,
        "grade": rec.grade.value,
        "accused": rec.accused,
        "rules": rec.rules,
        "evidence": rec.evidence,
        "proof": p,
    }
    d.console.print(
        f"\n[bold](a) verified breach[/bold] {inc}: {rec.kind} by [bold]{rec.accused}[/bold], "
        f"rules {', '.join(rec.rules)}, at {format_time(rec.at)}, "
        f"{rec.location[1]:.4f}N {rec.location[0]:.4f}E ± {rec.uncertainty_m:g} m"
    )
    d.console.print(
        "  incident history on the log: "
        + ", ".join(f"entry {i} {r.state.value} ({r.grade.value})" for i, r in history)
    )
    d.console.print(
        f"  evidence: ledger leaves {rec.evidence} ({len(rec.evidence)} independent observations)"
    )
    d.console.print(f"  record '{rec.state.value}' with grade {rec.grade.value}: entry {idx}")
    d.console.print(_proof_line(p))
    d.console.print(
        (d.proofs_dir / "1-incident-verified.tlog-proof").read_text().rstrip("\n"),
        style="dim",
        highlight=False,
        markup=False,
    )

    # (b) the countdown
    ci = _enforcement_index(app, f"{case.id}:countdown_started")
    assert ci is not None, "the appender did not log the countdown"
    p = _prove(d, ledger, ci, "2-countdown-started")
    tl = cs.timeline
    story["countdown"] = {"index": ci, "proof": p}
    d.console.print(
        f"\n[bold](b) countdown started[/bold] {case.id}: rung {case.rung.id!r} "
        f"({case.rung.penalty}) against {case.accused}, {len(case.incidents)} breaches "
        f"{list(case.incidents)}"
    )
    d.console.print(
        f"  opened {format_time(case.opened_at)}; votes until "
        f"{format_time(tl.vote_deadline) if tl.vote_deadline else '-'}; "
        f"takes effect {format_time(tl.effective_at)} unless blocked ({rule.kind.value})"
    )
    d.console.print(f"  countdown_started is log entry {ci}")
    d.console.print(_proof_line(p))

    return app, cs, rule


def _block_attempt(
    d: Demo, app: Appender, cs: CaseState, rule: BlockRule, t0: datetime, story: dict[str, Any]
) -> None:
    """(c) signed votes that try to block the penalty, while one guarantor's witness is down."""
    from truceline.codec.keys import key_id, load_private_key
    from truceline.codec.records import seal
    from truceline.enforcement.records import VOTE_TYPE
    from truceline.enforcement.submit import submit
    from truceline.observation import format_time

    assert d.sim_dir is not None
    case = cs.case
    d.console.print(f"\n[bold](c) block attempt[/bold] under {rule.id!r} ({rule.kind.value})")
    offline = _spare_witness(d)
    if offline is not None and d.farm is not None:
        d.farm.take_offline(offline)
        story["offline"] = offline
        story["outage"] = []
        d.console.print(
            f"  {offline} goes offline (its server stops); the quorum needs only any "
            "one guarantor's witness, so the log keeps publishing"
        )
    story["votes"] = []
    cast = t0 + timedelta(days=1)
    allies = [patrons(app.agreement).get(case.accused, "")]
    story["allies"] = allies
    d.console.print(
        f"  {case.accused} and its patron {', '.join(allies)} try to block; the accusing "
        "party and the other guarantor let the penalty happen"
    )
    for voter, choice in _votes_for(rule, case.accused, allies):
        key_path = d.sim_dir / "keys" / "signatories" / f"{voter}.key"
        if not key_path.exists():
            d.console.print(f"  {voter}: no key in {key_path.parent}, no vote")
            continue
        cast += timedelta(hours=1)
        d.clock.at = cast
        private = load_private_key(key_path)
        obj = {"case": case.id, "voter": voter, "choice": choice, "cast_at": format_time(cast)}
        entry = seal(VOTE_TYPE, obj, private, key_id(private.public_key()))
        d.console.print(f"  {format_time(cast)} {voter} signs a vote: {choice}")
        acc = submit(app, entry, cast)
        story["votes"].append(
            {
                "voter": voter,
                "choice": choice,
                "index": acc.index,
                "counted": acc.counted,
                "reason": acc.reason,
            }
        )
        d.console.print(
            f"    log entry {acc.index}: "
            + ("counted" if acc.counted else f"not counted ({acc.reason})")
        )
        if acc.appended:
            d.console.print(
                f"    (the appender, run by the vote, also logs {len(acc.appended)} "
                "transitions due by then: playbook steps, escalations, inspections)",
                style="dim",
            )
        if offline is not None:
            size, cosigners = _cosigners(d)
            story["outage"].append(cosigners)
            d.console.print(
                f"    checkpoint {size} cosigned by {', '.join(cosigners)}: quorum met", style="dim"
            )


def _bring_back(d: Demo, story: dict[str, Any]) -> int | None:
    """Restart the witness taken offline; the size it had cosigned before (None: no outage)."""
    offline = story.get("offline")
    if offline is None or d.farm is None:
        return None
    [before] = d.farm.witnesses[offline].witness.store.logs()
    d.farm.bring_back(offline)
    return before.size


def _deadline(
    d: Demo, ledger: Ledger, cs: CaseState, story: dict[str, Any], before: int | None
) -> None:
    """(d) the appender at the deadline: the failed block and the penalty, with proofs."""
    from truceline.enforcement.appender import open_appender
    from truceline.home import Home
    from truceline.observation import format_time

    case = cs.case
    app = open_appender(Home(d.home), ledger, cs.timeline.effective_at, write=True)
    final = next(
        c
        for c in app.state(cs.timeline.effective_at, plan_routes=False).cases
        if c.case.id == case.id
    )
    deadline = final.timeline.effective_at
    d.clock.at = deadline
    appended = app.run(deadline)
    story["appended_at_deadline"] = len(appended)
    story["status"] = final.status.value
    d.console.print(
        f"\n[bold](d) deadline[/bold] {format_time(deadline)}: appender logs "
        f"{len(appended)} transitions"
    )
    offline = story.get("offline")
    if offline is not None and d.farm is not None and before is not None:
        [after] = d.farm.witnesses[offline].witness.store.logs()
        story["caught_up"] = (before, after.size)
        d.console.print(
            f"  {offline} is back on its port and cosigns again: from size {before} "
            f"to {after.size}, checked with a consistency proof"
        )
    if final.tally is not None:
        tl_ = final.tally
        d.console.print(
            f"  tally: {tl_.block} block, {tl_.allow} allow, {tl_.abstain} abstain of "
            f"{tl_.eligible} eligible -> {tl_.reason}"
        )
    for kind in ("block_attempt_failed", "blocked", "penalty_in_force"):
        i = _enforcement_index(app, f"{case.id}:{kind}")
        if i is None:
            continue
        p = _prove(d, ledger, i, f"3-{kind.replace('_', '-')}")
        story[kind] = {"index": i, "proof": p}
        d.console.print(f"  {kind} is log entry {i}")
        d.console.print(_proof_line(p))
    verdict = (
        f"[bold red]{case.rung.penalty} IN FORCE against {case.accused}[/bold red]"
        if final.status.value == "in_force"
        else f"[bold]{final.status.value}[/bold]: {final.reason}"
    )
    d.console.print(f"  {verdict}")
    story["truth"] = _truth_of(d, case.incidents)
    d.console.print("  the simulator's truth about the case's incidents:")
    for i, evs in story["truth"].items():
        by = sorted({(e["party"], e["breach"]) for e in evs})
        d.console.print(
            f"    {i}: its evidence saw {len(evs)} true events, "
            + ", ".join(f"{'breaches' if b else 'lawful acts'} by {p}" for p, b in by)
        )


def _truth_of(d: Demo, incidents: tuple[str, ...] | list[str]) -> dict[str, list[dict[str, Any]]]:
    """For each incident, the true events its evidence saw: id, party, breach (from truth.jsonl)."""
    events, obs = d.results["truth"]
    observations = d.results["observations"]
    members = d.results["members"]
    latest = {r.incident: r for r in d.results["breaches"]}
    out: dict[str, list[dict[str, Any]]] = {}
    for inc in incidents:
        evidence = members.get(inc) or (latest[inc].evidence if inc in latest else [])
        seen: dict[str, dict[str, Any]] = {}
        for i in evidence:
            o = observations.get(i)
            t = obs.get((o.sensor, o.seq)) if o is not None else None
            ev = events.get(str(t["event"])) if t else None
            if ev is not None:
                seen[ev["id"]] = {
                    "id": ev["id"],
                    "party": ev.get("party"),
                    "breach": bool(ev.get("breach")),
                }
        out[inc] = list(seen.values())
    return out


def step_summary(d: Demo) -> None:
    t = Table(title=f"truceline demo: {d.scenario}, seed {d.seed}, {d.days:g} days")
    t.add_column("")
    t.add_column("", justify="right")
    ev = d.info.get("events", {})
    t.add_row("true events", str(ev.get("total", "-")))
    t.add_row("  of which breaches", str(ev.get("breaches", "-")))
    t.add_row("sensors registered", str(d.results.get("registered", "-")))
    t.add_row("observations generated", str(d.results.get("generated", "-")))
    ingest = d.results.get("ingest", {})
    t.add_row("  accepted", str(ingest.get("accepted", "-")))
    t.add_row("  rejected", str(ingest.get("rejected", "-")))
    for reason, n in ingest.get("rejected_by_reason", {}).items():
        t.add_row(f"    {reason}", str(n))
    t.add_row("verified breaches", str(len(d.results.get("breaches", []))))
    story = d.results.get("story", {})
    if "status" in story:
        t.add_row("penalty case", f"{story['case']}: {story['status']}")
    t.add_row("ledger size", str(d.results.get("ledger_size", "-")))
    t.add_row("cosigned by", ", ".join(d.results.get("cosigned_by", [])) or "-")
    t.add_row("proofs verified", str(len(d.results.get("proofs", []))))
    for name, seconds in d.timings.items():
        t.add_row(f"time: {name}", f"{seconds:.1f} s")
    d.console.print(t)
    h = d.home
    d.console.print(f"mission home {h} (log in {h / 'log'}, witness policy {h / 'policy'})")
    d.console.print(f"scenario files {d.sim_dir}; proofs {d.proofs_dir}")
    report = d.results.get("report")
    if report is not None:
        d.console.print(f"daily report ({report['day']}): {report['path']}", highlight=False)
    d.console.print(f"open the dashboard: truceline serve --home {h}", highlight=False)
    d.console.print("check it yourself:")
    day = report["day"] if report is not None else "DAY"
    for cmd in (
        f"truceline log audit --home {h}",
        f"truceline replay --home {h}",
        f"truceline evaluate --home {h} --truth {d.sim_dir}/truth.jsonl",
        f"truceline penalties --home {h} --now {_deadline_text(d)}",
        f"truceline metrics --home {h} --from {day} --to {_next_day(day)} --format csv",
        f"truceline report --home {h} --date {day} --format pdf --lang uk",
        f"truceline log prove --home {h} INDEX",
    ):
        d.console.print(f"  {cmd}", highlight=False)


def _next_day(day: str) -> str:
    from datetime import date

    try:
        return (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    except ValueError:
        return "DAY+1"


def _deadline_text(d: Demo) -> str:
    from truceline.observation import format_time

    clock_at = d.clock.at
    return format_time(clock_at) if clock_at != EPOCH else "T"


def stop_witnesses(d: Demo) -> None:
    """Stop the witness servers; keep their keys and the quorum in the policy, without URLs."""
    from truceline.home import Home

    if d.farm is None:
        return
    d.farm.stop()
    if Home(d.home).log_vkey.exists():
        d.farm.write_policy(Home(d.home), urls=False)


def step_report(d: Demo) -> None:
    """The daily report of the scenario's last day, as HTML in the home (`truceline report`)."""
    from truceline.home import Home
    from truceline.report.make import make_report

    assert d.end is not None
    day = (d.end - timedelta(microseconds=1)).date()
    made = make_report(Home(d.home), day, "en", "html")
    path = d.home / "reports" / f"{day.isoformat()}.en.html"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(made.data)
    d.results["report"] = {"day": day.isoformat(), "path": str(path), "bytes": len(made.data)}
    d.console.rule("[bold]8. daily report")
    d.console.print(
        f"the report of {day.isoformat()} (log size {made.log_size}): {path}", highlight=False
    )


STEPS: list[tuple[str, Callable[[Demo], None]]] = [
    ("simulate", step_simulate),
    ("init", step_init),
    ("witnesses", step_witnesses),
    ("register", step_register),
    ("ingest", step_ingest),
    ("fuse", step_fuse),
    ("enforce", step_enforce),
    ("report", step_report),
]


class _ConsoleLog(logging.Handler):
    """Witnessing warnings (a witness missing, a quorum short) shown in the demo's own output."""

    def __init__(self, d: Demo) -> None:
        super().__init__(logging.WARNING)
        self.d = d

    def emit(self, record: logging.LogRecord) -> None:
        self.d.results.setdefault("witness_warnings", []).append(record.getMessage())
        self.d.console.print(
            f"    [{record.name}] {record.getMessage()}", style="dim", highlight=False, markup=False
        )


def run(d: Demo, steps: list[tuple[str, Callable[[Demo], None]]] | None = None) -> Demo:
    logger = logging.getLogger("truceline.witnessing")
    handler = _ConsoleLog(d)
    logger.addHandler(handler)
    try:
        for name, step in steps if steps is not None else STEPS:
            t0 = monotonic()
            step(d)
            d.timings[name] = monotonic() - t0
    finally:
        logger.removeHandler(handler)
        stop_witnesses(d)
    return d


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    home: Path | None = typer.Option(
        None, "--home", help="Mission home to create (default: a temp dir)."
    ),
    days: float = typer.Option(2.0, "--days", min=0.01),
    seed: int = typer.Option(7, "--seed"),
    scenario: str = typer.Option("duel", "--scenario", help="A simulator preset or scenario file."),
    workers: int = typer.Option(0, "--workers", min=0, help="Processes for signing and checking."),
) -> None:
    """Simulate a ceasefire and run it end to end: witnesses, ingest, fusion, enforcement."""
    from truceline.ingest.bootstrap import InitError
    from truceline.simulate.config import ScenarioError

    root = home if home is not None else Path(tempfile.mkdtemp(prefix="truceline-demo-")) / "home"
    if root.exists() and any(root.iterdir()):
        typer.echo(f"error: --home {root}: exists and is not empty", err=True)
        raise typer.Exit(1)
    d = Demo(home=root, seed=seed, days=days, scenario=scenario, workers=workers)
    try:
        run(d)
    except (ScenarioError, InitError) as exc:
        fail(exc, 1)
    step_summary(d)

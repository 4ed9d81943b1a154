"""`truceline demo`: a simulated ceasefire run through the real pipeline, end to end.

The demo is a list of small steps over one `Demo` context, run in order:

    simulate  -> a seeded scenario into DIR/sim (agreement, sensors, keys, envelopes, truth)
    init      -> a mission home: keys, store, ledger, the agreement's first version
    register  -> every simulated sensor in the registry (signed by the mission key)
    ingest    -> every envelope through the real ingest path into the ledger
    summary   -> a table of what happened

Later stages (fusion, adjudication, enforcement) add their own step functions
to STEPS. Event time drives everything: the ingest clock is fixed just after
the scenario's end, so nothing depends on when the demo is run.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from truceline.clock import FixedClock, monotonic


@dataclass
class Demo:
    home: Path
    seed: int = 7
    days: float = 2.0
    scenario: str = "duel"
    workers: int = 0
    console: Console = field(default_factory=Console)
    # filled in by the steps
    sim_dir: Path | None = None
    start: datetime | None = None
    end: datetime | None = None
    info: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def step_simulate(d: Demo) -> None:
    from truceline.simulate import config, writer

    scenario = config.load(d.scenario, days=d.days)
    d.sim_dir = d.home.parent / f"{d.home.name}-sim"
    d.info = writer.simulate(scenario, d.seed, d.sim_dir, d.workers or None)
    d.start = scenario.start
    d.end = scenario.start + timedelta(days=scenario.days)


def step_init(d: Demo) -> None:
    from truceline.agreement.load import load_agreement
    from truceline.ingest.bootstrap import init_home

    assert d.sim_dir is not None and d.start is not None
    path = d.sim_dir / "agreement.yaml"
    lines = init_home(
        d.home,
        load_agreement(path),
        path.read_text(),
        d.sim_dir / "keys" / "signatories",
        None,
        None,
        FixedClock(d.start - timedelta(hours=1)),
    )
    d.results["init"] = lines


def step_register(d: Demo) -> None:
    import json

    from truceline.ingest import home as mh
    from truceline.mission.home import Home
    from truceline.registry.model import Register, SensorList
    from truceline.registry.state import seal_event

    assert d.sim_dir is not None and d.start is not None
    sensors = SensorList.model_validate(
        json.loads((d.sim_dir / "sensors.json").read_text())
    ).sensors
    home = Home(d.home)
    mission, mkid = mh.mission_key(home)
    engine = mh.engine(home)
    ledger = mh.open_ledger(home, engine)
    try:
        when = d.start - timedelta(hours=1)
        ledger.append(
            [seal_event(Register(effective_at=when, sensor=s), mission, mkid) for s in sensors]
        )
    finally:
        ledger.close()
        engine.dispose()
    d.results["registered"] = len(sensors)


def step_ingest(d: Demo) -> None:
    from truceline.ingest.formats import split_envelopes
    from truceline.ingest.service import Mission
    from truceline.mission.home import Home

    assert d.sim_dir is not None and d.end is not None
    envelopes = split_envelopes((d.sim_dir / "observations.jsonl").read_bytes())
    # the clock stands just after the scenario's end: no observation is "from the future"
    with Mission(
        Home(d.home), FixedClock(d.end + timedelta(hours=1)), workers=d.workers
    ) as mission:
        tally = mission.ingest_envelopes(envelopes, "observations.jsonl")
        d.results["ledger_size"] = mission.ledger.size
        d.results["checkpoint"] = mission.ledger.checkpoint().decode()
    d.results["generated"] = len(envelopes)
    d.results["ingest"] = tally.to_json()


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
    t.add_row("ledger size", str(d.results.get("ledger_size", "-")))
    checkpoint = d.results.get("checkpoint", "")
    head = checkpoint.splitlines()[:3]
    t.add_row("checkpoint", "\n".join(head))
    for name, seconds in d.timings.items():
        t.add_row(f"time: {name}", f"{seconds:.1f} s")
    d.console.print(t)
    d.console.print(f"home {d.home}, scenario files {d.sim_dir}")


STEPS: list[tuple[str, Callable[[Demo], None]]] = [
    ("simulate", step_simulate),
    ("init", step_init),
    ("register", step_register),
    ("ingest", step_ingest),
]


def run(d: Demo, steps: list[tuple[str, Callable[[Demo], None]]] | None = None) -> Demo:
    for name, step in steps if steps is not None else STEPS:
        t0 = monotonic()
        step(d)
        d.timings[name] = monotonic() - t0
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
    """Simulate a few days of a ceasefire and run it through init, registry and ingest."""
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
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    step_summary(d)

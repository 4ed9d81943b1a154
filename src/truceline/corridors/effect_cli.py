"""`truceline effect`: the change in a party's breach rate after its penalty took effect,
near the front and near the corridors, with a 90 % interval (corridors/effect.py)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import typer

from truceline.mission.options import emit


class Format(StrEnum):
    json = "json"
    table = "table"


# the log is read as of a moment after any evidence it can hold; the estimate then stops
# at its last evidence (so it is a function of the log, not of the clock)
FAR = datetime(2200, 1, 1, tzinfo=UTC)


def effect_command(
    home: Path = typer.Option(..., "--home", help="mission home directory (or a mirror)"),
    penalty: str = typer.Option(..., "--penalty", help="the penalty case id (truceline penalties)"),
    corridors: Path | None = typer.Option(
        None, "--corridors", help="GeoJSON corridors (default: the agreement's)"
    ),
    format: Format = typer.Option(Format.json, "--format", help="json or table"),  # noqa: A002
    truth: Path | None = typer.Option(
        None, "--truth", help="a simulator's truth.jsonl: report the true effect beside"
    ),
    out: Path | None = typer.Option(None, "--out", help="write here instead of stdout"),
) -> None:
    """The deterrent effect of a penalty: the accused's breach rate after the penalty took
    effect against before, relative to the other parties' (difference in differences, a
    Poisson GLM with day and party intercepts, cluster-robust by day), along the front and
    near the corridors, with a 90 % interval. A function of the log and the agreement."""
    from truceline.corridors import effect
    from truceline.corridors.service import corridors_from, first_evidence
    from truceline.corridors.spec import CorridorFileError, from_agreement
    from truceline.home import Home
    from truceline.metrics.facts import read_facts

    if truth is not None and not truth.is_file():
        raise CorridorFileError(f"{truth}: no such file", field="--truth")
    cors = corridors_from(corridors)
    facts = read_facts(Home(home), FAR - timedelta(days=1), FAR)
    if not facts.observations:
        raise effect.EffectError("the log holds no evidence", field="--home")
    last = max(o.observed_at for _, o in facts.observations)
    facts = dataclasses.replace(facts, until=last)
    chosen = cors if cors is not None else from_agreement(facts.agreement)
    doc = effect.effect(facts, penalty, chosen, first_evidence(facts), last)
    if truth is not None:
        lines = [json.loads(x) for x in truth.read_text().splitlines() if '"penalty"' in x]
        doc["truth"] = effect.against_truth(doc, lines)
    if format is Format.table:
        emit(effect.table(doc).encode(), out)
    else:
        emit((json.dumps(doc, indent=1) + "\n").encode(), out)


def register(app: typer.Typer) -> None:
    app.command("effect")(effect_command)

"""Run a simulator scenario straight into fusion (no ledger: observations get indices in
file order), and score the verdicts against its ground truth."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from truceline.adjudication.evaluate import evaluate_engine, load_truth
from truceline.adjudication.lifecycle import Engine, adjudicate
from truceline.adjudication.verdict import AgreementRef
from truceline.agreement.load import load_agreement
from truceline.agreement.model import Agreement
from truceline.fusion.base import SensorInfo, build_table
from truceline.observation import Observation
from truceline.simulate import config, writer


def simulate(tmp: Path, scenario: str, seed: int, days: float) -> Path:
    out = tmp / f"{scenario}-{seed}"
    writer.simulate(config.load(scenario, days=days), seed, out, 1)
    return out


def load(out: Path) -> tuple[Agreement, dict[str, SensorInfo], list[tuple[int, Observation]]]:
    agreement = load_agreement(out / "agreement.yaml")
    sensors = {
        s["id"]: SensorInfo(s["kind"], s["operator"])
        for s in json.loads((out / "sensors.json").read_text())["sensors"]
    }
    items = []
    with open(out / "observations.jsonl", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            env = json.loads(line)
            items.append((n, Observation.model_validate_json(base64.b64decode(env["payload"]))))
    return agreement, sensors, items


def ref(agreement: Agreement) -> AgreementRef:
    return AgreementRef(id=agreement.id, version=agreement.version, sha256="0" * 64)


def run(
    out: Path,
) -> tuple[Engine, dict[str, Any], list[tuple[int, Observation]], dict[str, SensorInfo]]:
    agreement, sensors, items = load(out)
    from truceline.fusion.base import frame_for

    table = build_table(items, sensors, frame_for(agreement.geography.contact_line))
    engine, _ = adjudicate(table, agreement, ref(agreement))
    events, tobs = load_truth(out / "truth.jsonl")
    scores = evaluate_engine(engine, engine.emitted, dict(items), sensors, events, tobs)
    return engine, scores, items, sensors

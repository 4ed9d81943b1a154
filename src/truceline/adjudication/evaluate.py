"""Evaluation against the simulator's ground truth (truth.jsonl).

The truth file says, for every observation (sensor, seq), which event it saw
(or "false_alarm"), and for every event whether it was a breach and who fired.
An incident's true event is the one most of its evidence saw (ties: the
lowest event id); that mapping is exact, so no spatial matching is guessed.

Metrics: breach detection precision / recall / F1. An incident is *detected*
when its latest state verifies (verified, disputed, inspection, confirmed); it
is a true positive when its true event is a breach, and every breach event any
of its evidence saw counts as found (a burst of rounds is one incident).
Recall is always given with its denominator (`recall.<name>`: value, found, of,
denominator): over every true breach event, over those any sensor saw, and over
the *verifiable* ones, seen truthfully by at least `fair_min_sources`
independent instruments with standing against the true firer (what the
agreement's evidence standard can verify at all); `f1` uses the latter and
`f1_over_all_breach_events` the first. The same three recalls are given per
breach type (`recall_by_breach_type`: fire, presence, corridor, protected site;
`adjudication.breach_types`).
Then attribution accuracy on detected breaches; localization error of
detected incidents (median and p90), overall and for events a radar saw; the
event time from an event's first observation to its verification; and false
accusations: incidents whose accused party did not fire that event, by grade.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from truceline.adjudication.breach_types import TYPES, recall_by_type, types_of
from truceline.adjudication.breach_types import recall as recall_of
from truceline.adjudication.grading import has_standing, independent_sources
from truceline.adjudication.lifecycle import HEARSAY_SENSOR_KINDS, Engine
from truceline.adjudication.verdict import IncidentTransition, State
from truceline.agreement.rules import Act, Grade
from truceline.fusion.base import SensorInfo
from truceline.fusion.presence import PRESENCE_KINDS
from truceline.observation import Observation

DETECTED = frozenset({State.verified, State.disputed, State.inspection, State.confirmed})
RADAR_KINDS = frozenset({"weapon_locating_radar", "radar"})


def load_truth(
    path: Path,
) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, int], dict[str, Any]]]:
    events: dict[str, dict[str, Any]] = {}
    observations: dict[tuple[str, int], dict[str, Any]] = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: not JSON: {exc}") from exc
            if obj.get("type") == "event":
                events[obj["id"]] = obj
            elif obj.get("type") == "observation":
                observations[(obj["sensor"], int(obj["seq"]))] = obj
    return events, observations


def _haversine_m(a: Iterable[float], b: Iterable[float]) -> float:
    lon1, lat1 = (math.radians(v) for v in a)
    lon2, lat2 = (math.radians(v) for v in b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def verifiable_events(
    observations: Mapping[int, Observation],
    sensors: Mapping[str, SensorInfo],
    truth_events: Mapping[str, dict[str, Any]],
    truth_obs: Mapping[tuple[str, int], dict[str, Any]],
    parties: frozenset[str],
    min_sources: int,
) -> set[str]:
    pairs: dict[str, set[tuple[str, str]]] = {}
    for o in observations.values():
        t = truth_obs.get((o.sensor, o.seq))
        info = sensors.get(o.sensor)
        if t is None or t.get("lie") or info is None or info.kind in HEARSAY_SENSOR_KINDS:
            continue
        pairs.setdefault(str(t["event"]), set()).add((info.kind, info.operator))
    out = set()
    for ev, found in pairs.items():
        truth = truth_events.get(ev)
        if truth is None or not truth.get("breach"):
            continue
        if independent_sources(found) >= min_sources and has_standing(
            (op for _, op in found), truth.get("party"), parties
        ):
            out.add(ev)
    return out


def evaluate(
    transitions: list[IncidentTransition],
    observations: Mapping[int, Observation],
    sensors: Mapping[str, SensorInfo],
    truth_events: Mapping[str, dict[str, Any]],
    truth_obs: Mapping[tuple[str, int], dict[str, Any]],
    parties: frozenset[str] = frozenset(),
    min_sources: int = 2,
    members: Mapping[str, list[int]] | None = None,
    acts: Mapping[str, Act] | None = None,
) -> dict[str, Any]:
    """`members`: the recomputed full evidence of each incident (else the logged evidence);
    `acts`: the act of each rule id (for recall per breach type)."""
    members = members or {}
    sensor_kinds = {sid: info.kind for sid, info in sensors.items()}
    latest: dict[str, IncidentTransition] = {}
    verified_at: dict[str, IncidentTransition] = {}
    for rec in transitions:
        latest[rec.incident] = rec
        if rec.state is State.verified and rec.incident not in verified_at:
            verified_at[rec.incident] = rec
    # Which event each observation saw, when, and whether a radar saw each event.
    event_first: dict[str, float] = {}
    radar_saw: set[str] = set()
    obs_event: dict[int, str] = {}
    for idx, o in observations.items():
        t = truth_obs.get((o.sensor, o.seq))
        if t is None:
            continue
        ev = str(t["event"])
        obs_event[idx] = ev
        ts = o.observed_at.timestamp()
        event_first[ev] = min(event_first.get(ev, ts), ts)
        if sensor_kinds.get(o.sensor) in RADAR_KINDS:
            radar_saw.add(ev)

    def evidence(rec: IncidentTransition) -> list[int]:
        return list(members.get(rec.incident, rec.evidence))

    def true_event(rec: IncidentTransition) -> str:
        votes = Counter(obs_event[i] for i in evidence(rec) if i in obs_event)
        if not votes:
            return "unknown"
        return min(votes, key=lambda e: (-votes[e], e))

    breaches = {eid for eid, e in truth_events.items() if e.get("breach")}
    seen_breaches = breaches & set(event_first)
    detected = [rec for rec in latest.values() if rec.state in DETECTED and rec.rules]
    tp_incidents = 0
    found: set[str] = set()
    attrib_ok = attrib_n = 0
    loc_all: list[float] = []
    loc_radar: list[float] = []
    delays: list[float] = []
    for rec in detected:
        ev = true_event(rec)
        truth = truth_events.get(ev)
        if truth is None or not truth.get("breach"):
            continue
        tp_incidents += 1
        found.add(ev)
        found.update(
            obs_event[i]
            for i in evidence(rec)
            if truth_events.get(obs_event.get(i, ""), {}).get("breach")
        )
        if truth.get("party") is not None:
            attrib_n += 1
            attrib_ok += rec.accused == truth["party"]
        where = truth.get("impact") or truth.get("origin")
        if where is not None:
            err = _haversine_m(rec.location, where)
            loc_all.append(err)
            if ev in radar_saw:
                loc_radar.append(err)
        first_verified = verified_at.get(rec.incident)
        if first_verified is not None and ev in event_first:
            delays.append(first_verified.at.timestamp() - event_first[ev])
    verifiable = verifiable_events(
        observations, sensors, truth_events, truth_obs, parties, min_sources
    )
    precision = tp_incidents / len(detected) if detected else 1.0
    recall = len(found) / len(breaches) if breaches else 1.0
    recall_v = len(found & verifiable) / len(verifiable) if verifiable else 1.0
    f1 = 2 * precision * recall_v / (precision + recall_v) if precision + recall_v else 0.0
    f1_all = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    false_acc: Counter[str] = Counter()
    confirmed_by_type: Counter[str] = Counter()
    for rec in latest.values():
        if not rec.rules or rec.accused is None:
            continue
        truth = truth_events.get(true_event(rec))
        if truth is None or truth.get("party") != rec.accused:
            false_acc[rec.grade.value] += 1
            if rec.grade is Grade.confirmed:
                confirmed_by_type.update(
                    types_of(rec.kind in PRESENCE_KINDS, rec.rules, acts or {})
                )

    def recall_over(events: set[str], denominator: str) -> dict[str, Any]:
        return recall_of(found, events, denominator)

    return {
        "incidents_logged": len(latest),
        "incidents_detected": len(detected),
        "breach_events": len(breaches),
        "breach_events_observed": len(seen_breaches),
        "breach_events_verifiable": len(verifiable),
        "precision": round(precision, 4),
        # Recall always with its denominator: which true breach events it counts.
        "recall": {
            "over_all_breach_events": recall_over(breaches, "every true breach event"),
            "over_breach_events_any_sensor_saw": recall_over(
                seen_breaches, "true breach events at least one sensor saw"
            ),
            "over_breach_events_independent_sensors_saw": recall_over(
                verifiable,
                f"true breach events at least {min_sources} independent sensors saw truthfully, "
                "with standing against the firer (what the evidence standard can verify)",
            ),
        },
        "recall_by_breach_type": recall_by_type(
            truth_events, acts or {}, found, seen_breaches, verifiable
        ),
        "f1": round(f1, 4),
        "f1_denominator": "breach events independent sensors saw (recall over them)",
        "f1_over_all_breach_events": round(f1_all, 4),
        "attribution_accuracy": round(attrib_ok / attrib_n, 4) if attrib_n else None,
        "attributed": attrib_n,
        "localization_error_m": {
            "median": _pct(loc_all, 50),
            "p90": _pct(loc_all, 90),
            "n": len(loc_all),
        },
        "localization_error_radar_m": {
            "median": _pct(loc_radar, 50),
            "p90": _pct(loc_radar, 90),
            "n": len(loc_radar),
        },
        "time_to_verification_s": {
            "median": _pct(delays, 50),
            "p90": _pct(delays, 90),
            "n": len(delays),
        },
        "false_accusations_by_grade": dict(sorted(false_acc.items())),
        "false_accusations_at_confirmed": false_acc.get("confirmed", 0),
        "false_accusations_at_confirmed_by_type": {t: confirmed_by_type.get(t, 0) for t in TYPES},
    }


def evaluate_engine(
    engine: Engine,
    transitions: list[IncidentTransition],
    observations: Mapping[int, Observation],
    sensors: Mapping[str, SensorInfo],
    truth_events: Mapping[str, dict[str, Any]],
    truth_obs: Mapping[tuple[str, int], dict[str, Any]],
) -> dict[str, Any]:
    """`evaluate` under the agreement an engine judged by (its parties, the fewest sources
    that verify), with the engine's full evidence of each incident."""
    agreement = engine.agreement
    return evaluate(
        transitions,
        observations,
        sensors,
        truth_events,
        truth_obs,
        frozenset(p.id for p in agreement.parties),
        agreement.evidence.fair_min_sources,
        engine.members(),
        {act.id: act.act for act in agreement.prohibited_acts},
    )

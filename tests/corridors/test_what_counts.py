"""What the forecast counts as a breach affecting a corridor (docs/corridors.md, "What
counts"), on the simulated mission home of tests/corridors/conftest.py."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import yaml
from tests.corridors.conftest import Sim

from truceline.agreement.model import Agreement
from truceline.agreement.rules import Grade
from truceline.corridors import drivers, spec
from truceline.home import Home
from truceline.metrics.facts import read_facts
from truceline.observation import Kind


def _facts_and_corridors(sim: Sim):  # type: ignore[no-untyped-def]
    agreement = Agreement.model_validate(yaml.safe_load((sim.sim / "agreement.yaml").read_text()))
    facts = read_facts(
        Home(sim.home), datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 8, tzinfo=UTC)
    )
    return facts, spec.from_agreement(agreement)


def test_press_only_counts_a_lone_unclassified_explosion_does_not(deterred: Sim) -> None:
    facts, corridors = _facts_and_corridors(deterred)
    judged = drivers.scene(corridors, facts).judged
    assert all(t.grade is not Grade.contested for t in judged)
    assert any(t.grade is Grade.discounted for t in judged)  # the press alone counts
    # an incident of the log, remade as resting on one observation of its kind: counted
    # unless that observation is an explosion that names no weapon
    t = next(t for t in judged if len(t.evidence) == 1)
    obs = facts.observation(t.evidence[0])
    assert obs is not None
    index = facts.log_size + 1
    blank = obs.attributes.model_copy(update={"weapon_class": None})
    for kind, weapon, counts in (
        (Kind.explosion, None, False),
        (Kind.explosion, obs.attributes.weapon_class, True),
        (Kind.impact, None, True),
    ):
        attributes = blank.model_copy(update={"weapon_class": weapon})
        lone = obs.model_copy(update={"kind": kind, "attributes": attributes})
        remade = dataclasses.replace(facts, observations=[*facts.observations, (index, lone)])
        incident = t.model_copy(update={"evidence": [index], "weapon_class": None})
        assert drivers._names_fire(incident, remade) is counts, kind


def test_line_reach_falls_with_distance_from_the_line(deterred: Sim) -> None:
    facts, corridors = _facts_and_corridors(deterred)
    shared = drivers.scene(corridors, facts)
    places = [drivers.place(c, facts, shared) for c in corridors]
    for p in places:
        assert 0 < p.line_reach <= 1
        # every point within 15 km of the line has exp(-d / 15 km) >= 1/e
        assert p.line_reach >= p.front_share / 2.719

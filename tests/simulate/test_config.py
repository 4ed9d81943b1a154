"""Scenario loading: presets, `base:` + overrides, and errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from truceline.simulate import config


def test_every_preset_loads() -> None:
    assert set(config.preset_names()) >= {"quiet", "duel", "escalation", "spoofing", "corridor"}
    for name in config.preset_names():
        sc = config.load(name)
        assert sc.name == name
        assert sc.behaviour.phases


def test_override_file_merges_onto_base(tmp_path: Path) -> None:
    f = tmp_path / "mine.yaml"
    f.write_text(
        "base: duel\nname: mine\ndays: 4\nworld: {front_km: 300}\n"
        "sensors: {radar: {p_detect: 0.5}}\n"
    )
    sc = config.load(f)
    assert sc.name == "mine" and sc.days == 4
    assert sc.world.front_km == 300
    assert sc.sensors.radar.p_detect == 0.5
    # untouched fields keep the base's values (dicts merge, not replace)
    assert sc.sensors.radar.sector_deg == 90
    assert [p.mode for p in sc.behaviour.phases] == [
        p.mode for p in config.load("duel").behaviour.phases
    ]


def test_keyword_overrides_win() -> None:
    assert config.load("duel", days=0.25).days == 0.25


@pytest.mark.parametrize(
    ("yaml_text", "field"),
    [
        ("base: duel\nsensors: {radar: {p_detect: 1.5}}\n", "sensors.radar.p_detect"),
        ("base: duel\nworld: {front_km: 5}\n", "world.front_km"),
        ("base: duel\nworld: {colour: red}\n", "world.colour"),
        ("base: duel\nbehaviour: {phases: [{days: 1, mode: war}]}\n", "behaviour.phases.0.mode"),
        ("base: duel\nfaults: {liar: {operator: nobody}}\n", "faults.liar.operator"),
    ],
)
def test_bad_override_names_the_field(tmp_path: Path, yaml_text: str, field: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(yaml_text)
    with pytest.raises(config.ScenarioError) as info:
        config.load(f)
    assert field.split(".")[-1] in str(info.value)
    assert field.split(".")[0] in str(info.value)


def test_unknown_preset_and_cycle(tmp_path: Path) -> None:
    with pytest.raises(config.ScenarioError, match="no such preset"):
        config.load("nonesuch")
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("base: b.yaml\n")
    b.write_text("base: a.yaml\n")
    with pytest.raises(config.ScenarioError, match="cycle"):
        config.load(a)

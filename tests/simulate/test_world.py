"""The world: a realistic, valid map whose agreement validates, for any seed."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.agreement.model import Agreement
from truceline.simulate import agreement, config, world
from truceline.simulate.sensors.layout import layout


def test_default_front_is_1000_km_and_not_straight() -> None:
    w = world.build(config.Scenario(), 3)
    assert abs(w.line_m.length / 1000 - 1000) < 5
    ends = np.hypot(*(np.array(w.line_m.coords[-1]) - np.array(w.line_m.coords[0])))
    assert ends < 0.99 * w.line_m.length  # it wiggles
    lon, lat = w.line_ll[:, 0], w.line_ll[:, 1]
    assert lon.min() > 25 and lon.max() < 45 and lat.min() > 43 and lat.max() < 54  # eastern Europe


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31), front=st.floats(60, 3000))
def test_any_seed_gives_a_valid_map(seed: int, front: float) -> None:
    sc = config.Scenario(days=1, world={"front_km": front})
    w = world.build(sc, seed)
    assert abs(w.line_m.length / 1000 - front) / front < 0.02
    a, b = w.territory_geoms
    assert a.is_valid and b.is_valid
    assert a.intersection(b).area < 1e-9  # they share only the contact line
    line = shapely.LineString(w.line_ll)
    assert a.boundary.buffer(1e-6).contains(line) and b.boundary.buffer(1e-6).contains(line)
    for site in w.sites:
        assert (
            w.territory_of(np.array([site.lonlat[0]]), np.array([site.lonlat[1]]))[0] == site.side
        )
    doc = agreement.build(sc, w, layout(sc, w, seed), seed)
    model = Agreement.model_validate(doc)
    assert {t.party for t in model.geography.territories} == {"west", "east"}
    assert len(model.geography.corridors) == sc.world.corridors


def test_withdrawal_distances_are_minsk_ii() -> None:
    km = {str(k): v for k, v in config.WorldConfig().withdrawal_km.items()}
    assert km == {"mortar": 15, "tank": 15, "artillery": 25, "mlrs": 35, "missile": 70}


def test_daylight_follows_the_sun() -> None:
    sc = config.Scenario()
    w = world.build(sc, 1)
    hours = np.arange(0, 24) * 3600.0
    day = w.daylight(hours, sc.start)
    # June at 48 N: about 16 hours of daylight, around local noon (~09:40 UTC at 35 E)
    assert 15 <= day.sum() <= 17
    assert day[9] and day[10] and not day[0] and not day[22]


def test_world_geojson_draws_each_withdrawal_line_at_its_distance() -> None:
    from truceline.simulate import geojson

    sc = config.Scenario(days=1)
    w = world.build(sc, 6)
    fc = geojson.collection(sc, w, layout(sc, w, 6))
    lines = [f for f in fc["features"] if f["properties"]["layer"] == "withdrawal_line"]
    assert len(lines) == 2 * len(sc.world.withdrawal_km)
    for f in lines:
        coords = np.array(f["geometry"]["coordinates"])
        x, y = w.xy(coords[:, 0], coords[:, 1])
        d = w.distance_to_line(x, y) / 1000
        target = f["properties"]["distance_km"]
        assert np.all(d > 0.97 * target) and np.median(np.abs(d - target)) < 0.02 * target
        side = 0 if f["properties"]["party"] == "west" else 1
        assert np.all(w.side(x, y) == side)


def test_a_long_scenario_lets_its_first_day_arrive_at_its_end() -> None:
    """The demo ingests a simulation with its clock after the end: a scenario longer than
    the default time.max_age_s (30 days) widens it in its agreement; a short one has none."""
    for days, expected in ((2, None), (45, 46 * 86_400.0)):
        sc = config.Scenario(days=days)
        w = world.build(sc, 5)
        model = Agreement.model_validate(agreement.build(sc, w, layout(sc, w, 5), 5))
        assert (model.time.max_age_s if model.time else None) == expected

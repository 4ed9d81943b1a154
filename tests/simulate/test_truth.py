"""Ground-truth rules on hand-placed events, and the faults' marks in the truth."""

from __future__ import annotations

import numpy as np
import pytest

from truceline.agreement.model import Agreement
from truceline.simulate import agreement, config, truth, world, writer
from truceline.simulate import events as ev
from truceline.simulate.sensors.layout import layout


@pytest.fixture(scope="module")
def setup() -> tuple[world.World, Agreement]:
    sc = config.Scenario(days=2)
    w = world.build(sc, 4)
    return w, Agreement.model_validate(agreement.build(sc, w, layout(sc, w, 4), 4))


def _rules(w: world.World, a: Agreement, **cols: object) -> tuple[str, ...]:
    return truth.evaluate(a, w, ev.make(1, **cols))[0]  # type: ignore[arg-type]


def test_fire_across_the_line_and_withdrawal(setup: tuple[world.World, Agreement]) -> None:
    w, a = setup
    u = np.array([0.0])
    ox, oy = w.place(u, np.array([30_000.0]), 0)  # 30 km back: beyond artillery's 25 km
    ix, iy = w.place(u, np.array([5_000.0]), 1)
    art = ev.W["artillery"]
    assert _rules(
        w, a, t=3600, kind=ev.K_IMPACT, party=0, weapon=art, ox=ox, oy=oy, ix=ix, iy=iy
    ) == ("art-1",)
    ox2, oy2 = w.place(u, np.array([10_000.0]), 0)  # 10 km back: inside the withdrawal distance
    assert _rules(
        w, a, t=3600, kind=ev.K_IMPACT, party=0, weapon=art, ox=ox2, oy=oy2, ix=ix, iy=iy
    ) == ("art-1", "art-2")
    # mortars may stand 10 km back (15 km limit applies to them too) -> art-2; small arms never
    sa = ev.W["small_arms"]
    assert _rules(
        w, a, t=3600, kind=ev.K_SMALL, party=0, weapon=sa, ox=ox2, oy=oy2, ix=ix, iy=iy
    ) == ("art-1",)
    # fire landing on one's own side is not fire across the line
    jx, jy = w.place(u, np.array([2_000.0]), 0)
    assert (
        _rules(w, a, t=3600, kind=ev.K_IMPACT, party=0, weapon=art, ox=ox, oy=oy, ix=jx, iy=jy)
        == ()
    )


def test_weapons_groups_and_fires(setup: tuple[world.World, Agreement]) -> None:
    w, a = setup
    u = np.array([50_000.0])
    fx, fy = w.place(u, np.array([8_000.0]), 1)
    assert _rules(w, a, t=0, kind=ev.K_HEAVY, party=1, weapon=ev.W["tank"], ox=fx, oy=fy) == (
        "art-2",
    )
    bx, by = w.place(u, np.array([40_000.0]), 1)
    assert _rules(w, a, t=0, kind=ev.K_HEAVY, party=1, weapon=ev.W["tank"], ox=bx, oy=by) == ()
    gx, gy = w.place(u, np.array([500.0]), 1)
    assert _rules(w, a, t=0, kind=ev.K_TROOP, party=1, weapon=ev.W["small_arms"], ox=gx, oy=gy) == (
        "art-3",
    )
    assert _rules(w, a, t=0, kind=ev.K_CROP, party=-1, ix=bx, iy=by) == ()


def test_corridor_only_while_open_and_sites_always(setup: tuple[world.World, Agreement]) -> None:
    w, a = setup
    cor = w.corridors[0]
    p = cor.geom_m.interpolate(0.5, normalized=True)
    ox, oy = w.place(
        w.xy_to_uv(np.array([p.x]), np.array([p.y]))[0], np.array([30_000.0]), 1 - cor.host
    )
    open_t = cor.windows[1][0] + 3600
    closed_t = cor.windows[1][1] + 3600
    art = ev.W["artillery"]
    common = {
        "kind": ev.K_IMPACT,
        "party": 1 - cor.host,
        "weapon": art,
        "ox": ox,
        "oy": oy,
        "ix": p.x,
        "iy": p.y,
    }
    assert "art-5" in _rules(w, a, t=open_t, **common)
    assert "art-5" not in _rules(w, a, t=closed_t, **common)
    site = w.sites[0]
    sx, sy = site.geom_m.x + site.radius_m * 0.5, site.geom_m.y
    assert "art-6" in _rules(
        w, a, t=0, kind=ev.K_IMPACT, party=1 - site.side, weapon=art, ox=ox, oy=oy, ix=sx, iy=sy
    )
    far = site.geom_m.x + site.radius_m * 1.5
    assert "art-6" not in _rules(
        w, a, t=0, kind=ev.K_IMPACT, party=1 - site.side, weapon=art, ox=ox, oy=oy, ix=far, iy=sy
    )


def test_disengagement_area_impacts(setup: tuple[world.World, Agreement]) -> None:
    w, a = setup
    zone = next(z for z in w.zones if z.kind == "security")
    c = zone.geom_ll.centroid
    ix, iy = w.xy(np.array([c.x]), np.array([c.y]))
    u, _ = w.xy_to_uv(ix, iy)
    ox, oy = w.place(u, np.array([30_000.0]), 0)
    assert "art-4" in _rules(
        w, a, t=0, kind=ev.K_IMPACT, party=0, weapon=ev.W["mlrs"], ox=ox, oy=oy, ix=ix, iy=iy
    )


def test_liar_mirrors_its_own_sides_origins(spoofing_run: writer.Run) -> None:
    r = spoofing_run
    o, e = r.observed.obs, r.events
    liar = r.observed.liar
    assert liar is not None and r.sensors[liar].operator == "east"
    lies = np.flatnonzero(o.lie)
    assert len(lies) > 10
    east = [p.id for p in r.scenario.parties].index("east")
    mine = lies[o.sensor[lies] == liar]
    real = mine[o.event[mine] >= 0]
    fabricated = mine[o.event[mine] < 0]
    assert len(real) > 0 and len(fabricated) > 0
    # a lie about a real round: east fired it, but the reported origin is on west's side
    assert np.all(e.party[o.event[real]] == east)
    assert np.all(r.world.side(o.ox[real], o.oy[real]) == 1 - east)
    # an invented round lands on east's side, fired (it says) from west's
    assert np.all(r.world.side(o.x[fabricated], o.y[fabricated]) == east)
    assert np.all(r.world.side(o.ox[fabricated], o.oy[fabricated]) == 1 - east)
    # besides the liar, only the press offices lie (false accusations: shelling on their own side)
    for i in lies[o.sensor[lies] != liar]:
        s = r.sensors[o.sensor[i]]
        assert s.family == "report" and s.operator in ("west", "east")
        assert r.world.side(o.x[i : i + 1], o.y[i : i + 1])[0] == s.params["party"]


def test_false_flags_are_blamed_on_the_other_side(spoofing_run: writer.Run) -> None:
    r = spoofing_run
    o, e = r.observed.obs, r.events
    flags = np.flatnonzero(e.tag == ev.TAG_FALSE_FLAG)
    assert len(flags) > 0
    assert np.all(r.world.side(e.ix[flags], e.iy[flags]) == e.party[flags])  # on its own side
    assert all("art-1" not in e.rules[i] for i in flags)  # type: ignore[index]
    press = next(i for i, s in enumerate(r.sensors) if s.id == "press-east")
    claims = np.flatnonzero((o.sensor == press) & np.isin(o.event, flags))
    assert len(claims) > 0 and np.all(o.lie[claims])


def test_malfunction_drifts_the_clock(spoofing_run: writer.Run) -> None:
    r = spoofing_run
    o, e = r.observed.obs, r.events
    broken = r.observed.malfunctioning
    assert broken is not None
    rows = np.flatnonzero((o.sensor == broken) & (o.event >= 0))
    assert len(rows) > 5 and not o.lie[rows].any()
    drift = r.scenario.faults.malfunction.drift_s_per_day  # type: ignore[union-attr]
    k = o.event[rows]

    def off(t: np.ndarray) -> np.ndarray:  # from the launch or the impact, whichever is nearer
        return np.minimum(np.abs(t - e.t[k]), np.abs(t - e.impact_t[k]))

    assert np.all(off(o.t[rows] / (1 + drift / 86400)) < 1.0)
    assert np.all(off(o.t[rows])[e.t[k] > 43200] > 15)


def test_withdrawal_areas_bar_their_classes_beyond_the_distance() -> None:
    sc = config.Scenario(days=1, world=config.WorldConfig(front_km=200, withdrawal_zones=1))
    w = world.build(sc, 4)
    a = Agreement.model_validate(agreement.build(sc, w, layout(sc, w, 4), 4))
    (zone,) = [z for z in a.geography.zones if z.kind == "withdrawal"]
    assert zone.weapon_classes == ["tank", "artillery"]
    lo, hi = w.u_range
    inside = np.array([lo + (hi - lo) * 0.25])  # the area's centre along the line
    outside = np.array([lo + (hi - lo) * 0.9])
    tank, mortar = ev.W["tank"], ev.W["mortar"]
    for u, party in ((inside, 0), (inside, 1)):
        x, y = w.place(u, np.array([27_000.0]), party)  # inside the area (30 km deep)
        assert w.distance_to_line(x, y)[0] > 15_000  # beyond the tank's and mortar's 15 km
        assert _rules(w, a, t=60, kind=ev.K_HEAVY, party=party, weapon=tank, ox=x, oy=y) == (
            "art-2",
        )
        # Mortars are not barred by the area.
        assert _rules(w, a, t=60, kind=ev.K_HEAVY, party=party, weapon=mortar, ox=x, oy=y) == ()
    x, y = w.place(outside, np.array([27_000.0]), 0)
    assert w.distance_to_line(x, y)[0] > 15_000
    assert _rules(w, a, t=60, kind=ev.K_HEAVY, party=0, weapon=tank, ox=x, oy=y) == ()

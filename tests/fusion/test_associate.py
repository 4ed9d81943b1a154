"""Association: batch (k-d tree) and stream (grid) find the same links, in ledger order."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.fusion.associate import (
    Gate,
    StreamIndex,
    candidate_blocks,
    candidates_batch,
    links_batch,
    table_row_points,
)
from truceline.fusion.base import KIND_CODE, EvidenceTable
from truceline.observation import Kind


def table_of(t, x, y, sigma, kinds, ox=None, oy=None) -> EvidenceTable:
    n = len(t)
    nan = np.full(n, np.nan)
    return EvidenceTable(
        index=np.arange(n, dtype=np.int64) * 3 + 7,
        t=np.asarray(t, float),
        kind=np.array([KIND_CODE[k] for k in kinds], np.int16),
        sensor=np.arange(n, dtype=np.int32) % 3,
        x=np.asarray(x, float),
        y=np.asarray(y, float),
        sigma=np.asarray(sigma, float),
        ox=nan.copy() if ox is None else np.asarray(ox, float),
        oy=nan.copy() if oy is None else np.asarray(oy, float),
        osigma=np.full(n, 80.0),
        sx=nan.copy(),
        sy=nan.copy(),
        bearing=nan.copy(),
        band_lo=nan.copy(),
        band_hi=nan.copy(),
        weapon=np.full(n, -1, np.int16),
        frp=nan.copy(),
        sensors=["a", "b", "c"],
        sensor_kind=["radar", "acoustic", "seismic"],
        sensor_operator=["mission", "g1", "party-a"],
    )


def stream_links(table: EvidenceTable, gate: Gate) -> set[tuple[int, int]]:
    index = StreamIndex(gate)
    out = set()
    for r in range(len(table)):
        for j in index.add(r, float(table.t[r]), table_row_points(table, r)):
            out.add((r, j))
    return out


def batch_links(table: EvidenceTable, gate: Gate) -> set[tuple[int, int]]:
    li, lj = links_batch(table, gate)
    return set(zip(li.tolist(), lj.tolist(), strict=True))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 150))
def test_batch_and_stream_links_agree(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    # Dense enough that gates overlap, with some late (out-of-order) rows.
    t = np.sort(rng.uniform(0, 3000, n)) + rng.choice([0, 0, 0, -4000], n)
    kinds = rng.choice([Kind.impact, Kind.explosion, Kind.launch, Kind.projectile], n)
    ox = np.where(kinds == Kind.projectile, rng.uniform(-8000, 8000, n), np.nan)
    oy = np.where(kinds == Kind.projectile, rng.uniform(-8000, 8000, n), np.nan)
    table = table_of(
        t,
        rng.uniform(-8000, 8000, n),
        rng.uniform(-8000, 8000, n),
        rng.uniform(10, 2500, n),
        list(kinds),
        ox,
        oy,
    )
    gate = Gate(window_s=300, radius_m=2000, max_radius_m=6000, lateness_s=1800)
    assert batch_links(table, gate) == stream_links(table, gate)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 150), st.integers(1, 40))
def test_blocks_give_the_whole_batch(seed: int, n: int, block: int) -> None:
    """Found block by block (as the batch adjudicator prefetches them), the candidate
    links are the whole search's, in the same order, late rows and all."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, 3000, n)) + rng.choice([0, 0, 0, -500, -4000], n)
    kinds = rng.choice([Kind.impact, Kind.launch, Kind.projectile], n)
    ox = np.where(kinds == Kind.projectile, rng.uniform(-8000, 8000, n), np.nan)
    oy = np.where(kinds == Kind.projectile, rng.uniform(-8000, 8000, n), np.nan)
    xy = rng.uniform(-8000, 8000, (2, n))
    table = table_of(t, xy[0], xy[1], rng.uniform(10, 2500, n), list(kinds), ox, oy)
    gate = Gate(window_s=300, radius_m=2000, max_radius_m=6000, lateness_s=1800)
    whole = candidates_batch(table, gate)
    blocks = list(candidate_blocks(table, gate, block=block))
    assert [(lo, hi) for lo, hi, *_ in blocks] == [
        (lo, min(lo + block, n)) for lo in range(0, n, block)
    ]
    for lo, hi, i, _, _ in blocks:
        assert ((i >= lo) & (i < hi)).all()
    joined = [np.concatenate(c) for c in zip(*(b[2:] for b in blocks), strict=True)]
    assert [c.tolist() for c in joined] == [c.tolist() for c in whole]


def test_links_point_backwards_once_per_side() -> None:
    # Three reports of one impact, a fourth far away, a fifth long after.
    table = table_of(
        [0, 5, 9, 10, 4000], [0, 50, -40, 30000, 0], [0, 30, 20, 0, 0], [100] * 5, [Kind.impact] * 5
    )
    links = batch_links(table, Gate())
    assert links == {(1, 0), (2, 0)}  # row 2 is nearer row 0 (45 m) than row 1 (94 m)


def test_launch_and_impact_never_link_except_through_a_radar_track() -> None:
    table = table_of(
        [0, 1, 2],
        [0, 0, 100],  # launch at (0, 0), impact at (0, 15000), radar track (origin ~ launch)
        [0, 15000, 15000],
        [100, 100, 100],
        [Kind.launch, Kind.impact, Kind.projectile],
        ox=[np.nan, np.nan, 30.0],
        oy=[np.nan, np.nan, 20.0],
    )
    assert batch_links(table, Gate()) == {(2, 1), (2, 0)}


def test_late_rows_do_not_associate() -> None:
    table = table_of([5000, 0, 4], [0, 0, 10], [0, 0, 10], [100] * 3, [Kind.impact] * 3)
    gate = Gate(lateness_s=1000)
    assert batch_links(table, gate) == set() == stream_links(table, gate)


def test_a_bearing_is_a_wedge_not_a_disc() -> None:
    # An observer at the origin reports "2-4 km due north". A precise report 3 km north
    # joins it; one 3 km east (as near to the band's middle point as the first) does not.
    table = table_of(
        [0, 10, 20], [0, 0, 2900], [0, 3000, 900], [300, 100, 100], [Kind.explosion] * 3
    )
    table.sx[0], table.sy[0] = 0.0, 0.0
    table.bearing[0], table.band_lo[0], table.band_hi[0] = 0.0, 2000.0, 4000.0
    table.x[0], table.y[0] = 0.0, 3000.0  # mid-band point, as build_table places it
    links = batch_links(table, Gate())
    assert (1, 0) in links and (2, 0) not in links


def test_imported_rows_are_sources_by_uploader() -> None:
    """One uploader's files are one source, whatever their format, and its rows are its
    operator's evidence; the gateway's own imports are the gateway's."""
    from tests.adjudication.helpers import obs

    from truceline.fusion.base import SensorInfo, build_table, frame_for

    prov = {"source": "firms.csv", "sha256": "0" * 64, "row": 1, "format": "firms"}
    east = {**prov, "uploader": "importer-east"}
    a = obs("gw", 1, 0, "thermal_anomaly", (36.6, 47.7), 300, provenance=east)
    b = obs(
        "gw",
        2,
        0,
        "impact",
        (36.6, 47.7),
        300,
        provenance={**east, "format": "osce", "source": "o.csv"},
    )
    c = obs("gw", 3, 0, "impact", (36.6, 47.7), 300, provenance=prov)
    d = obs("gw", 4, 0, "impact", (36.6, 47.7), 300)
    sensors = {
        "gw": SensorInfo("import_gateway", "mission"),
        "importer-east": SensorInfo("importer", "east"),
    }
    table = build_table(
        [(1, a), (2, b), (3, c), (4, d)],
        sensors,
        frame_for({"type": "LineString", "coordinates": [[36, 47], [37, 48]]}),
    )
    assert table.sensors == ["gw/importer-east", "gw/gw", "gw"]
    assert table.sensor_kind == ["import:importer-east", "import:gw", "import_gateway"]
    assert table.sensor_operator == ["east", "mission", "mission"]


def _random_table(seed: int, n: int) -> EvidenceTable:
    """Point, bearing, launch, radar and non-detection reports, some without a place."""
    rng = np.random.default_rng(seed)
    kinds = list(rng.choice([Kind.impact, Kind.launch, Kind.projectile, Kind.inspection_report], n))
    radar = np.array([k is Kind.projectile for k in kinds])
    xy = rng.uniform(-8000, 8000, (4, n))
    table = table_of(
        rng.uniform(0, 3000, n),
        np.where(rng.random(n) < 0.1, np.nan, xy[0]),
        xy[1],
        rng.uniform(10, 2500, n),
        kinds,
        np.where(radar, xy[2], np.nan),
        np.where(radar, xy[3], np.nan),
    )
    bearing = (rng.random(n) < 0.4) & ~radar
    table.sx[bearing], table.sy[bearing] = xy[2][bearing], xy[3][bearing]
    table.bearing[bearing] = rng.uniform(0, 2 * np.pi, bearing.sum())
    table.band_lo[bearing] = rng.uniform(0, 3000, bearing.sum())
    table.band_hi[bearing] = table.band_lo[bearing] + rng.uniform(0, 5000, bearing.sum())
    return table


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 60))
def test_one_point_layout_for_tables_and_engine_rows(seed: int, n: int) -> None:
    """`row_points` (the engine's, per row) gives exactly `side_points` (the batch's)."""
    from truceline.fusion.base import frame_for
    from truceline.fusion.points import IMPACT, ORIGIN, SidePoint, row_points, side_points
    from truceline.fusion.rows import rows_of

    table = _random_table(seed, n)
    frame = frame_for({"type": "LineString", "coordinates": [[36.0, 47.7], [37.0, 47.7]]})
    rows = rows_of(table, frame)
    for side in (IMPACT, ORIGIN):
        which, pts = side_points(table, side)
        got = {r: p[side] for r, row in enumerate(rows) if side in (p := row_points(row))}
        assert sorted(got) == which.tolist()
        for r, pt in zip(which.tolist(), pts, strict=True):
            assert isinstance(got[r], SidePoint)
            np.testing.assert_array_equal(np.array(got[r]), pt)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 60))
def test_the_score_against_a_fix_is_the_pair_score(seed: int, n: int) -> None:
    """`Gate.score_point` (a report against an incident's fix, plain floats) is `Gate.score`
    against that fix as a point report."""
    from truceline.fusion.points import IMPACT, NCOL, ORIGIN, side_points

    rng = np.random.default_rng(seed)
    table = _random_table(seed, n)
    pts = np.concatenate([side_points(table, side)[1] for side in (IMPACT, ORIGIN)])
    fixes = np.full((len(pts), NCOL), np.nan)
    fixes[:, :3] = np.column_stack(
        (rng.uniform(-8000, 8000, (2, len(pts))).T, rng.uniform(10, 2500, len(pts)))
    )
    gate = Gate()
    want = gate.score(pts, fixes) if len(pts) else np.zeros(0)
    got = [gate.score_point(tuple(p), *f[:3]) for p, f in zip(pts, fixes, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-12)

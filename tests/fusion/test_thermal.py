"""The thermal score's rules, one at a time, and its two modes agreeing on any input."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import poisson

from truceline.fusion.thermal import (
    _Q,
    ThermalBaseline,
    ThermalScorer,
    cell_of,
    day_of,
    excess,
    score_fires,
    upper_quantile,
)

FARM = (35.05, 47.05)
FRESH = (36.55, 47.55)  # another one-degree block: the farm's season is not its


def ts(y: int, m: int, d: int, h: int = 12) -> float:
    return datetime(y, m, d, h, tzinfo=UTC).timestamp()


def farm_baseline(per_day: int = 3) -> list[tuple[float, float, float]]:
    """A farm cell that burns `per_day` pixels every August day of the baseline year."""
    return [(*FARM, ts(2021, 8, d)) for d in range(1, 32) for _ in range(per_day)]


def verdicts(pixels: list[tuple[float, float, float]], base=None):
    return score_fires(farm_baseline() if base is None else base, pixels)


def test_the_quantile_table_is_the_poisson_quantile() -> None:
    for mean in np.concatenate([[0.0, 1e-9, 0.0513, 0.0514], np.geomspace(1e-3, 500, 400)]):
        assert _Q.quantile(float(mean)) == int(upper_quantile(mean)), mean
    assert excess(np.array([5.0]), np.array([0.0]))[0] == 3.0


def test_the_season_explains_a_farm_and_not_the_same_count_elsewhere() -> None:
    base = ThermalBaseline()
    for p in farm_baseline():
        base.add(*p)
    assert abs(base.own(cell_of(*FARM), 227) - 3.0) < 1e-9  # 16 August: +-15 days all burn
    # Four pixels a day in August, twice 10 days apart: the farm's season holds them.
    august = [(*FARM, ts(2022, 8, d)) for d in (5, 15) for _ in range(4)]
    assert not any(v.war for v in verdicts(august))
    assert verdicts(august)[0].expected > 0.8  # half its own season, half its neighbours
    # The same in March, or in a fresh cell, is beyond the season.
    march = [(*FARM, ts(2022, 3, d)) for d in (5, 15) for _ in range(4)]
    fresh = [(*FRESH, ts(2022, 8, d)) for d in (5, 15) for _ in range(4)]
    assert all(v.war for v in verdicts(march)) and all(v.war for v in verdicts(fresh))


def test_excess_needs_the_economist_offset() -> None:
    """Three pixels in a cell that never burns are an excess day; two are not."""
    two = [(*FRESH, ts(2022, 8, d)) for d in (5, 15) for _ in range(2)]
    three = [(*FRESH, ts(2022, 8, d)) for d in (5, 15) for _ in range(3)]
    assert [v.excess for v in verdicts(two)] == [0.0] * 4
    assert all(v.excess == 1.0 and v.war for v in verdicts(three))


def test_an_excess_day_counts_once_another_is_6_to_89_days_away() -> None:
    def burst(day: int) -> list[tuple[float, float, float]]:
        return [(*FRESH, ts(2022, 5, 1) + day * 86_400.0)] * 4

    for gap, sustained in ((5, False), (6, True), (89, True), (90, False)):
        v = verdicts(burst(0) + burst(gap))
        assert all(x.sustained is sustained and x.war is sustained for x in v), gap
    assert not verdicts(burst(0))[0].war  # a single day of fire is no war


def test_pixels_in_the_10_days_after_a_war_day_are_war() -> None:
    start = ts(2022, 5, 1)
    war = [(*FRESH, start)] * 4 + [(*FRESH, start + 7 * 86_400.0)] * 4
    after = [(*FRESH, start + (7 + k) * 86_400.0) for k in (1, 10, 11)]
    v = verdicts(war + after)
    assert [(x.war, x.persisted) for x in v[-3:]] == [(True, True), (True, True), (False, False)]
    assert v[-1].sustained and v[-1].observed == 1


def test_a_region_that_burns_everywhere_raises_expectations() -> None:
    """A cell whose season is about one pixel a day shows six on two days 10 days apart:
    war, unless the whole region burns five times its season that month."""
    base = [
        (35.0 + i / 10, 47.0 + j / 10, ts(2021, 5, d))
        for i in range(10)
        for j in range(10)
        for d in range(1, 32)
    ]
    cell = (35.45, 47.45)
    quiet = [(*cell, ts(2022, 5, d)) for d in (10, 20) for _ in range(6)]
    assert all(v.war for v in score_fires(base, quiet))
    busy = [
        (35.0 + i / 10, 47.0 + j / 10, ts(2022, 5, d))
        for i in range(10)
        for j in range(10)
        for d in range(1, 21)
        for _ in range(5)
        if cell_of(35.0 + i / 10, 47.0 + j / 10) != cell_of(*cell)
    ]
    v = score_fires(base, busy + quiet)[-len(quiet) :]
    assert not any(x.war for x in v) and v[0].expected > 3.5


pixel = st.tuples(
    st.sampled_from([35.05, 35.15, 35.95, 36.05, 37.45]),
    st.sampled_from([47.05, 47.15, 47.95]),
    st.integers(0, 120),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(pixel, max_size=60), st.lists(pixel, min_size=1, max_size=200), st.randoms())
def test_tracking_pixel_by_pixel_ends_where_counting_them_all_does(history, pixels, rnd) -> None:
    """The engine's mode (regional sums and excess days kept up to date per pixel, in
    any order) ends with every verdict equal to the batch mode's."""
    start = ts(2022, 4, 1)
    base_rows = [(lon, lat, ts(2021, 4, 1) + d * 86_400.0) for lon, lat, d in history]
    rows = [(lon, lat, start + d * 86_400.0) for lon, lat, d in pixels]
    expected = score_fires(base_rows, rows)
    base = ThermalBaseline()
    tracked = ThermalScorer(base, track=True)
    order = list(range(len(rows)))
    rnd.shuffle(order)
    half = len(base_rows) // 2
    for p in base_rows[:half]:
        base.add(*p)
    for k, i in enumerate(order):
        tracked.add(*rows[i])
        tracked.changed_cells()
        if k == len(order) // 2:
            for p in base_rows[half:]:  # history logged in the middle of the war
                base.add(*p)
    tracked.changed_cells()
    for (lon, lat, t), want in zip(rows, expected, strict=True):
        assert tracked.verdict(cell_of(lon, lat), day_of(t)) == want


def test_changed_cells_names_the_cell_whose_verdict_turned() -> None:
    base = ThermalBaseline()
    scorer = ThermalScorer(base)
    c = cell_of(*FRESH)
    for k in range(4):
        scorer.add(*FRESH, ts(2022, 5, 1))
        assert scorer.changed_cells() == ({c} if k == 2 else set())  # the third pixel
    assert not scorer.verdict(c, day_of(ts(2022, 5, 1))).war  # one day: not sustained
    for _ in range(3):
        scorer.add(*FRESH, ts(2022, 5, 9))
    assert scorer.changed_cells() == {c}
    assert scorer.verdict(c, day_of(ts(2022, 5, 1))).war  # the later day re-judged it
    assert poisson.ppf(0.95, 0.06) == 1.0  # (a mean of 0.06 already allows one pixel)


def test_thermal_score_command(tmp_path) -> None:
    """Through the CLI: a refused row is named, every accepted pixel gets a row, and the
    baseline can be the year before --since in the same file."""
    import csv

    from typer.testing import CliRunner

    from truceline.cli import app

    def rows(pixels):
        return "\n".join(f"{lat},{lon},{day}" for (lon, lat), day in pixels)

    history = [(FARM, f"2021-08-{d:02d}") for d in range(1, 32) for _ in range(3)]
    fires = [(FRESH, "2022-08-05")] * 4 + [(FRESH, "2022-08-15")] * 4 + [(FARM, "2022-08-05")] * 2
    base = tmp_path / "base.csv"
    base.write_text("latitude,longitude,acq_date\n" + rows(history) + "\n")
    scored = tmp_path / "fires.csv"
    scored.write_text("latitude,longitude,acq_date\n" + rows(fires) + "\n47.5,x,2022-08-05\n")
    out = tmp_path / "scores.csv"
    runner = CliRunner()
    result = runner.invoke(
        app, ["thermal-score", str(scored), "--baseline", str(base), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "longitude" in result.stderr and '"war": 8' in result.stderr
    with open(out, newline="") as fh:
        got = list(csv.DictReader(fh))
    assert len(got) == 10 and [r["war"] for r in got] == ["1"] * 8 + ["0"] * 2
    assert got[0]["cell_lon"] == "36.6" and got[0]["observed"] == "4"
    both = tmp_path / "both.csv"
    both.write_text("latitude,longitude,acq_date\n" + rows(history + fires) + "\n")
    result = runner.invoke(app, ["thermal-score", str(both), "--since", "2022-01-01"])
    assert result.exit_code == 0 and result.stdout.count("\n") == 11  # header + 10
    result = runner.invoke(app, ["thermal-score", str(scored)])
    assert result.exit_code == 2 and "no baseline" in result.output

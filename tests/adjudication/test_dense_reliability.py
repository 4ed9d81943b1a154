"""The reliability flag in dense fire: strikes mixed by association must not get honest
sensors flagged, and must not hide a liar.

The strikes are `benchmarks/bench_fusion.py`'s synthetic front (every sensor honest,
errors as stated) at its 1M-a-day density: 4,000 strikes in 1,728 s along 1,000 km.
There association mixes strikes that land within the 2 km gate of each other, and the
consensus of other strikes' reports used to contradict the mission's radar and acoustic
array in over a quarter of their checks."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from truceline.adjudication.lifecycle import Engine, adjudicate
from truceline.adjudication.verdict import AgreementRef
from truceline.fusion.base import frame_for

N_OBS, SPAN_S = 20_000, 1728.0  # 1,000,000 a day's density, in about 2 s


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    path = Path(__file__).parents[2] / "benchmarks" / "bench_fusion.py"
    spec = importlib.util.spec_from_file_location("bench_fusion", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(bench: ModuleType, liar: str | None = None) -> Engine:
    table, _ = bench.synthetic(N_OBS, span_s=SPAN_S)
    if liar is not None:
        # The liar mirrors every origin it reports across the line: each shot framed on
        # the other party.
        frame = frame_for(
            {
                "type": "LineString",
                "coordinates": [[bench.LON0, bench.LAT], [bench.LON1, bench.LAT]],
            }
        )
        _, yline = frame.to_xy(np.array([(bench.LON0 + bench.LON1) / 2]), np.array([bench.LAT]))
        mine = table.sensor == table.sensors.index(liar)
        table.oy[mine] = 2 * yline[0] - table.oy[mine]
    agr = bench.agreement()
    engine, _ = adjudicate(table, agr, AgreementRef(id=agr.id, version=1, sha256="0" * 64))
    return engine


def test_dense_fire_flags_no_honest_sensor(bench: ModuleType) -> None:
    rel = run(bench).reliability
    assert rel.flagged_sensors() == []
    # The mixtures are not judged at all, rather than judged leniently: the mission radar
    # is still checked in most of its incidents.
    assert len(rel.checked["radar-m"]) > 500


def test_dense_fire_does_not_hide_a_lying_radar(bench: ModuleType) -> None:
    rel = run(bench, liar="radar-n").reliability
    assert rel.flagged_sensors() == ["radar-n"]
    share = len(rel.contradicted["radar-n"]) / len(rel.checked["radar-n"])
    assert share > 0.5, share

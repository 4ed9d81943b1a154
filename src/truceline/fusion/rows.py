"""The typed record between fusion and adjudication: one observation as the engine sees it.

`fusion.base.build_table` turns observations into columns in the agreement's frame;
`rows_of` turns those columns into `Row`s, which the lifecycle engine
(`adjudication.lifecycle`) consumes in ledger order and `fusion.points` turns into the
points association compares.
"""

from __future__ import annotations

from typing import NamedTuple

from truceline.fusion.base import KINDS, EvidenceTable, Frame
from truceline.observation import Kind


class Row(NamedTuple):
    """One observation as the engine sees it (plain floats; NaN = absent). A named tuple:
    a heavy day has a million of them, and a tuple is built several times faster than a
    frozen dataclass."""

    leaf: int  # the observation's ledger index (`index` would shadow tuple.index)
    t: float
    kind: Kind
    sensor: str
    skind: str
    operator: str
    x: float
    y: float
    sigma: float
    ox: float
    oy: float
    osigma: float
    sx: float
    sy: float
    bearing: float
    lo: float
    hi: float
    weapon: int
    lon: float
    lat: float
    ref: tuple[str, str] | None = None


def rows_of(table: EvidenceTable, frame: Frame) -> list[Row]:
    lon, lat = frame.to_lonlat(table.x, table.y)
    sensor = table.sensor.tolist()
    n = len(sensor)
    refs = table.incident_ref
    cols = [
        table.index.tolist(),
        table.t.tolist(),
        [KINDS[k] for k in table.kind.tolist()],
        [table.sensors[s] for s in sensor],
        [table.sensor_kind[s] for s in sensor],
        [table.sensor_operator[s] for s in sensor],
        table.x.tolist(),
        table.y.tolist(),
        table.sigma.tolist(),
        table.ox.tolist(),
        table.oy.tolist(),
        table.osigma.tolist(),
        table.sx.tolist(),
        table.sy.tolist(),
        table.bearing.tolist(),
        table.band_lo.tolist(),
        table.band_hi.tolist(),
        table.weapon.tolist(),
        lon.tolist(),
        lat.tolist(),
        [refs.get(r) for r in range(n)] if refs else [None] * n,
    ]
    return list(map(Row._make, zip(*cols, strict=True)))

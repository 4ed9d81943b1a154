"""FIRMS CSV on real NASA data: the yearly Ukraine extracts and a full-schema VIIRS day."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from truceline.adapters import Row, RowError, SourceError
from truceline.adapters.firms import FirmsAdapter, acq_clock, pixel_uncertainty_m
from truceline.observation import Kind

YEARLY = {2021: 57_595, 2022: 133_979, 2023: 98_287}
VIIRS_DAY = "economist-war-fire-model/J1_VIIRS_C2_Global_VJ114IMGTDL_NRT_2025223.txt.csv"


@pytest.mark.slow
@pytest.mark.parametrize("year", sorted(YEARLY))
def test_yearly_files_every_row_accounted(data: Path, year: int) -> None:
    path = data / f"gianman89-war-fire-model/ukr_fire_data_{year}.csv"
    adapter = FirmsAdapter()
    parsed = errors = 0
    first: Row | None = None
    last_row = -1
    for item in adapter.parse(path):
        assert item.row == last_row + 1  # in order, none skipped
        last_row = item.row
        if isinstance(item, Row):
            parsed += 1
            first = first or item
            obs = item.observation
            assert obs.observed_at.year == year
            assert obs.observed_at.hour == 0 and obs.observed_at.minute == 0
        else:
            errors += 1
    counts = adapter.counts
    assert counts.read == YEARLY[year]
    assert counts.read == counts.parsed + counts.errors == parsed + errors
    assert errors == 0  # the real files are clean
    assert first is not None
    obs = first.observation
    assert obs.kind is Kind.thermal_anomaly
    prov = obs.attributes.provenance
    assert prov is not None and prov.row == 0 and prov.format == "firms"
    assert prov.source == path.name
    assert prov.repairs == [
        "acq_time: absent (date-only schema); observed_at set to 00:00Z of acq_date"
    ]
    extra = obs.attributes.model_extra or {}
    assert extra["time_uncertainty_s"] == 86_400
    assert obs.uncertainty_m == pytest.approx(707.1)  # half the diagonal of a 1 km pixel
    assert counts.repaired == counts.parsed


def test_full_schema_viirs_day(data: Path) -> None:
    adapter = FirmsAdapter()
    items = list(adapter.parse(data / VIIRS_DAY))
    assert adapter.counts.read == 171 == adapter.counts.parsed
    assert all(isinstance(i, Row) for i in items)
    first = items[0].observation  # type: ignore[union-attr]
    # 48.26382,37.21014,297.54,0.53,0.67,2025-08-11,00:45:00,N20,nominal,2.0NRT,281.83,0.36,N,VIIRS
    assert first.geometry.coordinates == (37.21014, 48.26382)  # type: ignore[union-attr]
    assert first.observed_at == datetime(2025, 8, 11, 0, 45, tzinfo=UTC)
    attrs = first.attributes
    assert attrs.confidence == 0.55 and attrs.frp_mw == 0.36
    extra = attrs.model_extra or {}
    assert extra["instrument"] == "VIIRS" and extra["satellite"] == "N20"
    assert extra["pixel_km"] == [0.53, 0.67] and extra["daynight"] == "N"
    assert extra["bright_ti4_k"] == 297.54 and extra["bright_ti5_k"] == 281.83
    assert first.uncertainty_m == pixel_uncertainty_m(0.53, 0.67)
    assert attrs.provenance is not None and attrs.provenance.repairs == []
    passes = Counter(i.observation.observed_at.strftime("%H:%M") for i in items)  # type: ignore[union-attr]
    assert set(passes) == {"00:45", "10:32"}


MODIS = """latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,confidence,version,bright_t31,frp,daynight
48.1,37.5,320.5,1.2,1.1,2022-03-01,45,Terra,87,6.1NRT,290.1,12.5,D
48.2,37.6,318.0,,,2022-03-01,1032,Aqua,40,6.1NRT,288.0,4.0,N
48.3,37.7,318.0,1.0,1.0,2022-03-01,2460,Aqua,40,6.1NRT,288.0,4.0,N
91.0,37.7,318.0,1.0,1.0,2022-03-01,1200,Aqua,40,6.1NRT,288.0,4.0,N
48.3,37.7,318.0,1.0,1.0,2022-03-01,1200,Aqua,140,6.1NRT,288.0,4.0,N
48.3,37.7,318.0,1.0,1.0,2022-03-01,1200,Aqua
"""


def test_modis_schema_and_row_errors(tmp_path: Path) -> None:
    path = tmp_path / "modis.csv"
    path.write_text(MODIS)
    adapter = FirmsAdapter()
    items = list(adapter.parse(path))
    assert adapter.counts.read == 6 and adapter.counts.parsed == 2 and adapter.counts.errors == 4
    a, b = items[0], items[1]
    assert isinstance(a, Row) and isinstance(b, Row)
    assert a.observation.observed_at == datetime(2022, 3, 1, 0, 45, tzinfo=UTC)
    assert a.observation.attributes.confidence == 0.87
    assert (a.observation.attributes.model_extra or {})["instrument"] == "MODIS"
    assert b.observation.uncertainty_m == pytest.approx(707.1)  # nominal 1 km pixel
    assert b.observation.attributes.provenance.repairs == [  # type: ignore[union-attr]
        "scan/track: absent; nominal MODIS pixel of 1.0 km assumed"
    ]
    errors = [(i.row, i.field) for i in items if isinstance(i, RowError)]
    assert errors == [(2, "acq_time"), (3, "latitude"), (4, "confidence"), (5, "row")]
    assert "is above 90" in items[3].reason  # type: ignore[union-attr]


def test_viirs_letter_confidence_and_clock_forms(tmp_path: Path) -> None:
    path = tmp_path / "viirs.csv"
    path.write_text(
        "LATITUDE,LONGITUDE,BRIGHT_TI4,SCAN,TRACK,ACQ_DATE,ACQ_TIME,SATELLITE,CONFIDENCE,VERSION,BRIGHT_TI5,FRP,DAYNIGHT\n"
        "48,37,330,0.4,0.4,2022-02-24,0112,N,h,2,290,5,N\n"
        "48,37,330,0.4,0.4,2022-02-24,01:12,N,l,2,290,5,N\n"
        "48,37,330,0.4,0.4,2022-02-24,0112,N,maybe,2,290,5,N\n"
    )
    items = list(FirmsAdapter().parse(path))
    assert [type(i) for i in items] == [Row, Row, RowError]
    assert items[0].observation.attributes.confidence == 0.9  # type: ignore[union-attr]
    assert items[1].observation.attributes.confidence == 0.15  # type: ignore[union-attr]
    assert items[2].field == "confidence"  # type: ignore[union-attr]


def test_acq_clock_forms() -> None:
    assert acq_clock("0045").seconds == 45 * 60
    assert acq_clock("45").seconds == 45 * 60
    assert acq_clock("10:32:00").seconds == 10 * 3600 + 32 * 60
    assert acq_clock("9:05").seconds == 9 * 3600 + 5 * 60


def test_unknown_header_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("lat,lon,when\n1,2,3\n")
    with pytest.raises(SourceError, match="not a FIRMS CSV"):
        list(FirmsAdapter().parse(path))

"""Third-party and monitoring-mission tables: CIR/Bellingcat events and the OSCE SMM extract."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from truceline.adapters import Row, RowError
from truceline.adapters.cir import CirEventsAdapter, group_kind, tweet_time
from truceline.adapters.osce import OsceHeadlineAdapter, region_point
from truceline.observation import Kind, Perception

CIR = "cir-eyes-on-russia-events/events.csv"
OSCE = "osce-smm-headline-extract/osce_smm_daily_headline_counts_EXTRACTED.csv"


def test_cir_every_row_accounted(data: Path) -> None:
    adapter = CirEventsAdapter()
    items = list(adapter.parse(data / CIR))
    c = adapter.counts
    assert c.read == 6650 == c.parsed + c.errors == len(items)
    errors = [i for i in items if isinstance(i, RowError)]
    assert {e.field for e in errors} == {"date"}
    blank = [e for e in errors if e.reason == "missing or empty"]
    assert [e.row for e in blank] == [6646, 6647, 6648, 6649]
    after_post = [e for e in errors if "after the post it cites" in e.reason]
    assert len(after_post) + len(blank) == len(errors)
    # the three rows dated 2023/2024 whose tweets are from February 2022 are among them
    assert {6643, 6644, 6645} <= {e.row for e in after_post}
    assert all(e.raw for e in errors)
    rows = [i for i in items if isinstance(i, Row)]
    assert all(r.observation.attributes.perception is Perception.reported for r in rows)
    assert all(r.observation.attributes.provenance.repairs for r in rows)  # type: ignore[union-attr]
    kinds = Counter(r.observation.kind for r in rows)
    assert kinds[Kind.impact] > kinds[Kind.explosion] > 0 and kinds[Kind.launch] > 0
    first = rows[0].observation
    assert first.observed_at == datetime(2022, 1, 1, tzinfo=UTC)
    assert first.geometry.coordinates == (27.211645, 54.069385)  # type: ignore[union-attr]
    assert (first.attributes.model_extra or {})["entry"] == "UW0067"


def test_cir_group_kinds() -> None:
    assert group_kind("Bombing or Explosion Feb - June") is Kind.explosion
    assert group_kind("Civilian Infrastructure Damage March 2022") is Kind.impact
    assert group_kind("Russian Firing Positions") is Kind.launch
    assert group_kind("Mass grave or Burial") is Kind.third_party_report


def test_tweet_time_from_status_id() -> None:
    assert tweet_time("https://twitter.com/x/status/1496965140318769152") == datetime(
        2022, 2, 24, 21, 47, 56, 376000, tzinfo=UTC
    )
    assert tweet_time("https://t.me/channel/123") is None


def test_osce_extract(data: Path) -> None:
    adapter = OsceHeadlineAdapter()
    items = list(adapter.parse(data / OSCE))
    assert adapter.counts.read == 31 == adapter.counts.parsed
    rows = [i for i in items if isinstance(i, Row)]
    first = rows[0].observation  # 143/2021, Donetsk, period ending 2021-06-21 19:30 Kyiv (EEST)
    assert first.observed_at == datetime(2021, 6, 21, 16, 30, tzinfo=UTC)
    assert first.attributes.count == 254
    assert (first.attributes.model_extra or {})["explosions"] == 117
    assert first.kind is Kind.third_party_report
    centre, radius = region_point("Donetsk")
    assert first.geometry.coordinates == centre  # type: ignore[union-attr]
    assert first.uncertainty_m == radius
    winter = [
        r for r in rows if (r.observation.attributes.model_extra or {})["report_id"] == "38/2022"
    ]
    assert winter[0].observation.observed_at == datetime(2022, 2, 17, 17, 30, tzinfo=UTC)  # EET
    # 195/2021 has no period end: filled from the issue date, and said so
    blank_end = [
        r for r in rows if (r.observation.attributes.model_extra or {})["report_id"] == "195/2021"
    ]
    assert len(blank_end) == 2
    assert (
        blank_end[0]
        .observation.attributes.provenance.repairs[0]
        .startswith(  # type: ignore[union-attr]
            "period_end_1930_local: blank"
        )
    )
    # the 48-hour period of the secondary source keeps its length
    two_day = [
        r for r in rows if (r.observation.attributes.model_extra or {})["period_hours"] == 48
    ]
    assert len(two_day) == 1 and two_day[0].observation.attributes.count == 2158
    with (data / OSCE).open(newline="") as fh:
        expected = sum(int(r["ceasefire_violations"]) for r in csv.DictReader(fh))
    assert sum(r.observation.attributes.count or 0 for r in rows) == expected


def test_osce_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    header = "report_id,issued_date,period_end_1930_local,period_hours,region,ceasefire_violations,explosions,prev_period_ceasefire_violations,notes,source_url\n"
    path.write_text(
        header
        + "1/2022,2022-01-02,2022-01-01,24,Kherson,5,1,1,,u\n"
        + "2/2022,2022-01-02,2022-01-01,24,Donetsk,0,0,1,,u\n"
        + "3/2022,2022-01-02,2022-01-01,24,Luhansk,many,0,1,,u\n"
    )
    items = list(OsceHeadlineAdapter().parse(path))
    assert [(i.field if isinstance(i, RowError) else None) for i in items] == [
        "region",
        "ceasefire_violations",
        "ceasefire_violations",
    ]


@pytest.mark.parametrize("name", ["Donetsk", "luhansk"])
def test_region_points_inside_ukraine(name: str) -> None:
    (lon, lat), radius = region_point(name)
    assert 36 < lon < 41 and 46 < lat < 51 and 100_000 < radius < 200_000

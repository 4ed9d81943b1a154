"""Real files through the whole import path: adapter -> import gateway -> Ingestor -> ledger.

A mission home made by `init_home` (which registers the import gateway), then
`Mission.import_file`, the call behind `truceline ingest --format ...`. Every row ends up accepted or rejected with a
reason: accepted + rejected == read.

These files were observed in 2021-2025. An agreement's `time.max_age_s` (30 days by
default) bounds how late evidence may arrive, so importing them is the job of a mission
whose agreement allows an archive: `ARCHIVE` allows 10 years. Under the example
agreement's defaults every row a file's adapter can read is refused as too_old
(`test_default_bounds_refuse_the_archive`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from truceline.adapters import ADAPTERS
from truceline.agreement.load import load_agreement_text
from truceline.clock import FixedClock
from truceline.home import Home
from truceline.ingest.bootstrap import init_home
from truceline.ingest.service import Mission

REPO = Path(__file__).resolve().parents[2]
SOURCES = {
    "firms": ("economist-war-fire-model/J1_VIIRS_C2_Global_VJ114IMGTDL_NRT_2025223.txt.csv", 171),
    "cot": ("tak-feeder-deepstate-cot/output.txt", 179),
    "cir": ("cir-eyes-on-russia-events/events.csv", 6650),
}
OSCE = "osce-smm-headline-extract/osce_smm_daily_headline_counts_EXTRACTED.csv"


ARCHIVE_MAX_AGE_S = 3650 * 86_400
ARCHIVE = (
    (REPO / "examples/agreement.yaml")
    .read_text()
    .replace("max_age_s: 2592000", f"max_age_s: {ARCHIVE_MAX_AGE_S}")
)


def _home(tmp_path: Path, text: str) -> Home:
    root = tmp_path / "home"
    init_home(
        root,
        load_agreement_text(text),
        text,
        None,
        None,
        None,
        FixedClock(datetime(2026, 3, 1, tzinfo=UTC)),
    )
    return Home(root)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return _home(tmp_path, ARCHIVE)


@pytest.mark.slow
def test_real_sources_every_row_accounted(home: Home, data: Path) -> None:
    clock = FixedClock(datetime(2026, 3, 1, tzinfo=UTC))
    with Mission(home, clock) as mission:
        size0 = mission.ledger.size
        accepted = errors = 0
        for fmt, (rel, read) in SOURCES.items():
            adapter = ADAPTERS[fmt]()
            parsed = sum(1 for item in adapter.parse(data / rel) if hasattr(item, "observation"))
            tally = mission.import_file(fmt, data / rel, batch=1000)
            rejected = sum(tally.rejected.values())
            assert tally.accepted + rejected == read, fmt
            assert tally.accepted == parsed, (fmt, tally.to_json())  # nothing lost in ingest
            assert set(tally.rejected) <= {"bad_row"}, tally.rejected
            accepted += tally.accepted
            errors += adapter.counts.errors
        assert mission.ledger.size == size0 + accepted
        assert mission.ingestor.quarantine.counts() == {"bad_row": errors}

        # the same file again: every row was imported already, so nothing new is accepted
        again = mission.import_file("cot", data / SOURCES["cot"][0])
        assert again.accepted == 0
        assert again.rejected == {"duplicate_provenance": 122, "bad_row": 57}
        assert mission.ledger.size == size0 + accepted


def test_history_imports_through_a_gateway_registered_today(home: Home, data: Path) -> None:
    """A gateway's first key has no start: it may attest rows observed before it existed
    (the attestation is of the import, the row keeps its own event time)."""
    with Mission(home, FixedClock(datetime(2026, 3, 1, 0, 1, tzinfo=UTC))) as mission:
        tally = mission.import_file("osce", data / OSCE)
    assert tally.accepted == 31 and tally.rejected == {}


def test_default_bounds_refuse_the_archive(tmp_path: Path, data: Path) -> None:
    """Under the example agreement (time.max_age_s 30 days, the default), the CIR events of
    2022-2023 arrive years late on 2026-03-01: every row the adapter reads is refused as
    too_old, the others stay bad_row, and nothing reaches the log."""
    home = _home(tmp_path, (REPO / "examples/agreement.yaml").read_text())
    rel, read = SOURCES["cir"]
    with Mission(home, FixedClock(datetime(2026, 3, 1, tzinfo=UTC))) as mission:
        size0 = mission.ledger.size
        adapter = ADAPTERS["cir"]()
        parsed = sum(1 for item in adapter.parse(data / rel) if hasattr(item, "observation"))
        tally = mission.import_file("cir", data / rel, batch=1000)
        assert tally.accepted == 0 and mission.ledger.size == size0
        assert tally.rejected == {"too_old": parsed, "bad_row": read - parsed}
        row = mission.ingestor.quarantine.list(reason="too_old", limit=1)[0]
        assert row.field == "payload.observed_at" and "time.max_age_s (30 days)" in row.message

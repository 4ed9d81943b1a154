"""Real files through the whole import path: adapter -> import gateway -> Ingestor -> ledger.

A mission home made by `init_home` (which registers the import gateway), then
`Mission.import_file`, the call behind `truceline ingest --format ...`. Every row ends up accepted or rejected with a
reason: accepted + rejected == read.
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


@pytest.fixture
def home(tmp_path: Path) -> Home:
    text = (REPO / "examples/agreement.yaml").read_text()
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

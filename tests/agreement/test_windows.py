"""Repeated time windows: a daily corridor for months in a few bytes, the same answers
as its occurrences listed one by one."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from truceline.agreement.geography import MAX_OCCURRENCES, TimeWindow
from truceline.cli import app

REPO = Path(__file__).resolve().parents[2]

T0 = datetime(2026, 6, 1, 6, tzinfo=UTC)


def window(span_h: float, every_h: int | None, days: float) -> TimeWindow:
    doc: dict[str, object] = {"start": T0, "end": T0 + timedelta(hours=span_h)}
    if every_h is not None:
        doc["repeat"] = {"every_hours": every_h, "until": T0 + timedelta(days=days)}
    return TimeWindow.model_validate(doc)


@given(
    span_h=st.floats(0.01, 24),
    every_h=st.integers(24, 24 * 7),
    days=st.floats(0, 60),
    offset_s=st.floats(-2 * 86400, 70 * 86400),
)
def test_contains_is_membership_in_an_occurrence(
    span_h: float, every_h: int, days: float, offset_s: float
) -> None:
    w = window(span_h, every_h, days)
    t = T0 + timedelta(seconds=offset_s)
    assert w.contains(t) == any(a <= t < b for a, b in w.occurrences())


def test_a_daily_window_stands_for_each_day_until_its_end() -> None:
    w = window(12, 24, 2.5)  # until day 3, 18:00: occurrences start days 1, 2 and 3
    assert [a.day for a, _ in w.occurrences()] == [1, 2, 3]
    assert w.contains(datetime(2026, 6, 3, 17, 59, tzinfo=UTC))
    assert not w.contains(datetime(2026, 6, 3, 18, tzinfo=UTC))
    assert not w.contains(datetime(2026, 6, 2, 5, 59, tzinfo=UTC))


@pytest.mark.parametrize(
    ("span_h", "every_h", "days", "says"),
    [
        (25, 24, 3, "overlap"),
        (1, 24, -1, "repeat.until"),
        (1, 1, MAX_OCCURRENCES / 24 + 1, f"more than {MAX_OCCURRENCES}"),
        (1, 0, 3, "every_hours"),
    ],
)
def test_bad_windows_are_refused_naming_the_field(
    span_h: float, every_h: int | None, days: float, says: str
) -> None:
    with pytest.raises(ValidationError, match=says):
        window(span_h, every_h, days)


def test_validate_names_the_window_at_fault(tmp_path: Path) -> None:
    """Through the CLI, as a drafter checks an agreement: the path and the reason."""
    doc = yaml.safe_load((REPO / "examples" / "agreement.yaml").read_text())
    window = doc["geography"]["corridors"][0]["windows"][0]
    window["repeat"] = {"every_hours": 6, "until": "2026-04-01T00:00:00Z"}  # 12 h every 6 h
    path = tmp_path / "agreement.yaml"
    path.write_text(yaml.safe_dump(doc))
    r = CliRunner().invoke(app, ["agreement", "validate", str(path)])
    assert r.exit_code == 1
    assert "geography.corridors[0].windows[0]: repeat.every_hours: occurrences would overlap" in (
        r.output
    )
    window["repeat"] = {"every_hours": 24, "until": "2026-04-01T00:00:00Z"}
    path.write_text(yaml.safe_dump(doc))
    assert CliRunner().invoke(app, ["agreement", "validate", str(path)]).exit_code == 0

"""Scenarios simulated once per test session and shared (simulating is the slow part)."""

from __future__ import annotations

from pathlib import Path

import pytest

from truceline.simulate import config, writer

PRESETS = ("quiet", "duel", "escalation", "spoofing", "corridor")


@pytest.fixture(scope="session")
def preset_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each preset, 1 day (escalation half a day), seed 11, written to disk."""
    out = {}
    for name in PRESETS:
        days = 0.5 if name == "escalation" else 1.0
        d = tmp_path_factory.mktemp(f"sim-{name}")
        writer.simulate(config.load(name, days=days), 11, d, workers=1)
        out[name] = d
    return out


@pytest.fixture(scope="session")
def spoofing_run() -> writer.Run:
    return writer.run(config.load("spoofing", days=1), 5)

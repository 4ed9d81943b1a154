"""Rolling forecasts over a log, for scoring against the simulator's truth.

The log is read once, as of the last forecast; each forecast then sees the facts as of its
own time (`as_of`: breaches verified by then, sensors registered by then). Penalty cases
keep their status as of the end (a case blocked after `at` is known as blocked): a leak
the CLI, which reads the log as of `at`, does not have; the simulator's penalties are
scripted and never in the log, so the scores below do not depend on it.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from truceline.corridors.forecast import LOOKBACK, forecast
from truceline.corridors.service import first_evidence
from truceline.corridors.spec import CorridorSpec, from_agreement
from truceline.home import Home
from truceline.metrics.facts import Facts, read_facts


def as_of(facts: Facts, at: datetime) -> Facts:
    return dataclasses.replace(facts, until=at)


def rolling(
    home: Home, ats: list[datetime], window: timedelta, corridors: list[CorridorSpec] | None = None
) -> list[dict[str, Any]]:
    facts = read_facts(home, min(ats) - LOOKBACK, max(ats))
    chosen = corridors if corridors is not None else from_agreement(facts.agreement)
    first = first_evidence(facts)
    return [forecast(as_of(facts, at), chosen, at, window, first) for at in ats]

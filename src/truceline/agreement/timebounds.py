"""The agreement's `time` section: when evidence counts, and when the agreement ends.

    time:
      max_age_s: 2592000      # evidence may arrive up to 30 days after it was observed
      max_ahead_s: 300        # and may be dated at most 5 minutes ahead of the ingest clock
      effective_until: "2027-03-01T00:00:00Z"   # optional: the agreement's end

Ingest applies the first two against its clock at arrival (reasons `too_old` and
`clock_skew`, both on `payload.observed_at`); adjudication judges nothing dated before
`effective_from` or at or after `effective_until` (docs/agreement.md, "Time").

The section is optional and, when absent, is not written into the version's JSON, so
the hash of a version signed without it does not change; the defaults below then apply.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from truceline.observation import Real
from truceline.rfc3339 import UtcTime

DAY_S = 86_400.0
DEFAULT_MAX_AGE_S = 30 * DAY_S
DEFAULT_MAX_AHEAD_S = 300.0


class TimeBounds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    max_age_s: Real = Field(
        default=DEFAULT_MAX_AGE_S,
        ge=60,
        le=3650 * DAY_S,
        allow_inf_nan=False,
        description="how long after observed_at evidence may still arrive, in seconds "
        "(60 s to 10 years; default 30 days)",
    )
    max_ahead_s: Real = Field(
        default=DEFAULT_MAX_AHEAD_S,
        ge=0,
        le=DAY_S,
        allow_inf_nan=False,
        description="how far ahead of the ingest clock observed_at may lie, in seconds "
        "(0 to 1 day; default 300)",
    )
    effective_until: UtcTime | None = Field(
        default=None, description="the agreement ends here: evidence from then on is not judged"
    )


DEFAULT_TIME_BOUNDS = TimeBounds()

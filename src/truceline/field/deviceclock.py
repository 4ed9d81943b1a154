"""The device clock a report was timed by, as the field app states it in the signed report.

A phone's clock may be minutes or hours off (set by hand, no network time, a flat battery).
The app estimates its offset from the server's clock the NTP way whenever it is online
(`GET /field/time`):

    t0 = device clock before the request, t1 = after, s = the server's time in the answer
    offset_s   = s - (t0 + t1) / 2
    uncertainty = (t1 - t0) / 2                  the server read its clock somewhere in between

keeps the last estimate, and when it signs a report states (`attributes.clock`):

| field | meaning |
|---|---|
| `device_time` | the device's own clock when the report was signed |
| `offset_s` | the estimated server - device offset, seconds; null if never measured |
| `accuracy_s` | the stated accuracy of `observed_at`, seconds: the round trip's half plus drift since the estimate (DRIFT_PPM) |
| `synced_at` | the server time of that estimate |

`observed_at` is then `device_time + offset_s`: the server's time scale. Without an
estimate, `observed_at` is the device clock as it is, and `offset_s`, `accuracy_s` and
`synced_at` are null: such a report is flagged wherever its time is judged (`time_check`).

Ingest runs `time_check` on every accepted report that states a clock, on every path that
ingests (`ingest.ingestor`: the HTTP result's `time`, `truceline ingest`'s flagged reports),
from the single parse of the payload its stateless check makes (`ingest.check.Checked.clock`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator

from truceline.rfc3339 import UtcTime

# The drift the app assumes for an unsynchronised phone clock: 50 parts per million
# (a quartz clock's usual tolerance), about 4.3 s a day.
DRIFT_PPM = 50.0
# observed_at must equal device_time + offset_s to the millisecond the app writes, plus
# the float rounding of offset_s.
CONSISTENCY_S = 0.002
MAX_OFFSET_S = 10 * 365 * 86_400.0  # a clock ten years off is still a measured offset
MAX_ACCURACY_S = 30 * 86_400.0

Seconds = Annotated[float, Strict(), Field(allow_inf_nan=False)]


class DeviceClock(BaseModel):
    """`attributes.clock`: the device time, its measured offset and the stated accuracy."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    device_time: UtcTime = Field(description="the device's own clock when it signed")
    offset_s: Seconds | None = Field(
        ge=-MAX_OFFSET_S,
        le=MAX_OFFSET_S,
        description="server minus device clock, seconds, as last measured; null if never",
    )
    accuracy_s: Seconds | None = Field(
        ge=0,
        le=MAX_ACCURACY_S,
        description="the stated accuracy of observed_at, seconds; null if never measured",
    )
    synced_at: UtcTime | None = Field(
        default=None, description="the server's time when the offset was measured"
    )

    @model_validator(mode="after")
    def _measured_together(self) -> DeviceClock:
        measured = (self.offset_s is not None, self.accuracy_s is not None)
        if measured[0] != measured[1]:
            raise ValueError("offset_s and accuracy_s are stated together, or both null")
        return self

    def corrected(self) -> datetime:
        """The device time on the server's scale (the device time if never measured)."""
        return self.device_time + timedelta(seconds=self.offset_s or 0.0)


def consistency_error(observed_at: datetime, clock: DeviceClock) -> str | None:
    """Why `observed_at` is not the time the clock fields state, if it is not."""
    gap = abs((observed_at - clock.corrected()).total_seconds())
    if gap <= CONSISTENCY_S:
        return None
    return (
        f"observed_at must be device_time + offset_s ({clock.corrected().isoformat()}), "
        f"it is {gap:.3f} s away"
    )


def _check(status: str, detail: str) -> dict[str, Any]:
    return {"check": "clock", "status": status, "detail": detail}


def time_check(
    observed_at: datetime, clock: DeviceClock | None, received_at: datetime | None
) -> dict[str, Any]:
    """{"check": "clock", "status": ok | flag | absent, "detail"} of a report's time.

    flag: the offset was never measured (the time is the device's word alone), or the
    stated time is later than the server received the report by more than its stated
    accuracy (the clock or the report is wrong). `received_at` None: only what the signed
    report itself says is checked (a reader of the log has no arrival times)."""
    if clock is None:
        return _check("absent", "the report states no clock (not sent by the field app)")
    if clock.offset_s is None or clock.accuracy_s is None:
        return _check(
            "flag",
            f"the device clock ({clock.device_time.isoformat()}) was never checked against "
            "the server's: the report's time is the device's word alone, accuracy unknown",
        )
    stated = (
        f"device clock {clock.device_time.isoformat()}, offset {clock.offset_s:+.3f} s "
        f"measured at {clock.synced_at.isoformat() if clock.synced_at else '?'}, "
        f"stated accuracy ±{clock.accuracy_s:.3f} s"
    )
    if received_at is not None:
        ahead = (observed_at - received_at).total_seconds()
        if ahead > clock.accuracy_s:
            return _check(
                "flag",
                f"the report's time is {ahead:.3f} s after the server received it "
                f"({received_at.isoformat()}), beyond its stated accuracy; {stated}",
            )
    return _check("ok", stated)

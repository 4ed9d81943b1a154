"""The record of a published corridor forecast: what risk the mission published, when.

A DSSE envelope of payload type FORECAST_TYPE signed by a mission principal of role
`publisher` (`truceline.authority.WRITERS`). It names the log prefix the forecast was
computed from (size and root), the corridors (embedded when the entry has room, always by
sha256), the forecast time and window, every row's probability, interval and expected
count, and the sha256 of the whole forecast document (RFC 8785), so anyone holding a
mirror (and the corridors file) recomputes it and compares (`truceline corridors --verify`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from truceline.observation import UtcTime

FORECAST_TYPE = "application/vnd.truceline.corridor-forecast+json"


class ForecastRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    corridor: str
    window_start: UtcTime
    window_end: UtcTime
    p_breach: float = Field(ge=0, le=1)
    p_low: float = Field(ge=0, le=1)
    p_high: float = Field(ge=0, le=1)
    expected: float = Field(ge=0)


class ForecastRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    at: UtcTime = Field(description="the forecast time: the log is read as of it")
    window_s: int = Field(gt=0, description="how far ahead, seconds")
    log_size: int = Field(ge=0, description="the log prefix the forecast was computed from")
    log_root: str = Field(pattern=r"^[0-9a-f]{64}$")
    agreement: str = Field(description="agreement id@version")
    corridors_source: str = Field(pattern=r"^(agreement|file)$")
    corridors_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="RFC 8785 GeoJSON")
    corridors: dict[str, Any] | None = Field(
        default=None, description="the corridors as GeoJSON, when the entry has room"
    )
    forecast_sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="of the forecast document (RFC 8785)"
    )
    rows: list[ForecastRow]
    published_at: UtcTime = Field(description="when the publisher signed it (its clock)")
    publisher: str

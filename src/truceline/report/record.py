"""The record of a published report: what the mission published, when, as a ledger entry.

A DSSE envelope of payload type REPORT_TYPE, signed by a mission principal of role
`publisher` (`truceline.authority.WRITERS`). It names the report by its sha256, so anyone
holding a copy of the file proves, from the public log alone, that the mission published
exactly those bytes, and when: the entry's place in the log, under cosigned checkpoints.
"""

from __future__ import annotations

from datetime import date as Date

from pydantic import BaseModel, ConfigDict, Field

from truceline.observation import UtcTime

REPORT_TYPE = "application/vnd.truceline.report+json"


class ReportRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    date: Date = Field(description="the day the report covers (UTC)")
    lang: str = Field(pattern=r"^[a-z]{2}$", description="the report's language")
    format: str = Field(pattern=r"^(html|pdf)$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="of the report's bytes")
    bytes: int = Field(ge=0)
    log_size: int = Field(ge=0, description="the log size the report was computed from")
    log_root: str = Field(pattern=r"^[0-9a-f]{64}$", description="its Merkle root")
    agreement: str = Field(description="agreement id@version")
    published_at: UtcTime = Field(description="when the publisher signed it (its clock)")
    publisher: str = Field(description="the principal id that signs this record")

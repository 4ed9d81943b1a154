"""The agreement's principals: who writes for the mission, by role.

Parties and guarantors sign their own acts with the keys the agreement lists for them.
Everything else on the log is written by a principal the mission's registrar introduces
there (a registry record signed by a registrar's agreement key), under an id this section
names; `truceline.authority` holds the table of which role may sign which record.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from truceline.registry.model import SENSOR_ID_PATTERN

PrincipalId = Field(pattern=SENSOR_ID_PATTERN)


class Principals(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    registrars: list[str] = Field(
        default_factory=list,
        description="signatory ids whose agreement keys sign registry records (introduce, "
        "rotate and revoke every other key); empty: every signatory with role mission",
    )
    adjudicators: list[str] = Field(
        default_factory=lambda: ["mission-adjudicator"],
        description="principal ids that may sign incident transitions",
    )
    enforcers: list[str] = Field(
        default_factory=lambda: ["mission-enforcement"],
        description="principal ids that may sign enforcement transitions",
    )
    publishers: list[str] = Field(
        default_factory=lambda: ["mission-publisher"],
        description="principal ids that may sign the record of a published report "
        "(its date, language, format and sha256)",
    )
    import_gateways: list[str] = Field(
        default_factory=lambda: ["mission-gateway"],
        description="principal ids that may sign observations imported from source files",
    )

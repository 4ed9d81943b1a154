"""The words the report shows for values on the log (grades, states, statuses, origins),
marked for translation; the log itself keeps the English values."""

from __future__ import annotations

from truceline.report.i18n import N_

TERMS: dict[str, str] = {
    # evidence grades
    "confirmed": N_("confirmed"),
    "fair": N_("fair"),
    "weak": N_("weak"),
    "contested": N_("contested"),
    "discounted": N_("discounted"),
    # incident states
    "reported": N_("reported"),
    "corroborated": N_("corroborated"),
    "verified": N_("verified"),
    "disputed": N_("disputed"),
    "inspection": N_("under inspection"),
    "dismissed": N_("dismissed"),
    # penalty case statuses
    "consultation": N_("consultation"),
    "countdown": N_("countdown"),
    "suspended": N_("suspended"),
    "blocked": N_("blocked"),
    "in_force": N_("in force"),
    "lapsed": N_("lapsed"),
    "void": N_("void"),
    # inspections
    "routine": N_("routine"),
    "requested": N_("requested"),
    "automatic": N_("automatic"),
    "scheduled": N_("scheduled"),
    "overdue": N_("overdue"),
}


def term(value: str) -> str:
    """The msgid for a value on the log (the value itself when it has none)."""
    return TERMS.get(value, value)

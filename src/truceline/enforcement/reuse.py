"""What `settle` can carry from one pass to the next, each answer kept with its inputs.

The appender settles the whole state on every pass, and most of it is about
incidents whose every transition has already happened: what such a history says
(its first breach per rung, the transition that fires each playbook, its automatic
inspection) no longer depends on `now`, so it is worked out once per history
object (histories are immutable: a new transition makes a new one) and looked up
afterwards. A case whose incidents are all like that, with no dispute still open,
has a timeline that no longer depends on `now` either. Anything else is computed
afresh at `now`, so a pass gives exactly what a fresh `settle` gives
(tests/enforcement/test_reuse.py checks it over random pass schedules).

It assumes what the rest of enforcement assumes: the agreement a `Folded` holds is
not changed in place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from truceline.adjudication.verdict import IncidentTransition
from truceline.agreement.enforcement import BlockRule, Rung
from truceline.agreement.model import Agreement
from truceline.enforcement import inspections as insp
from truceline.enforcement.incidents import IncidentHistory
from truceline.enforcement.penalties import (
    Breach,
    Case,
    Timeline,
    automatic_cases,
    case_timeline,
    first_breach,
)
from truceline.enforcement.playbooks import trigger


@dataclass(frozen=True)
class Summary:
    """What settle asks of one incident history."""

    breaches: tuple[Breach | None, ...]  # the first breach meeting each rung's trigger
    triggers: tuple[IncidentTransition | None, ...]  # the transition firing each playbook
    automatic: insp.Inspection | None  # the automatic inspection it opens, if any


def summarize(agreement: Agreement, h: IncidentHistory, now: datetime) -> Summary:
    acts = {a.id: a.act for a in agreement.prohibited_acts}
    act_values = {a.id: a.act.value for a in agreement.prohibited_acts}
    return Summary(
        tuple(first_breach(h, rung.trigger, acts, now) for rung in agreement.penalties.rungs),
        tuple(trigger(book, h, act_values, now) for book in agreement.playbooks),
        insp.automatic_of(agreement, h, now),
    )


@dataclass
class Reuse:
    agreement: Agreement
    # incident -> (the history it was computed from, its summary); complete histories only
    summaries: dict[str, tuple[IncidentHistory, Summary]] = field(default_factory=dict)
    # (rung id, party) -> (the rung, the breaches in order, and the cases they open)
    automatic: dict[tuple[str, str], tuple[Rung, tuple[Breach, ...], list[Case]]] = field(
        default_factory=dict
    )
    # case id -> (case, its histories, rule, extension days, the timeline they give)
    timelines: dict[
        str, tuple[Case, tuple[IncidentHistory, ...], BlockRule | None, float, Timeline]
    ] = field(default_factory=dict)

    def summary(self, h: IncidentHistory, now: datetime) -> Summary:
        if not h.complete(now):  # a transition still to come: the answer depends on `now`
            return summarize(self.agreement, h, now)
        got = self.summaries.get(h.incident)
        if got is not None and got[0] is h:
            return got[1]
        s = summarize(self.agreement, h, now)
        self.summaries[h.incident] = (h, s)
        return s

    def automatic_cases(
        self, rung: Rung, party: str, found: Sequence[Breach], window: timedelta
    ) -> list[Case]:
        """`penalties.automatic_cases`, reused while the rung and the party's breaches
        are the same (it is a pure function of them; `window` is the rung's)."""
        key = (rung.id, party)
        got = self.automatic.get(key)
        found = tuple(found)
        if got is not None and got[0] is rung and got[1] == found:
            return list(got[2])
        out = automatic_cases(rung, party, list(found), window)
        self.automatic[key] = (rung, found, out)
        return list(out)

    def timeline(
        self,
        case: Case,
        hist: Mapping[str, IncidentHistory],
        rule: BlockRule | None,
        now: datetime,
        extra: float,
    ) -> Timeline:
        """`penalties.case_timeline`, reused while the case, its histories, rule and
        extension are the same and none of those histories can still change at `now`."""
        hs = tuple(hist[i] for i in case.incidents)
        if not all(h.settled(now) for h in hs):
            return case_timeline(case, hist, rule, now, extra)
        got = self.timelines.get(case.id)
        if (
            got is not None
            and got[0] == case
            and got[2] is rule
            and got[3] == extra
            and len(got[1]) == len(hs)
            and all(a is b for a, b in zip(got[1], hs, strict=True))
        ):
            return got[4]
        tl = case_timeline(case, hist, rule, now, extra)
        self.timelines[case.id] = (case, hs, rule, extra, tl)
        return tl

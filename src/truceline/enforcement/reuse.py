"""What `settle` can carry from one pass to the next, each answer kept with its inputs.

The appender settles the whole state on every pass, and most of it is about
incidents whose every transition has already happened: what such a history says
(its first breach per rung, the transition that fires each playbook, its automatic
inspection) no longer depends on `now`, so it is worked out once per history
object (histories are immutable: a new transition makes a new one) and looked up
afterwards. A case whose incidents are all like that, with no dispute still open,
has a timeline that no longer depends on `now` either; its state then changes only
with its votes and as `now` reaches one of its deadlines, and an incident's playbook
steps only with an acknowledgement or a deadline passing. Each answer is kept with
the inputs it was computed from and reused only while they are the same (histories
by identity); anything else is computed afresh at `now`, so a pass gives exactly
what a fresh `settle` gives (tests/enforcement/test_reuse.py checks it over random
records and pass schedules, and fails if any of these checks is dropped).

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
    CaseState,
    Timeline,
    automatic_cases,
    case_timeline,
    evaluate,
    first_breach,
)
from truceline.enforcement.playbooks import StepState, incident_steps, trigger
from truceline.enforcement.records import Ack, Choice


@dataclass(frozen=True)
class Summary:
    """What settle asks of one incident history."""

    breaches: tuple[Breach | None, ...]  # the first breach meeting each rung's trigger
    triggers: tuple[IncidentTransition | None, ...]  # the transition firing each playbook
    automatic: insp.Inspection | None  # the automatic inspection it opens, if any
    fires: bool  # some playbook fires (most incidents' steps need no look otherwise)


def summarize(agreement: Agreement, h: IncidentHistory, now: datetime) -> Summary:
    acts = {a.id: a.act for a in agreement.prohibited_acts}
    act_values = {a.id: a.act.value for a in agreement.prohibited_acts}
    triggers = tuple(trigger(book, h, act_values, now) for book in agreement.playbooks)
    return Summary(
        tuple(first_breach(h, rung.trigger, acts, now) for rung in agreement.penalties.rungs),
        triggers,
        insp.automatic_of(agreement, h, now),
        any(t is not None for t in triggers),
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
    # incident -> (its playbook triggers, their steps' keys and deadlines, which of those
    # had passed, and the steps)
    steps: dict[
        str,
        tuple[
            Sequence[IncidentTransition | None],
            tuple[str, ...],
            tuple[datetime, ...],
            tuple[bool, ...],
            list[StepState],
        ],
    ] = field(default_factory=dict)
    # case id -> (case, its histories, rule, votes counted, timeline, which deadlines
    # `now` had reached, and the case's state)
    states: dict[
        str,
        tuple[
            Case,
            tuple[IncidentHistory, ...],
            BlockRule | None,
            dict[str, Choice],
            Timeline,
            tuple[bool, bool, bool],
            CaseState,
        ],
    ] = field(default_factory=dict)
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

    def incident_steps(
        self,
        agreement: Agreement,
        incident: str,
        triggers: Sequence[IncidentTransition | None],
        acks_by_step: Mapping[str, list[Ack]],
        now: datetime,
    ) -> list[StepState]:
        """`playbooks.incident_steps`, reused while the triggers are the same objects, no
        step of theirs is acknowledged, and `now` is on the same side of each deadline
        (what a step's status reads besides its acknowledgement)."""
        got = self.steps.get(incident)
        if got is not None and got[0] is triggers:
            _, keys, dues, passed, out = got
            unacked = not any(k in acks_by_step for k in keys)
            if unacked and tuple(now > d for d in dues) == passed:
                return list(out)
        out = incident_steps(agreement, incident, triggers, acks_by_step, now)
        if not any(s.acked_at is not None for s in out):
            keys = tuple(s.key for s in out)
            dues = tuple(s.due_by for s in out)
            self.steps[incident] = (triggers, keys, dues, tuple(now > d for d in dues), out)
        return list(out)

    def evaluate(
        self,
        case: Case,
        hist: Mapping[str, IncidentHistory],
        rule: BlockRule | None,
        votes: Mapping[str, Choice],
        now: datetime,
        extra: float,
        tl: Timeline,
    ) -> CaseState:
        """`penalties.evaluate` given the case's timeline `tl`, reused while the case, its
        complete histories, rule, votes and timeline (the same object) are the same and
        `now` has reached the same deadlines."""
        hs = tuple(hist[i] for i in case.incidents)
        if not all(h.complete(now) for h in hs):  # which incidents count moves with `now`
            return evaluate(case, hist, rule, votes, now, extra, tl)
        reached = _reached(tl, now)
        got = self.states.get(case.id)
        if (
            got is not None
            and got[4] is tl
            and got[5] == reached
            and _same(got[0], case)
            and got[2] is rule
            and len(got[1]) == len(hs)
            and all(a is b for a, b in zip(got[1], hs, strict=True))
            and got[3] == votes
        ):
            return got[6]
        cs = evaluate(case, hist, rule, votes, now, extra, tl)
        self.states[case.id] = (case, hs, rule, dict(votes), tl, reached, cs)
        return cs

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
            and _same(got[0], case)
            and got[2] is rule
            and got[3] == extra
            and len(got[1]) == len(hs)
            and all(a is b for a, b in zip(got[1], hs, strict=True))
        ):
            return got[4]
        tl = case_timeline(case, hist, rule, now, extra)
        self.timelines[case.id] = (case, hs, rule, extra, tl)
        return tl


def _same(a: Case, b: Case) -> bool:
    """`a == b`, with the rung compared by identity (the agreement's own object), which
    is much cheaper than comparing the model field by field."""
    return (
        a.id == b.id
        and a.rung is b.rung
        and a.accused == b.accused
        and a.opened_at == b.opened_at
        and a.incidents == b.incidents
        and a.notifier == b.notifier
    )


def _reached(tl: Timeline, now: datetime) -> tuple[bool, bool, bool]:
    """The comparisons with `now` that `penalties.evaluate` makes."""
    return (
        now < tl.countdown_from,
        now < tl.effective_at,
        tl.lapses_at is not None and now >= tl.lapses_at,
    )

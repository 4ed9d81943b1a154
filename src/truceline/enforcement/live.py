"""The enforcement state kept from pass to pass, each part recomputed only when it can
have changed.

`settle` works the whole state out afresh: fine for a view, but the appender runs a pass
whenever the log grows, and a state holding every case, step and inspection made each
pass cost as much as the history. `Live` keeps the state in units, each the answer of
the same functions `settle` calls, restricted to what the unit depends on:

- an incident (its summary, playbook steps, and the inspections it opens), on its
  history and the acknowledgements of its steps;
- a party on a rung (the cases it opens), on that party's breaches and the
  notifications accusing it;
- a case (its state, adopted extensions, ignored votes and assents), on its incidents'
  histories and the votes and extension assents naming it (and the keys that sign them);
- an inspection, on the requests, incident and steps that open it and the reports on it;
- the routine visits, on the calendar.

A unit is recomputed when a record touching it is folded, when a unit it depends on
changes its answer, or when the clock reaches the first moment its answer could
change: that moment is not computed beside the deciding functions but by them, since
they are run with a `Probe` for `now` (probe.py), which notes every comparison with
it; the units wait in a queue ordered by that moment. A cached answer therefore cannot
outlive what it depends on, deadlines included. Each unit keeps its transitions not on
the log yet, so a pass costs what changed, not what the log holds.

The clock only moves forward here; the appender answers an earlier `now` with `settle`.
`tests/enforcement/test_live.py` checks that any log, fed in any chunks at any clock
advances, gives exactly `settle`'s state and transitions.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from truceline.adjudication.verdict import INCIDENT_TYPE
from truceline.agreement.enforcement import Rung
from truceline.authority import KeyBook
from truceline.codec.entries import Record
from truceline.enforcement import inspections as insp
from truceline.enforcement.engine import (
    EnforcementState,
    Folded,
    Summary,
    adoption_order,
    in_log_order,
    judge_cases,
    summarize,
)
from truceline.enforcement.extensions import Adopted
from truceline.enforcement.penalties import (
    Breach,
    Case,
    CaseState,
    Deadlines,
    Pending,
    automatic_step,
    breach_order,
    due_notes,
    noted_cases,
)
from truceline.enforcement.playbooks import StepState, acks_by_step, incident_steps
from truceline.enforcement.probe import Probe
from truceline.enforcement.records import (
    ENFORCEMENT_TYPE,
    EXTENSION_TYPE,
    VOTE_TYPE,
    Ack,
    EnforcementEvent,
    Notification,
)
from truceline.enforcement.timing import days
from truceline.enforcement.transitions import (
    case_events,
    due,
    extension_events,
    ignored_events,
    in_order,
    inspection_events,
    step_events,
)
from truceline.enforcement.votes import Ignored

Key = tuple[Hashable, ...]
# Units are recomputed in this order: each kind depends only on those before it.
INCIDENT, GROUP, CASE, ROUTINE, INSPECTION = range(5)


@dataclass
class Group:
    """A party on a rung: its breaches in event-time order and the cases they open.
    On a rung without standing, the cases are a fold over the breaches, kept with the
    fold's state after each breach, so a breach added or withdrawn refolds from its
    place only, until the fold's state is again what it was."""

    rung: Rung
    party: str
    window: timedelta
    breaches: list[Breach] = field(default_factory=list)
    after: list[Pending] = field(default_factory=list)  # pending breaches after each
    opened: list[Case | None] = field(default_factory=list)  # the case each one opens
    notes: list[tuple[int, Notification]] = field(default_factory=list)
    refusals: list[Ignored] = field(default_factory=list)
    noted: list[tuple[tuple[datetime, int], Case]] = field(default_factory=list)
    known: dict[str, Case] = field(default_factory=dict)  # case id -> case, as it stands
    touched: set[str] = field(default_factory=set)  # case ids changed since handed on

    def cases(self) -> list[Case]:
        if self.rung.standing:
            return [c for _, c in self.noted]
        return [c for c in self.opened if c is not None]

    def place(self, b: Breach, add: bool) -> None:
        """Add or withdraw `b`, refolding the automatic cases from where it falls."""
        at = bisect_left(self.breaches, breach_order(b), key=breach_order)
        retired: list[Case | None] = []
        if add:
            self.breaches.insert(at, b)
            self.after.insert(at, ())
            self.opened.insert(at, None)
        else:
            retired.append(self.opened[at])
            del self.breaches[at], self.after[at], self.opened[at]
        if self.rung.standing:
            return
        born: list[Case | None] = []
        pending: Pending = self.after[at - 1] if at else ()
        for k in range(at, len(self.breaches)):
            old = self.after[k]
            retired.append(self.opened[k])
            pending, self.opened[k] = automatic_step(
                self.rung, self.party, pending, self.breaches[k], self.window
            )
            born.append(self.opened[k])
            self.after[k] = pending
            if k > at and pending == old:
                break  # from here on the fold goes as it went
        for c in retired:
            if c is not None:
                self.known.pop(c.id, None)
                self.touched.add(c.id)
        for c in born:
            if c is not None:
                self.known[c.id] = c
                self.touched.add(c.id)


@dataclass
class Answer:
    """What a unit said at its last computation, and until when it holds."""

    probe: Probe | None = None
    events: list[EnforcementEvent] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)


class _Acks(Mapping[str, list[Ack]]):
    """The acknowledgements by `now` of the step keys asked for, noting which were asked
    (the incident's unit depends on those keys' acknowledgements)."""

    def __init__(self, acks: Mapping[str, list[Ack]], now: datetime) -> None:
        self.acks, self.now, self.asked = acks, now, set[str]()

    def __getitem__(self, key: str) -> list[Ack]:
        self.asked.add(key)
        got = acks_by_step(self.acks.get(key, []), self.now).get(key)
        if got is None:
            raise KeyError(key)
        return got

    def __iter__(self) -> Iterator[str]:
        return iter(self.acks)

    def __len__(self) -> int:
        return len(self.acks)


class Live:
    def __init__(self, folded: Folded) -> None:
        self.folded = folded
        self.agreement = folded.agreement
        self.now: datetime | None = None
        self.answers: dict[Key, Answer] = {}
        self.dirty: list[set[Key]] = [set() for _ in range(5)]
        self.queue: list[tuple[datetime, int, Key]] = []  # (until, tie-break, unit)
        self._seq = 0
        self.book: KeyBook | None = None
        # What the units read, indexed as records are folded.
        self.groups: dict[tuple[int, str], Group] = {}
        self.votes: dict[str, list[Record]] = {}  # case id -> votes naming it
        self.assents: dict[str, list[Record]] = {}  # case id -> extension assents
        self.acks: dict[str, list[Ack]] = {}  # step key -> acknowledgements, log order
        self.ack_owner: dict[str, str] = {}  # step key -> the incident that asked for it
        self.requests: dict[str, list[tuple[int, Any]]] = {}  # inspection id -> requests
        self.reports: dict[str, list[insp.Report]] = {}  # subject -> reports
        self._seen = {name: 0 for name in ("notes", "requests", "acks", "reports", "ignored")}
        self.static_ignored: dict[int, Ignored] = {}  # refused when folded
        # What the units said.
        self.summaries: dict[str, Summary] = {}
        self.steps: dict[str, list[StepState]] = {}
        self.opens: dict[str, list[insp.Inspection]] = {}  # incident -> items it opens
        self.case_of: dict[str, Case] = {}
        self.cases_of_incident: dict[str, set[str]] = {}
        self.case_states: dict[str, CaseState] = {}
        self.adopted: dict[str, list[Adopted]] = {}
        self.routine: list[insp.Inspection] = []
        self.inspections: dict[str, tuple[insp.InspectionState, tuple[Any, ...]]] = {}
        # Transitions due and not on the log, by key, with the unit that implies them.
        self.unlogged: dict[str, tuple[Key, EnforcementEvent]] = {}
        self.unlogged_ignored: dict[int, tuple[Key | None, Ignored]] = {}
        self.dirty[ROUTINE].add(("routine",))

    # --- folding -----------------------------------------------------------------------

    def add(self, r: Record) -> None:
        """Fold `r` and mark the units it touches."""
        f = self.folded
        payload = r.payload if isinstance(r.payload, dict) else {}
        ident = payload.get("incident")
        ident = ident if isinstance(ident, str) else ""
        before = f.incidents.get(ident)
        votes, assents = len(f.votes), len(f.extension_records)
        f.add(r)
        if r.payload_type == INCIDENT_TYPE:
            if f.incidents.get(ident) is not before:
                self.dirty[INCIDENT].add(("incident", ident))
                for case in self.cases_of_incident.get(ident, ()):
                    self.dirty[CASE].add(("case", case))
        elif r.payload_type == VOTE_TYPE and len(f.votes) > votes:
            self._by_case(self.votes, r, payload)
        elif r.payload_type == EXTENSION_TYPE and len(f.extension_records) > assents:
            self._by_case(self.assents, r, payload)
        elif r.payload_type == ENFORCEMENT_TYPE and payload.get("key") in f.logged:
            self._logged(payload["key"])
        self._drain()

    def _by_case(self, index: dict[str, list[Record]], r: Record, payload: dict[str, Any]) -> None:
        case = payload.get("case")
        case = case if isinstance(case, str) else ""  # malformed: its own (empty) case
        index.setdefault(case, []).append(r)
        self.dirty[CASE].add(("case", case))

    def _drain(self) -> None:
        """Index what `Folded` kept of the record just folded."""
        f, seen = self.folded, self._seen
        for index, note in f.notes[seen["notes"] :]:
            for k, rung in enumerate(self.agreement.penalties.rungs):
                if rung.id == note.rung and rung.standing:
                    self._group(k, note.accused).notes.append((index, note))
                    self.dirty[GROUP].add(("group", k, note.accused))
        for index, req in f.requests[seen["requests"] :]:
            ident = insp.request_id(index, req)
            self.requests.setdefault(ident, []).append((index, req))
            self.dirty[INSPECTION].add(("inspection", ident))
        for ack in f.acks[seen["acks"] :]:
            self.acks.setdefault(ack.step, []).append(ack)
            if ack.step in self.ack_owner:
                self.dirty[INCIDENT].add(("incident", self.ack_owner[ack.step]))
        for rep in f.reports[seen["reports"] :]:
            self.reports.setdefault(rep.subject, []).append(rep)
            for ident in (rep.subject, f"incident:{rep.subject}"):
                self.dirty[INSPECTION].add(("inspection", ident))
        for ig in f.ignored[seen["ignored"] :]:
            self.static_ignored[ig.index] = ig
            if f"ignored:{ig.index}" not in f.logged:
                self.unlogged_ignored[ig.index] = (None, ig)
        seen.update(
            notes=len(f.notes),
            requests=len(f.requests),
            acks=len(f.acks),
            reports=len(f.reports),
            ignored=len(f.ignored),
        )

    def _logged(self, key: str) -> None:
        self.unlogged.pop(key, None)
        if key.startswith("ignored:") and key[8:].isdigit():
            self.unlogged_ignored.pop(int(key[8:]), None)

    def keys_changed(self) -> None:
        """The signatories' keys may have changed (an agreement or registry record):
        every vote and extension assent is judged again."""
        for case in {*self.votes, *self.assents}:
            self.dirty[CASE].add(("case", case))

    def _group(self, k: int, party: str) -> Group:
        got = self.groups.get((k, party))
        if got is None:
            rung = self.agreement.penalties.rungs[k]
            got = self.groups[(k, party)] = Group(rung, party, days(rung.trigger.within_days))
        return got

    # --- passes ------------------------------------------------------------------------

    def reaches(self, now: datetime) -> bool:
        """The kept state can be brought to `now` (the clock does not go back)."""
        return self.now is None or now >= self.now

    def advance(self, now: datetime) -> None:
        """Bring every unit to `now`."""
        if not self.reaches(now):
            raise ValueError(f"the kept enforcement state is at {self.now}, after {now}")
        self.now = now
        book = self.folded.keys()
        if book is not self.book:
            self.book = book
            self.keys_changed()
        while self.queue and self.queue[0][0] <= now:
            _, _, key = heapq.heappop(self.queue)
            answer = self.answers.get(key)
            if answer is not None and answer.probe is not None and not answer.probe.holds_at(now):
                self.dirty[_KIND[str(key[0])]].add(key)
        steps: list[Callable[[Any], None]] = [
            self._incident,
            self._group_cases,
            self._case,
            self._routine,
            self._inspection,
        ]
        for kind, step in enumerate(steps):
            while self.dirty[kind]:
                key = self.dirty[kind].pop()
                step(key[1:] if len(key) > 2 else key[1] if len(key) == 2 else None)

    def _remember(
        self,
        key: Key,
        probe: Probe,
        events: list[EnforcementEvent],
        ignored: list[Ignored] = (),  # type: ignore[assignment]
    ) -> None:
        """Keep a unit's answer: its transitions not on the log, its ignored records, and
        when to look again."""
        probe.close()
        old = self.answers.get(key)
        if old is not None:
            for e in old.events:
                if self.unlogged.get(e.key, (None,))[0] == key:
                    del self.unlogged[e.key]
            for ig in old.ignored:
                if self.unlogged_ignored.get(ig.index, (None,))[0] == key:
                    del self.unlogged_ignored[ig.index]
        logged = self.folded.logged
        for e in events:
            self.unlogged[e.key] = (key, e)
        for ig in ignored:
            if f"ignored:{ig.index}" not in logged:
                self.unlogged_ignored[ig.index] = (key, ig)
        self.answers[key] = Answer(probe, events, list(ignored))
        if probe.until is not None:
            self._seq += 1
            heapq.heappush(self.queue, (probe.until, self._seq, key))

    def _probe(self) -> Probe:
        assert self.now is not None
        return Probe(self.now)

    def _incident(self, ident: str) -> None:
        h = self.folded.incidents[ident]
        probe = self._probe()
        now = probe.as_now()
        s = summarize(self.agreement, h, now)
        acks = _Acks(self.acks, now)
        steps = incident_steps(self.agreement, ident, s.fired, acks, now) if s.fires else []
        opens = [i for st in steps if (i := insp.opened_by_step(st, h, now)) is not None]
        skip = self.folded.logged
        events = due([e for st in steps for e in step_events(st, skip)], now)
        self._remember(("incident", ident), probe, events)
        for key in acks.asked:
            self.ack_owner[key] = ident
        old = self.summaries.get(ident)
        self.summaries[ident] = s
        for k in range(len(self.agreement.penalties.rungs)):
            was, is_ = (old.breaches[k] if old else None), s.breaches[k]
            if was == is_:
                continue
            for b, add in ((was, False), (is_, True)):
                if b is not None:
                    self._group(k, b.party).place(b, add)
                    self.dirty[GROUP].add(("group", k, b.party))
        self.steps[ident] = steps
        if self.opens.get(ident, []) != opens or (old and old.automatic) != s.automatic:
            self.opens[ident] = opens
            self.dirty[INSPECTION].add(("inspection", f"incident:{ident}"))

    def _group_cases(self, at: tuple[int, str]) -> None:
        g = self._group(*at)
        probe = self._probe()
        now = probe.as_now()
        if g.rung.standing:  # notifications are few: the party's cases afresh
            answers = noted_cases(g.rung, g.breaches, due_notes(g.notes, now), g.window)
            g.noted = [(o, c) for o, c in answers if isinstance(c, Case)]
            g.refusals = [Ignored(c.index, c.reason) for _, c in answers if not isinstance(c, Case)]
            g.touched |= g.known.keys()
            g.known = {c.id: c for _, c in g.noted}
            g.touched |= g.known.keys()
        self._remember(("group", *at), probe, [], g.refusals)
        touched, g.touched = g.touched, set()
        for ident in touched:
            was, is_ = self.case_of.get(ident), g.known.get(ident)
            if was == is_:
                continue
            for c, add in ((was, False), (is_, True)):
                if c is None:
                    continue
                for incident in c.incidents:
                    mine = self.cases_of_incident.setdefault(incident, set())
                    (mine.add if add else mine.discard)(ident)
            if is_ is None:
                del self.case_of[ident]
            else:
                self.case_of[ident] = is_
            self.dirty[CASE].add(("case", ident))

    def _case(self, ident: str) -> None:
        assert self.book is not None
        case = self.case_of.get(ident)
        hist = self.folded.incidents
        probe = self._probe()
        now = probe.as_now()
        states, adopted, ignored = judge_cases(
            self.agreement,
            [case] if case is not None else [],
            hist,
            self.votes.get(ident, []),
            self.assents.get(ident, []),
            self.book,
            now,
        )
        skip = self.folded.logged
        events = extension_events(adopted, skip)
        for cs in states:
            events += case_events(cs, hist, now, self.folded.told.get(ident, ()), skip)
        self._remember(("case", ident), probe, due(events, now), ignored)
        if states:
            self.case_states[ident] = states[0]
        else:
            self.case_states.pop(ident, None)
        self.adopted[ident] = adopted

    def _routine(self, _: None) -> None:
        probe = self._probe()
        now = probe.as_now()
        items = insp.routine(self.agreement, now)
        self._remember(("routine",), probe, [])
        if items != self.routine:
            for item in {i.id for i in self.routine} | {i.id for i in items}:
                self.dirty[INSPECTION].add(("inspection", item))
            self.routine = items

    def _inspection(self, ident: str) -> None:
        probe = self._probe()
        now = probe.as_now()
        routine = [i for i in self.routine if i.id == ident]
        incident = ident[len("incident:") :] if ident.startswith("incident:") else None
        opens = self.opens.get(incident, []) if incident is not None else []
        summary = self.summaries.get(incident) if incident is not None else None
        automatic = [summary.automatic] if summary is not None and summary.automatic else []
        demanded = insp.on_demand(self.agreement, self.requests.get(ident, []), automatic, now)
        chosen = insp.earliest([*routine, *demanded, *opens]).get(ident)
        if chosen is None:
            self._remember(("inspection", ident), probe, [])
            self.inspections.pop(ident, None)
            return
        subjects = [ident] + ([chosen.incident] if chosen.incident else [])
        reports = [r for s in subjects for r in self.reports.get(s, [])]
        by_subject = insp.reports_by_subject(self.agreement, reports, now)
        st = insp.inspection_state(chosen, by_subject, now)
        self._remember(
            ("inspection", ident), probe, due(inspection_events(st, self.folded.logged), now)
        )
        order: tuple[Any, ...]
        if routine:
            order = (0, self.routine.index(routine[0]))
        elif demanded:
            order = (1, demanded[0].due_by, ident)
        else:
            order = (2, ident)
        self.inspections[ident] = (st, order)

    # --- answers -----------------------------------------------------------------------

    def pending(self) -> list[EnforcementEvent]:
        """The transitions due by `now` that are not on the log, in event-time order."""
        assert self.now is not None
        ignored = [ig for _, ig in self.unlogged_ignored.values()]
        out = [e for _, e in self.unlogged.values()]
        return in_order(out + ignored_events(ignored, self.now))

    def state(self, plan_routes: bool = True) -> EnforcementState:
        """The whole state at `now`, in the order `settle` gives it (a view's cost, not a
        pass's)."""
        assert self.now is not None
        f = self.folded
        state = EnforcementState(now=self.now)
        state.logged = set(f.logged)
        state.told = dict(f.told)
        state.incidents = dict(f.incidents)
        ignored = list(self.static_ignored.values())
        for key, answer in self.answers.items():
            if key[0] in ("group", "case"):
                ignored.extend(answer.ignored)
        state.ignored = in_log_order(ignored)
        for k, rung in enumerate(self.agreement.penalties.rungs):
            mine = sorted((p, g) for (r, p), g in self.groups.items() if r == k)
            if rung.standing:
                noted = sorted((o, c) for _, g in mine for o, c in g.noted)
                cases = [c for _, c in noted]
            else:
                cases = [c for _, g in mine for c in g.cases()]
            state.cases.extend(_at(self.case_states[c.id], state) for c in cases)
        state.extensions = sorted(
            (a for got in self.adopted.values() for a in got), key=adoption_order
        )
        state.steps = [s for ident in sorted(self.steps) for s in self.steps[ident]]
        states = [st for st, _ in sorted(self.inspections.values(), key=lambda x: x[1])]
        state.inspections = insp.routed(self.agreement, states) if plan_routes else states
        state.coverage = insp.coverage(self.agreement, state.inspections)
        return state


_KIND = {
    "incident": INCIDENT,
    "group": GROUP,
    "case": CASE,
    "routine": ROUTINE,
    "inspection": INSPECTION,
}


def _at(cs: CaseState, state: EnforcementState) -> CaseState:
    """The case's state with its timeline at the state's `now`: the unit's decision did not
    read it, or the unit would have been recomputed (its own was read with a probe, closed)."""
    if not isinstance(cs.timeline, Deadlines):
        return cs
    return replace(cs, timeline=cs.timeline.at(state.now, state.incidents))

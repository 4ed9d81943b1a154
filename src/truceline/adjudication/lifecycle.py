"""The incident lifecycle engine: observations in, ledger transitions out.

    reported -> corroborated -> verified -> (disputed -> inspection ->) confirmed | dismissed

The engine consumes rows in ledger order and is the only place verdicts are
made; the batch (`adjudicate`), the stream (`stream.StreamAdjudicator`) and
the replay all drive it, so they agree by construction. For each row:

1. it is linked to earlier rows (association, `fusion.associate`) and the
   incidents it touches are merged; the merged incident keeps the id of its
   first evidence, and an absorbed incident that already had transitions is
   closed as dismissed ("merged into ...");
2. the incident is re-judged when its evidence gains a new (sensor kind,
   operator) pair, a first point of origin, or a merge: locate, attribute,
   classify against the prohibited acts, grade;
3. a transition is emitted when the state, grade, accused party or rules
   change. Incidents that breach no rule are never logged.

Inspection reports (observations of kind inspection_report) and disputes move
verified incidents on. A back-dated revocation (`revoke`) discounts the sensor's
reports dated from its effective time and re-judges their incidents. Nothing here
reads a clock: every time is event time.

A row is linked whenever it is logged, however far behind the newest event time, up
to the agreement's evidence-age bound: arrival order does not change what is
associated (`fusion.associate`).

The agreement period: an incident whose first evidence (the first logged, whose time the
rules use, as for corridor windows) is dated before the agreement's `effective_from`, or
at or after its `time.effective_until`, is outside the agreement.
Its evidence stays on the log, but it is never verified or confirmed: if it would
breach a rule it is logged once as dismissed, with the reason and the rules it would
have breached, and it is settled (a verified incident that a merge makes older goes to
inspection instead, as any verdict that fuller evidence withdraws).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from truceline.adjudication.duel import (
    FLIGHT_MAX_MS,
    FLIGHT_MIN_MS,
    has_origin,
    origin_point,
    partition,
)
from truceline.adjudication.grading import (
    CONTRADICTION_Z,
    FLAGGED_WEIGHT,
    Assessment,
    Reliability,
    grade,
)
from truceline.adjudication.logview import Revocation
from truceline.adjudication.rules import PRESENCE_KINDS, Facts, RuleBook
from truceline.adjudication.verdict import AgreementRef, IncidentTransition, State
from truceline.agreement.model import Agreement
from truceline.agreement.rules import Grade
from truceline.fusion.associate import Gate, candidate_blocks
from truceline.fusion.attribute import Attributor, normal_cdf
from truceline.fusion.base import (
    NO_WEAPON,
    NON_DETECTION_KINDS,
    WEAPONS,
    EvidenceTable,
    Frame,
    frame_for,
)
from truceline.fusion.locate import CONSISTENCY_ALPHA, Fix, Normal
from truceline.fusion.points import IMPACT, ORIGIN, row_points
from truceline.fusion.presence import PresenceTracks
from truceline.fusion.rows import Row, rows_of
from truceline.fusion.thermal import Cell, ThermalBaseline, ThermalScorer, cell_of, day_of
from truceline.gcpause import gc_paused
from truceline.observation import Kind, WeaponClass, format_time
from truceline.prefetch import prefetched

_ORDER = {State.reported: 0, State.corroborated: 1, State.verified: 2}
_SETTLED = frozenset({State.disputed, State.inspection, State.confirmed, State.dismissed})
# Which kind names the incident when its reports differ (most specific first).
_KIND_PRIORITY = [
    Kind.projectile,
    Kind.impact,
    Kind.explosion,
    Kind.small_arms,
    Kind.launch,
    Kind.heavy_weapon_sighting,
    Kind.troop_movement,
    Kind.uav_sighting,
    Kind.thermal_anomaly,
    Kind.third_party_report,
]
_KIND_ORDER = _KIND_PRIORITY + [k for k in Kind if k not in _KIND_PRIORITY]
# Reports that are hearsay or context, never an independent detection.
_NOT_A_SOURCE = frozenset({Kind.third_party_report, Kind.inspection_report})
# Sensors that relay what others say (press, OSINT feeds): kept as evidence and for
# location (with their large uncertainty), never counted as an independent source.
HEARSAY_SENSOR_KINDS = frozenset({"third_party"})
# How sure the neutral sensors must be of the firing side to contest a partisan fix.
NEUTRAL_FIRM = 0.9
# Pairing a launch with its impact when no radar tracked the shot.
PAIR_RANGE_M = 40_000.0
PAIR_MIN_M = 500.0
PAIR_SLACK_S = 30.0
PAIR_BUCKET_S = 60.0
PAIR_BUCKETS = 5  # +-5 minutes of first-report time


_UNKNOWN = object()


def is_source(row: Row) -> bool:
    return row.kind not in _NOT_A_SOURCE and row.skind not in HEARSAY_SENSOR_KINDS


def incident_id(first_index: int) -> str:
    return f"inc-{first_index}"


def _time(t: float) -> datetime:
    return datetime.fromtimestamp(round(t, 6), UTC)


@dataclass
class _Incident:
    id: str
    rows: list[int]  # engine row numbers, ascending
    pairs: frozenset[tuple[str, str]] = frozenset()
    has_origin: bool = False
    last: tuple[object, ...] | None = None  # (state, grade, accused, rules) last emitted
    state: State | None = None
    record: IncidentTransition | None = None  # the last transition emitted
    # Unweighted normal equations of each side (impact, origin), for association.
    eqs: tuple[Normal, Normal] = (Normal(), Normal())
    # The inspection reports that moved it: (engine row, the state it was in before),
    # so a revocation of the inspector's key can take a finding back (`_reopen`).
    findings: tuple[tuple[int, State | None], ...] = ()
    # The parties whose territory firmly holds an origin report of it (`Engine._firm_side`).
    sides: frozenset[str] = frozenset()
    # A pooled duel judged as one incident per firing side (`Engine._split`): each part's
    # id and engine rows, this incident's own among them; empty when it is one incident.
    split: dict[str, list[int]] = field(default_factory=dict)
    # The other parts' incidents by id (state and records), kept once closed.
    parts: dict[str, _Incident] = field(default_factory=dict)
    # Each part's unweighted normal equations (impact, origin), for association.
    part_eqs: tuple[tuple[Normal, Normal], ...] = ()


class Engine:
    """Feeds rows in ledger order; `emitted` collects transitions in emission order."""

    def __init__(
        self,
        agreement: Agreement,
        agreement_ref: AgreementRef,
        frame: Frame | None = None,
        gate: Gate | None = None,
        baseline: ThermalBaseline | None = None,
    ) -> None:
        self.agreement = agreement
        self.ref = agreement_ref
        self.frame = frame or frame_for(agreement.geography.contact_line)
        ev = agreement.evidence
        bounds = agreement.time_bounds
        self.gate = gate or Gate(
            window_s=ev.association_window_s,
            radius_m=ev.association_radius_m,
            max_radius_m=3 * ev.association_radius_m,
            # A report joins its incident whenever it arrives, as long as ingest could
            # accept it: arrival order does not change what is associated.
            lateness_s=bounds.max_age_s + bounds.max_ahead_s,
        )
        self.attributor = Attributor(agreement.geography, self.frame)
        self.rulebook = RuleBook(agreement, self.frame, self.attributor)
        self.presence = PresenceTracks(self.gate)  # sightings of one presence across passes
        self.parties = frozenset(p.id for p in agreement.parties)
        # The seasonal thermal baseline: satellite detections logged for the year before
        # the agreement took effect (imported history), folded in ledger order; the
        # scorer judges later pixels against it (`fusion.thermal`).
        eff = agreement.effective_from.timestamp()
        until = agreement.time_bounds.effective_until
        self.period = (eff, until.timestamp() if until is not None else math.inf)
        self.baseline_end = eff
        self.thermal = ThermalScorer(baseline or ThermalBaseline())
        self._baseline_seen = baseline is not None
        # Engine rows of thermal pixels per cell: whose incidents a cell's change re-judges.
        self._thermal_rows: dict[Cell, list[int]] = {}
        self._judged = 0  # judgements made (to tell whether a row's own incident was)
        self.reliability = Reliability()
        self.rows: list[Row] = []
        self._parent: list[int] = []
        self._inc: dict[int, _Incident] = {}  # by root row
        self._by_id: dict[str, int] = {}
        # One-ended incidents by time bucket, per end they have (IMPACT, ORIGIN): a pairing
        # search only ever looks at the other end's buckets.
        self._open: tuple[dict[int, set[int]], dict[int, set[int]]] = ({}, {})
        # Per engine row with a point of origin: the party whose territory firmly (95 %)
        # holds that origin, else None. A fixed property of the report, asked about on
        # every re-judgement of its incident.
        self._firm_origin: dict[int, str | None] = {}
        # Engine rows a back-dated revocation discounted: kept as evidence, never a source
        # nor a point of a fix (`revoke`).
        self._tainted: set[int] = set()
        self.emitted: list[IncidentTransition] = []

    # --- union-find ------------------------------------------------------------------

    def _find(self, r: int) -> int:
        parent = self._parent
        root = r
        while parent[root] != root:
            root = parent[root]
        while parent[r] != root:
            parent[r], r = root, parent[r]
        return root

    # --- feeding ---------------------------------------------------------------------

    def add(self, row: Row, candidates: Iterable[tuple[int, int]]) -> list[IncidentTransition]:
        """Take the next row (ledger order) and its candidate (side, earlier row) links, best
        first per side (`fusion.associate`). Per side, the row joins the incident of the
        first candidate whose incident fix is also within the gate."""
        start = len(self.emitted)
        r = len(self.rows)
        self.rows.append(row)
        self._parent.append(r)
        if row.ref is not None:
            self._inspection(row)
            return self.emitted[start:]
        if row.kind is Kind.thermal_anomaly and row.t < self.baseline_end:
            # History, not evidence: it teaches the season and is not judged.
            if row.t >= self.baseline_end - 365 * 86_400.0:
                self.thermal.baseline.add(row.lon, row.lat, row.t)
                self._baseline_seen = True
                self._rejudge_thermal(None)
            return self.emitted[start:]
        if row.kind is Kind.thermal_anomaly:
            self.thermal.add(row.lon, row.lat, row.t)
            self._thermal_rows.setdefault(cell_of(row.lon, row.lat), []).append(r)
        judged = self._judged
        points = row_points(row)
        if row.kind in PRESENCE_KINDS:  # the same presence seen on earlier passes
            candidates = [*self.presence.link(r, row), *candidates]
        chosen: dict[int, int] = {}
        for side, j in candidates:
            if side in chosen or side not in points:
                continue
            root = self._find(j)
            if root not in self._inc:
                continue  # a baseline-only report (thermal history) is no incident
            if self._fits(root, side, points[side]):
                chosen[side] = root
        roots = sorted(set(chosen.values()))
        if not roots:
            self._inc[r] = _Incident(incident_id(row.leaf), [r], eqs=(Normal(), Normal()))
            self._by_id[self._inc[r].id] = r
            root, merged = r, False
        else:
            root = roots[0]
            self._parent[r] = root
            inc = self._inc[root]
            inc.rows.append(r)
            for other in roots[1:]:
                self._absorb(root, other)
            merged = len(roots) > 1
        _accumulate(self._inc[root].eqs, row)
        paired = self._pair_ends(root, row.t)
        if paired is not None:
            root, merged = paired, True
        self._maybe_judge(root, row, merged)
        if row.kind is Kind.thermal_anomaly:
            self._rejudge_thermal(root if self._judged == judged else None)
        return self.emitted[start:]

    def _rejudge_thermal(self, root: int | None) -> None:
        """Re-judge the incidents of every cell whose excess days the last pixel changed,
        and `root` (an incident that gained a pixel without being judged), in the order
        of their first evidence: a pixel can turn an earlier fire into a breach or back."""
        roots = set() if root is None else {root}
        for cell in self.thermal.changed_cells():
            roots.update(self._find(r) for r in self._thermal_rows.get(cell, ()))
        for r in sorted(roots):
            inc = self._inc.get(r)
            if inc is not None and inc.state not in _SETTLED:
                self._judge(inc)

    def _absorb(self, root: int, other: int) -> None:
        keep, gone = self._inc[root], self._inc.pop(other)
        self._parent[other] = root
        keep.rows = sorted(keep.rows + gone.rows)
        keep.eqs[0].merge(gone.eqs[0])
        keep.eqs[1].merge(gone.eqs[1])
        keep.sides = keep.sides | gone.sides
        self._by_id[gone.id] = root
        self._regroup(gone, [keep.id])  # its other parts are judged in keep's from now
        self._close(gone, [keep.id])

    def _close(self, inc: _Incident, into: list[str]) -> None:
        """A logged incident whose reports are judged in `into` now: dismissed."""
        if inc.record is not None and inc.state is not State.dismissed:
            self._emit(
                inc,
                inc.record.model_copy(
                    update={"state": State.dismissed, "reason": f"merged into {', '.join(into)}"}
                ),
            )

    # --- pairing the two ends of a shot ------------------------------------------------

    def _ends(self, inc: _Incident) -> tuple[bool, bool]:
        return inc.eqs[IMPACT].a11 > 0, inc.eqs[ORIGIN].a11 > 0

    def _pair_ends(self, root: int, t: float) -> int | None:
        """Join a launch-only incident to an impact-only one when exactly one fits.

        Without a radar track the two ends of a shot form two incidents. They are the
        same shot when the impact follows the launch by a plausible time of flight
        (150-1,500 m/s, with slack for clocks and sound), lies within range
        (`PAIR_RANGE_M`) and across the contact line, and no other open end fits:
        ambiguity is left unpaired. The index lives in the engine, so the stream and
        the batch pair alike.
        """
        inc = self._inc[root]
        has_impact, has_origin = self._ends(inc)
        if has_impact == has_origin or (has_impact and not self._definite_impact(inc)):
            return None
        bucket = int(t // PAIR_BUCKET_S)
        self._open[IMPACT if has_impact else ORIGIN].setdefault(bucket, set()).add(root)
        wanted = self._open[ORIGIN if has_impact else IMPACT]
        mine = inc.eqs[IMPACT if has_impact else ORIGIN].solve()
        if mine is None:
            return None
        my_side = self.attributor.party_at(mine.x, mine.y)
        if my_side is None:
            return None
        fits = []
        for b in range(bucket - PAIR_BUCKETS, bucket + PAIR_BUCKETS + 1):
            for other in sorted(wanted.get(b, ())):
                o = self._inc.get(other)
                if other == root or o is None or self._find(other) != other:
                    continue
                o_impact, o_origin = self._ends(o)
                if o_impact in (o_origin, has_impact):
                    continue
                if o_impact and not self._definite_impact(o):
                    continue
                theirs = o.eqs[IMPACT if o_impact else ORIGIN].solve()
                if theirs is None:
                    continue
                d = math.hypot(theirs.x - mine.x, theirs.y - mine.y)
                if not PAIR_MIN_M <= d <= PAIR_RANGE_M:
                    continue
                side = self.attributor.party_at(theirs.x, theirs.y)
                if side is None or side == my_side:
                    continue
                t_launch = self.rows[(o if has_impact else inc).rows[0]].t
                t_impact = self.rows[(inc if has_impact else o).rows[0]].t
                flight = t_impact - t_launch
                if (
                    not d / FLIGHT_MAX_MS - PAIR_SLACK_S
                    <= flight
                    <= d / FLIGHT_MIN_MS + PAIR_SLACK_S
                ):
                    continue
                fits.append(other)
        if len(fits) != 1:
            return None
        keep, gone = sorted((root, fits[0]))
        self._absorb(keep, gone)
        return keep

    def _definite_impact(self, inc: _Incident) -> bool:
        """Reported as a round landing: an "explosion" alone may be the launch itself,
        and a fire pixel may be a field."""
        return any(self.rows[r].kind in (Kind.impact, Kind.projectile) for r in inc.rows)

    def _fits(self, root: int, side: int, point: tuple[float, ...]) -> bool:
        """The new report is within the gate of the incident's current fix on that side, or
        for an origin, of one firing side's origin fix in a split duel (the pooled one lies
        between the guns, where no report of either places them)."""
        inc = self._inc[root]
        for eqs in (inc.eqs, *(inc.part_eqs if side == ORIGIN else ())):
            fix = eqs[side].solve()
            if fix is None or self.gate.score_point(point, fix.x, fix.y, fix.radius_m) <= 1.0:
                return True
        return False

    def _maybe_judge(self, root: int, row: Row, merged: bool) -> None:
        inc = self._inc[root]
        if inc.state in _SETTLED and not inc.split:
            return
        pairs = inc.pairs
        if is_source(row):
            pairs = pairs | {(row.skind, row.operator)}
        origin = inc.has_origin or has_origin(row)
        # A second firing side may split the incident (`_split`); a split one is judged
        # on every report, which may belong to either part.
        side = self._firm_side(len(self.rows) - 1) if has_origin(row) else None
        new_side = side is not None and bool(inc.sides) and side not in inc.sides
        if side is not None:
            inc.sides = inc.sides | {side}
        if (
            merged
            or pairs != inc.pairs
            or origin != inc.has_origin
            or len(inc.rows) == 1
            or new_side
            or inc.split
        ):
            inc.pairs = frozenset(pairs)
            inc.has_origin = origin
            self._judge(inc)

    # --- judging ---------------------------------------------------------------------

    def _judge(
        self,
        inc: _Incident,
        note: str = "",
        amend: Callable[[IncidentTransition], IncidentTransition] | None = None,
        members: list[int] | None = None,
        why: str = "",
        force: bool = False,
    ) -> None:
        """Judge the incident on its evidence; emit a transition if the verdict changed,
        or in any case with a `note` (the reason a revocation re-judges it). `amend`
        rewrites the record before it is emitted (a reopened verdict, `_reopen`).

        `members` (engine rows) judges one firing side's part of a split duel (`inc` is
        that part's incident); without it the whole association is judged, its reports
        checked against each other, and split if it pools two firing sides (`_split`);
        `why` then heads the part's reason, and `force` logs it even if its verdict holds
        (the incident was just split)."""
        self._judged += 1
        whole = members is None
        member_rows = inc.rows if members is None else members
        all_rows = self.rows
        rows = [all_rows[r] for r in member_rows]
        tainted = self._tainted
        # The evidence that counts: all of it, but reports a revocation discounted.
        used = [all_rows[r] for r in member_rows if r not in tainted] if tainted else rows
        rel = self.reliability
        flagged = rel._flagged
        impact_eq, origin_eq = Normal(), Normal()
        n_impact = n_origin = 0
        for row in used:
            if row.kind in _NOT_A_SOURCE or row.x != row.x:
                continue
            w = FLAGGED_WEIGHT if row.sensor in flagged else 1.0
            if row.kind is Kind.launch:
                _add(origin_eq, row.x, row.y, row.sigma, w, row)
                n_origin += 1
                continue
            _add(impact_eq, row.x, row.y, row.sigma, w, row)
            n_impact += 1
            if not math.isnan(row.ox):
                origin_eq.point(row.ox, row.oy, row.osigma, w)
                n_origin += 1
        impact = impact_eq.solve() if n_impact else None
        origin = origin_eq.solve() if n_origin else None
        kinds = {row.kind for row in used or rows}
        kind = next(k for k in _KIND_ORDER if k in kinds)
        weapon = _weapon(used or rows)
        if whole:
            parts = (
                self._split(inc, kind, origin_eq, origin, flagged, tainted)
                if origin is not None and (inc.split or inc.state not in _SETTLED)
                else {}
            )
            if parts:
                self._judge_parts(inc, parts, note, amend)
                return
            if inc.split:
                self._regroup(inc, [inc.id])
                inc.split = {}
                inc.part_eqs = ()
                if inc.state in _SETTLED:
                    return  # its own part was settled while split; so it stays
        # Each report against the other operators' consensus of its incident's shot: of the
        # whole association unless it is a split duel, whose parts are each one firing
        # point (a radar mirroring an origin across the line splits nothing, `_split`, and
        # is contradicted here by the other sensors of the same shot).
        self._check_contradictions(inc, used, impact, origin)
        # In a firing side's part of a duel only the reports of a firing point count as
        # sources: a round seen landing where both sides' rounds land cannot say whose it
        # was (its time is its only clue, `duel.partition`), so it locates, never grades.
        credible = [
            row
            for row in used
            if is_source(row) and row.sensor not in flagged and (whole or has_origin(row))
        ]
        pairs = {(row.skind, row.operator) for row in credible}
        # Attribution: strikes by their origin, presence by where the forces stand.
        accused, confidence = None, 0.0
        if kind in PRESENCE_KINDS and impact is not None:
            accused, confidence = self.attributor.attribute(impact)
        elif origin is not None:
            accused, confidence = self.attributor.attribute(origin)
        contested = self._origins_disagree(
            [
                r
                for r in member_rows
                if is_source(all_rows[r]) and all_rows[r].sensor not in flagged and r not in tainted
            ]
        )
        if kind not in PRESENCE_KINDS and origin is not None and accused is not None:
            # The neutral sensors' own fix of the origin, if firm, must agree on the side:
            # a party's radar cannot move the guns across the line against the mission.
            neutral = self._origin_fix([r for r in credible if r.operator not in self.parties])
            if neutral is not None:
                side, firm = self.attributor.attribute(neutral)
                if side is not None and side != accused and firm >= NEUTRAL_FIRM:
                    contested = True
                    accused, confidence = side, firm  # the neutral fix names the suspect
        facts = Facts(
            kind=kind,
            t=rows[0].t,
            impact=(impact.x, impact.y) if impact else None,
            origin=(origin.x, origin.y) if origin else None,
            weapon=weapon,
        )
        rules = self.rulebook.breached(facts)
        if (
            rules
            and kinds <= {Kind.thermal_anomaly, Kind.third_party_report}
            and impact is not None
        ):
            rules = rules if self._thermal_war(used) else []
        assessment = grade(
            pairs, accused, self.parties, self.agreement.evidence, contested=contested
        )
        if (
            accused is not None
            and kind not in PRESENCE_KINDS
            and assessment.grade is Grade.confirmed
            and not any(
                (row.kind is Kind.launch or not math.isnan(row.ox))
                and (row.operator not in self.parties or row.operator == accused)
                for row in credible
            )
        ):
            # Others confirm that something exploded; only the accuser says who fired:
            # enough to verify (fair), never to confirm.
            assessment = Assessment(
                Grade.fair,
                assessment.sources,
                assessment.reason + "; the firing side rests on the accuser's sensors alone",
            )
        if (
            accused is not None
            and kind not in PRESENCE_KINDS
            and assessment.grade is Grade.confirmed
            and origin is not None
        ):
            pooled = self._pooled_firing_sides(origin_eq, origin, member_rows, flagged, tainted)
            if pooled:
                # The origin reports are not of one firing point, and some of them firmly
                # place one in another party's territory: the incident pools fire from both
                # sides of the line (a duel), and its one fix cannot confirm who fired.
                assessment = Assessment(Grade.fair, assessment.sources, assessment.reason + pooled)
        if why:
            assessment = Assessment(assessment.grade, assessment.sources, why + assessment.reason)
        # What this judgement knows; each record below adds its verdict to it.
        judged = functools.partial(
            self._record, inc, rows, impact, origin, kind, weapon, accused, confidence
        )
        if note:
            judged = functools.partial(_noted, judged, note)
        if amend is not None:
            judged = functools.partial(_amended, judged, amend)
        if rules and not self.period[0] <= facts.t < self.period[1]:
            state = State.inspection if inc.state is State.verified else State.dismissed
            self._emit(inc, judged([], assessment.grade, state, self._outside(facts.t, rules)))
            return
        if not rules:
            if inc.record is not None:
                self._emit(
                    inc,
                    judged(
                        [],
                        assessment.grade,
                        State.dismissed,
                        "no prohibited act on the fuller evidence",
                    ),
                )
            return
        g = assessment.grade
        if g is Grade.discounted and inc.record is not None:
            state = State.dismissed
        elif g in self.agreement.evidence.verify_grades:
            state = State.verified
        elif len({row.sensor for row in credible}) >= 2:
            state = State.corroborated
        else:
            state = State.reported
        if inc.state is State.verified and state is not State.verified:
            # Fuller evidence no longer verifies it (e.g. a neutral sensor contradicts the
            # accusing one): the verdict is not silently withdrawn but goes to inspection.
            state = State.inspection
        elif inc.state in _ORDER and state in _ORDER and _ORDER[state] < _ORDER[inc.state]:
            state = inc.state
        key = (state, g, accused, tuple(rules))
        if key == inc.last and not note and not force:
            return
        self._emit(inc, judged(rules, g, state, assessment.reason))

    def _outside(self, t: float, rules: list[str]) -> str:
        start, end = self.period
        if t < start:
            bound = f"before effective_from {format_time(_time(start))}"
        else:
            bound = f"at or after time.effective_until {format_time(_time(end))}"
        return (
            f"outside the agreement period: first evidence {format_time(_time(t))} is {bound}; "
            f"not judged (would breach {', '.join(rules)})"
        )

    def _origin_fix(self, rows: list[Row]) -> Fix | None:
        eq = Normal()
        n = 0
        for row in rows:
            if math.isnan(row.x):
                continue
            if row.kind is Kind.launch:
                _add(eq, row.x, row.y, row.sigma, 1.0, row)
                n += 1
            elif not math.isnan(row.ox):
                eq.point(row.ox, row.oy, row.osigma)
                n += 1
        return eq.solve() if n else None

    def _thermal_war(self, rows: list[Row]) -> bool:
        """A satellite-only incident breaches only if one of its pixels' cell-days is a
        war fire (`fusion.thermal`: beyond season and region, sustained)."""
        if not self._baseline_seen:
            return False
        return any(
            self.thermal.verdict(cell_of(row.lon, row.lat), day_of(row.t)).war
            for row in rows
            if row.kind is Kind.thermal_anomaly
        )

    def _check_contradictions(
        self, inc: _Incident, rows: list[Row], impact: Fix | None, origin: Fix | None
    ) -> None:
        """Each operator's points against the other operators' consensus.

        The consensus must be able to outvote: a report is counted as contradicted only
        when the others span at least two operators, or when it comes from a party and
        the others include a neutral (mission, guarantor) sensor. Two lone witnesses who
        disagree are contested, not both liars.

        It must also be of one point: the others' reports must pass the consistency test
        on their own (`Normal.consistent`). In dense fire association mixes strikes that
        land within the gate of each other, and the others' fix is then a point between
        strikes, which every honest report contradicts; a party firing densely near a
        neutral sensor could get it flagged that way. No check is counted there.
        """
        detections = [row for row in rows if is_source(row) and row.x == row.x]
        # Each operator's own equations per side, summed once: an operator's consensus is
        # then the sum of the others' (leave one out), not another pass over every report.
        own: dict[str, tuple[Normal, Normal]] = {}
        imp_from: set[str] = set()
        org_from: set[str] = set()
        for row in detections:
            eqs = own.get(row.operator)
            if eqs is None:
                eqs = own[row.operator] = (Normal(), Normal())
            if row.kind is Kind.launch:
                _add(eqs[ORIGIN], row.x, row.y, row.sigma, 1.0, row)
                org_from.add(row.operator)
                continue
            _add(eqs[IMPACT], row.x, row.y, row.sigma, 1.0, row)
            imp_from.add(row.operator)
            if row.ox == row.ox:
                eqs[ORIGIN].point(row.ox, row.oy, row.osigma)
                org_from.add(row.operator)
        if len(own) < 2:
            return
        ops = sorted(own)
        for op in ops:
            cons_i = self._consensus(op, ops, own, imp_from, IMPACT)
            cons_o = self._consensus(op, ops, own, org_from, ORIGIN)
            for row in detections:
                if row.operator != op or row.bearing == row.bearing:
                    continue  # a bearing's point is a band, not a claim of position
                bad = checked = False
                if row.ox == row.ox and cons_o is not None:
                    checked = True
                    bad |= _z(row.ox, row.oy, row.osigma, cons_o) > CONTRADICTION_Z
                if row.kind is not Kind.launch and cons_i is not None:
                    checked = True
                    bad |= _z(row.x, row.y, row.sigma, cons_i) > CONTRADICTION_Z
                if checked:
                    self.reliability.record(row.sensor, inc.id, bad)

    def _consensus(
        self,
        op: str,
        ops: list[str],
        own: dict[str, tuple[Normal, Normal]],
        reporting: set[str],
        side: int,
    ) -> Fix | None:
        """The other operators' fix of one side, if they can outvote `op` there and their
        reports are of one point."""
        others = reporting - {op}
        if not self._outvotes(op, others):
            return None
        eq = Normal()
        for o in ops:
            if o in others:
                eq.merge(own[o][side])
        fix = eq.solve()
        return fix if fix is not None and eq.consistent(fix) else None

    def _outvotes(self, op: str, others: set[str]) -> bool:
        if len(others) >= 2:
            return True
        return op in self.parties and any(o not in self.parties for o in others)

    def _origins_disagree(self, credible: list[int]) -> bool:
        """Two operators each place the origin firmly in a different party's territory
        (`credible`: engine row numbers)."""
        sides: set[str] = set()
        for r in credible:
            if math.isnan(self.rows[r].ox):
                continue  # radar origins only: launch reports count in the pooled-fire test
            party = self._firm_side(r)
            if party is not None:
                sides.add(party)
        return len(sides) >= 2

    def _pooled_firing_sides(
        self, eq: Normal, origin: Fix, members: list[int], flagged: set[str], tainted: set[int]
    ) -> str:
        """Why the origin fix cannot confirm the firing side, or "" if it can.

        It cannot when the origin reports fail the consistency test (`Normal.consistency`
        at `CONSISTENCY_ALPHA`: they are not of one firing point) and the credible ones
        firmly place origins in more than one party's territory. A least-squares fix of
        two batteries on either side of the line lands between them, and its covariance
        (the error of a mean) says nothing of which of them fired."""
        # The sides first: they are cached per report, and two of them are rare (a duel),
        # while the chi-square law costs a library call per judgement.
        sides = sorted(self._firm_operators(members, flagged, tainted))
        if len(sides) < 2:
            return ""
        if eq.consistent(origin):
            return ""
        # The record states chi2 and dof (plain arithmetic on the log), not the p-value:
        # a library's last digits must not enter a signed verdict that others replay.
        return (
            f"; origin reports inconsistent with one firing point (chi2 "
            f"{eq.chi2(origin):.1f} on {eq.dof} dof, beyond the {CONSISTENCY_ALPHA:g} "
            f"chi-square test) place origins in {' and '.join(sides)} territory: the "
            "pooled fix cannot confirm who fired"
        )

    def _firm_operators(
        self, members: list[int], flagged: set[str], tainted: set[int]
    ) -> dict[str, set[str]]:
        """Per party, the operators of the credible reports whose own origin its territory
        firmly holds."""
        out: dict[str, set[str]] = {}
        for r in members:
            row = self.rows[r]
            if r in tainted or not is_source(row) or row.sensor in flagged:
                continue
            side = self._firm_side(r)
            if side is not None:
                out.setdefault(side, set()).add(row.operator)
        return out

    # --- a pooled duel, one incident per firing side ------------------------------------

    def _split(
        self,
        inc: _Incident,
        kind: Kind,
        eq: Normal,
        origin: Fix,
        flagged: set[str],
        tainted: set[int],
    ) -> dict[str, list[int]]:
        """A pooled duel's parts, one per firing side (part id -> engine rows, in order of
        first evidence), or {} if it is one incident.

        It is split exactly when the pooled-fire cap applies (`_pooled_firing_sides`: the
        origin reports fail the one-firing-point test and firmly place origins in two
        parties' territory) and each of two or more of those parties' fire is attested by
        a sensor that is not its accuser's: a neutral one, or the firing party's own. A
        party's radar that mirrors a shot's origin across the line attests nothing, so its
        lie stays in one incident with the truth, where the grade is contested and the
        contradiction check flags it. Each part's id is that of its first evidence; the
        part holding the incident's first evidence keeps the incident's id."""
        if kind in PRESENCE_KINDS or len(inc.sides) < 2:
            return {}
        operators = self._firm_operators(inc.rows, flagged, tainted)
        sides = sorted(
            side
            for side, ops in operators.items()
            if any(op == side or op not in self.parties for op in ops)
        )
        if len(sides) < 2 or eq.consistent(origin):
            return {}
        members = [(r, self.rows[r]) for r in inc.rows]
        firm = {r: self._firm_side(r) for r, row in members if has_origin(row)}
        parts = sorted(partition(members, firm, sides, self.gate).values())
        return {incident_id(self.rows[rows[0]].leaf): rows for rows in parts}

    def _judge_parts(
        self,
        inc: _Incident,
        parts: dict[str, list[int]],
        note: str,
        amend: Callable[[IncidentTransition], IncidentTransition] | None,
    ) -> None:
        """Judge each firing side's part of a pooled duel as an incident of its own: its
        own evidence, origin fix, accused and grade. A part settled by a dispute or an
        inspection keeps its verdict unless a revocation (`note`) reopens it."""
        self._regroup(inc, list(parts))
        news = list(parts) != list(inc.split)  # a new split, or new parts: log it on each
        # The association's own checks give way to each part's (`_judge`).
        for sensor in sorted({self.rows[r].sensor for r in inc.rows}):
            self.reliability.withdraw(sensor, inc.id)
        inc.split = parts
        inc.part_eqs = tuple(self._eqs_of(rows) for rows in parts.values())
        root = self._by_id[inc.id]
        why = f"one of {len(parts)} firing sides pooled by association ({', '.join(parts)}); "
        for pid, rows in parts.items():
            holder = inc.parts.get(pid, inc if pid == inc.id else None)
            if holder is None:
                holder = inc.parts[pid] = _Incident(pid, rows)
                self._by_id[pid] = root
            if holder is not inc:  # the association's own rows stay whole
                holder.rows = rows
            if holder.state in _SETTLED:
                if note:
                    self._reopen(holder, note, rows, why)
                continue
            self._judge(
                holder,
                note if holder.record is not None else "",
                amend if holder is inc else None,
                rows,
                why,
                news,
            )

    def _eqs_of(self, rows: list[int]) -> tuple[Normal, Normal]:
        eqs = (Normal(), Normal())
        for r in rows:
            _accumulate(eqs, self.rows[r])
        return eqs

    def _regroup(self, inc: _Incident, keep: list[str]) -> None:
        """Close the parts of a split duel that are no longer parts (their reports are
        judged in `keep` now), as a merge closes an absorbed incident."""
        for pid in sorted(set(inc.parts) - set(keep)):
            self._close(inc.parts.pop(pid), keep)

    def _firm_side(self, r: int) -> str | None:
        """`_origin_side` of engine row r, cached (a fixed property of the report)."""
        party = self._firm_origin.get(r, _UNKNOWN)
        if party is _UNKNOWN:
            party = self._firm_origin[r] = self._origin_side(self.rows[r])
        return party  # type: ignore[return-value]

    def _origin_side(self, row: Row) -> str | None:
        """The party whose territory firmly (95 %) holds the report's own point of origin:
        a radar track's origin, or a launch reported as a point (a bearing's point is a
        band, not a claim of position)."""
        point = origin_point(row)
        if point is None:
            return None
        x, y, sigma = point
        party = self.attributor.party_at(x, y)
        if party is None:
            return None
        d = self.attributor.distance_to_line(x, y)
        return party if normal_cdf(d / max(sigma, 1.0)) >= 0.95 else None

    # --- inspections and disputes -----------------------------------------------------

    def _inspection(self, row: Row) -> None:
        assert row.ref is not None
        incident, finding = row.ref
        inc = self._named(incident)
        if inc is None or inc.record is None:
            return
        if inc.state not in (
            State.verified,
            State.disputed,
            State.inspection,
            State.corroborated,
            State.reported,
        ):
            return
        target = {"confirmed": State.confirmed, "dismissed": State.dismissed}.get(finding)
        if target is None:
            target = State.inspection
        grade_ = (
            Grade.confirmed
            if target is State.confirmed
            else (Grade.discounted if target is State.dismissed else inc.record.grade)
        )
        evidence = sorted(set(inc.record.evidence) | {row.leaf})
        inc.findings = (*inc.findings, (len(self.rows) - 1, inc.state))
        self._emit(
            inc,
            inc.record.model_copy(
                update={
                    "state": target,
                    "grade": grade_,
                    "evidence": evidence,
                    "at": max(inc.record.at, _time(row.t)),
                    "reason": f"inspection by {row.sensor}: {finding}",
                }
            ),
        )

    def _named(self, incident: str) -> _Incident | None:
        """The live incident of that id: an association's, or a part of a split duel (not
        one merged into another)."""
        root = self._by_id.get(incident)
        inc = self._inc.get(self._find(root)) if root is not None else None
        if inc is None or inc.id == incident:
            return inc
        return inc.parts.get(incident)

    def dispute(
        self, index: int, incident: str, party: str, reason: str
    ) -> list[IncidentTransition]:
        """The accused party disputes a verified incident: it goes to inspection."""
        start = len(self.emitted)
        inc = self._named(incident)
        if inc is None or inc.record is None or inc.state is not State.verified:
            return []
        if party not in self.parties or party != inc.record.accused:
            return []
        for state in (State.disputed, State.inspection):
            self._emit(
                inc,
                inc.record.model_copy(
                    update={
                        "state": state,
                        "evidence": sorted(set(inc.record.evidence) | {index}),
                        "reason": f"disputed by {party}: {reason}"[:500],
                    }
                ),
            )
        return self.emitted[start:]

    # --- revocations -------------------------------------------------------------------

    def revoke(
        self,
        index: int,
        sensor: str,
        since: float,
        reason: str,
        until: float = math.inf,
        key: str = "",
    ) -> list[IncidentTransition]:
        """A revocation logged at ledger index `index`: `sensor` (or only its key `key`,
        which signs what is dated in [since, until)) signs nothing dated from `since` on
        (its key was captured then, say). Its reports dated in [since, until) that were
        logged before the revocation stop counting: no source, no point of a fix, no
        inspection finding (they stay in the evidence). Every incident resting on one,
        settled or not, is re-judged now and logs a transition whose reason names the
        sensor and the revocation (`_reopen` for a settled one); ingest and the log's
        readers refuse the later reports it covers."""
        start = len(self.emitted)
        hit = [
            r
            for r, row in enumerate(self.rows)
            if row.sensor == sensor and since <= row.t < until and r not in self._tainted
        ]
        self._tainted.update(hit)
        count: dict[int, int] = {}
        for r in hit:
            root = self._root_of(r)
            if root is not None:
                count[root] = count.get(root, 0) + 1
        why = f": {reason}" if reason else ""
        for root in sorted(count):
            inc = self._inc.get(root)
            if inc is None:
                continue  # thermal history
            inc.pairs = frozenset(
                (row.skind, row.operator)
                for r in inc.rows
                if r not in self._tainted and is_source(row := self.rows[r])
            )
            what = f"key {key} of sensor {sensor}" if key else f"sensor {sensor}"
            note = (
                f"re-judged: {what} revoked from {format_time(_time(since))} "
                f"(entry {index}{why}); {count[root]} of its report(s) no longer count"
            )
            if inc.split:
                self._judge(inc, note)  # each part as below (`_judge_parts`)
            elif inc.record is None:
                self._judge(inc)  # never logged: only a breach it still makes is news
            elif inc.state in _SETTLED:
                self._reopen(inc, note)
            else:
                self._judge(inc, note)
        return self.emitted[start:]

    def _root_of(self, r: int) -> int | None:
        """The incident root an engine row bears on: its own incident's, or for an
        inspection report the incident its finding moved (None if it moved none)."""
        ref = self.rows[r].ref
        if ref is None:
            return self._find(r)
        named = self._by_id.get(ref[0])
        root = None if named is None else self._find(named)
        inc = None if root is None else self._inc.get(root)
        if inc is None or all(
            f != r for part in (inc, *inc.parts.values()) for f, _ in part.findings
        ):
            return None
        return root

    def _reopen(
        self, inc: _Incident, note: str, members: list[int] | None = None, why: str = ""
    ) -> None:
        """Re-judge a settled incident (disputed, in inspection, confirmed, dismissed) that
        rests on reports a revocation took back: a verdict is a function of the evidence
        that counts, and a settled one is no exception.

        The incident is judged afresh on what still counts, from the state its evidence
        had reached (verified, if it ever was: a verdict that no longer verifies goes to
        inspection, never silently away). Then what settled it is applied again where the
        revocation did not take it back: the last inspection finding whose report still
        counts (confirmed or dismissed) stands, unless nothing is breached any more; an
        inspection still owed (a dispute, an inconclusive finding, an inspection the
        evidence asked for) keeps the incident in `inspection`. A finding signed with the
        revoked key no longer settles anything. The transition keeps every entry the last
        one cited (disputes, findings) and its reason starts with `note`. `members` and
        `why`: a part of a split duel (`_judge`)."""
        assert inc.record is not None and inc.state is not None
        before, settled = inc.record, inc.state
        standing = [(r, was) for r, was in inc.findings if r not in self._tainted]
        finding = self.rows[standing[-1][0]].ref if standing else None
        final = finding[1] if finding and finding[1] in ("confirmed", "dismissed") else None
        # Before any finding taken back, the incident stood where its first such finding
        # found it; otherwise where it is now.
        taken_back = [was for r, was in inc.findings if r in self._tainted]
        base = taken_back[0] if taken_back and not final else settled
        owed = base in (State.disputed, State.inspection) or (finding is not None and final is None)
        # Where its evidence alone had brought it before anything settled it: a dispute
        # and an inspection the evidence asked for both follow a verified verdict.
        start = inc.findings[0][1] if inc.findings else settled
        if start in (State.disputed, State.inspection, State.confirmed):
            start = State.verified

        def amend(rec: IncidentTransition) -> IncidentTransition:
            update: dict[str, Any] = {
                "evidence": sorted(set(rec.evidence) | set(before.evidence)),
                "at": max(rec.at, before.at),
            }
            if rec.state is not State.dismissed and final is not None:
                assert finding is not None
                update |= {
                    "state": State(final),
                    "grade": Grade.confirmed if final == "confirmed" else Grade.discounted,
                    "reason": f"{rec.reason}; the inspection finding ({final}) still stands",
                }
            elif rec.state is not State.dismissed and owed:
                update |= {
                    "state": State.inspection,
                    "reason": f"{rec.reason}; the inspection it awaits is still owed",
                }
            return rec.model_copy(update=update)

        inc.state = start if start in _ORDER else None
        self._judge(inc, note, amend, members, why)

    # --- records ---------------------------------------------------------------------

    def _record(
        self,
        inc: _Incident,
        rows: list[Row],
        impact: Fix | None,
        origin: Fix | None,
        kind: Kind,
        weapon: WeaponClass | None,
        accused: str | None,
        confidence: float,
        rules: list[str],
        g: Grade,
        state: State,
        reason: str,
    ) -> IncidentTransition:
        where = impact or origin
        olonlat = None
        if where is not None:
            lon, lat = (round(v, 6) for v in self.frame.point_to_lonlat(where.x, where.y))
            unc = round(where.radius_m, 1)
            if origin is not None and impact is not None:
                olon, olat = self.frame.point_to_lonlat(origin.x, origin.y)
                olonlat = (round(olon, 6), round(olat, 6))
        else:
            lon, lat, unc = round(rows[0].lon, 6), round(rows[0].lat, 6), round(rows[0].sigma, 1)
        ts = [row.t for row in rows]
        return IncidentTransition(
            incident=inc.id,
            state=state,
            at=_time(max(ts)),
            agreement=self.ref,
            evidence=sorted(row.leaf for row in rows),
            window=(_time(min(ts)), _time(max(ts))),
            location=(lon, lat),
            uncertainty_m=unc,
            kind=kind.value,
            weapon_class=weapon,
            origin=olonlat,
            accused=accused,
            attribution_confidence=round(confidence, 4) if accused else 0.0,
            rules=rules,
            grade=g,
            reason=reason[:500],
        )

    def _emit(self, inc: _Incident, record: IncidentTransition) -> None:
        inc.record = record
        inc.state = record.state
        inc.last = (record.state, record.grade, record.accused, tuple(record.rules))
        self.emitted.append(record)

    # --- views -----------------------------------------------------------------------

    def members(self) -> dict[str, list[int]]:
        """Every incident's full evidence so far (ledger indices), including reports that
        joined after its last transition (they changed nothing worth logging)."""
        return {
            pid: sorted(self.rows[r].leaf for r in rows)
            for inc in self._inc.values()
            for pid, rows in (inc.split or {inc.id: inc.rows}).items()
        }

    def incidents(self) -> list[IncidentTransition]:
        """The latest transition of every logged incident, by incident id order of first evidence."""
        latest: dict[str, IncidentTransition] = {}
        for rec in self.emitted:
            latest[rec.incident] = rec
        return sorted(latest.values(), key=lambda r: int(r.incident.split("-")[1]))


def _accumulate(eqs: tuple[Normal, Normal], row: Row) -> None:
    if row.kind in NON_DETECTION_KINDS or math.isnan(row.x):
        return
    if row.kind is Kind.launch:
        _add(eqs[ORIGIN], row.x, row.y, row.sigma, 1.0, row)
        return
    _add(eqs[IMPACT], row.x, row.y, row.sigma, 1.0, row)
    if not math.isnan(row.ox):
        eqs[ORIGIN].point(row.ox, row.oy, row.osigma)


def _noted(
    judged: Callable[[list[str], Grade, State, str], IncidentTransition],
    note: str,
    rules: list[str],
    g: Grade,
    state: State,
    reason: str,
) -> IncidentTransition:
    """A judgement's record with `note` ahead of its reason (why it was re-judged)."""
    return judged(rules, g, state, f"{note}; {reason}")


def _amended(
    judged: Callable[[list[str], Grade, State, str], IncidentTransition],
    amend: Callable[[IncidentTransition], IncidentTransition],
    rules: list[str],
    g: Grade,
    state: State,
    reason: str,
) -> IncidentTransition:
    return amend(judged(rules, g, state, reason))


def _add(eq: Normal, x: float, y: float, sigma: float, w: float, row: Row) -> None:
    if not math.isnan(row.bearing):
        eq.bearing(row.sx, row.sy, row.bearing, row.lo, row.hi, sigma, w)
    else:
        eq.point(x, y, sigma, w)


def _z(x: float, y: float, sigma: float, fix: Fix) -> float:
    return math.hypot(x - fix.x, y - fix.y) / math.hypot(max(sigma, 1.0), fix.radius_m)


def _weapon(rows: list[Row]) -> WeaponClass | None:
    counts: dict[int, int] = {}
    for row in rows:
        if row.weapon != NO_WEAPON:
            counts[row.weapon] = counts.get(row.weapon, 0) + 1
    if not counts:
        return None
    best = min(counts, key=lambda w: (-counts[w], w))
    return WEAPONS[best]


def transition_digest(records: Iterable[IncidentTransition]) -> str:
    """One hash over a verdict sequence (for comparing runs)."""
    h = hashlib.sha256()
    for rec in records:
        h.update(json.dumps(rec.model_dump(mode="json"), sort_keys=True).encode() + b"\n")
    return h.hexdigest()


def adjudicate(
    table: EvidenceTable,
    agreement: Agreement,
    agreement_ref: AgreementRef,
    *,
    disputes: Mapping[int, list[tuple[int, str, str, str]]] | None = None,
    revocations: Mapping[int, list[Revocation]] | None = None,
    baseline: ThermalBaseline | None = None,
    gate: Gate | None = None,
) -> tuple[Engine, list[int]]:
    """The batch: associate the rows by blocks (k-d tree), and drive the engine in ledger order.

    `disputes[r]` lists (ledger index, incident, party, reason) logged just before row r
    (r = len(table) for those after the last observation); `revocations[r]` likewise
    (ledger index, sensor, effective from (unix time), reason). Returns the engine and, per
    emitted transition, the ledger index of the entry that caused it.
    """
    between = _between(disputes or {}, revocations or {})
    with gc_paused():  # millions of long-lived objects and no cycles
        return _adjudicate(table, agreement, agreement_ref, between, baseline, gate)


# What is logged between observation rows, in ledger order: ("dispute", (index, incident,
# party, reason)) and ("revoke", a `Revocation`).
Between = Mapping[int, list[tuple[str, tuple[Any, ...]]]]


def _between(
    disputes: Mapping[int, list[tuple[int, str, str, str]]],
    revocations: Mapping[int, list[Revocation]],
) -> Between:
    out: dict[int, list[tuple[str, tuple[Any, ...]]]] = {}
    for r, ds in disputes.items():
        out.setdefault(r, []).extend(("dispute", d) for d in ds)
    for r, rs in revocations.items():
        out.setdefault(r, []).extend(("revoke", v) for v in rs)
    for events in out.values():
        events.sort(key=lambda e: e[1][0])
    return out


def play(engine: Engine, kind: str, event: tuple[Any, ...]) -> list[IncidentTransition]:
    """Feed the engine a dispute or a revocation (as `Between` lists them)."""
    if kind == "dispute":
        return engine.dispute(*event)
    return engine.revoke(*event)


def _adjudicate(
    table: EvidenceTable,
    agreement: Agreement,
    agreement_ref: AgreementRef,
    between: Between,
    baseline: ThermalBaseline | None,
    gate: Gate | None,
) -> tuple[Engine, list[int]]:
    engine = Engine(agreement, agreement_ref, gate=gate, baseline=baseline)
    rows = rows_of(table, engine.frame)
    triggers: list[int] = []
    # The next blocks' candidate links are found on the other core while these are judged.
    for lo, hi, ci, cj, cs in prefetched(candidate_blocks(table, engine.gate)):
        # Row r's candidates are links[start[r - lo]:start[r - lo + 1]] (ci is ascending).
        links = list(zip(cs.tolist(), cj.tolist(), strict=True))
        start = np.searchsorted(ci, np.arange(lo, hi + 1)).tolist()
        for r in range(lo, hi):
            if between:
                for kind, event in between.get(r, ()):
                    triggers.extend([event[0]] * len(play(engine, kind, event)))
            row = rows[r]
            emitted = engine.add(row, links[start[r - lo] : start[r - lo + 1]])
            if emitted:
                triggers.extend([row.leaf] * len(emitted))
    for kind, event in between.get(len(rows), ()):
        triggers.extend([event[0]] * len(play(engine, kind, event)))
    return engine, triggers

"""The deterrent effect of a penalty: the change in the accused party's breach rate after
its penalty took effect, against the other parties' over the same days.

A difference-in-differences on daily counts of verified breaches, as a Poisson GLM
(statsmodels) with an offset log(hours of log in the day), one intercept per party and per
day, and the term `accused x after`: exp(its coefficient) is the rate ratio (after/before,
accused relative to the others). The day intercepts absorb whatever moves both sides at
once (the phase of the fighting, the hour of the log, weather); the party intercepts, each
side's own level. Poisson as quasi-likelihood with standard errors clustered by day: the
counts are overdispersed and the two sides' counts on a day are correlated (retaliation),
which a cluster-robust covariance allows for without choosing a negative-binomial variance
(the point estimate of a Poisson model with fixed effects stays consistent whatever the
variance). Days between the case's opening and its taking effect (pending) are left out:
a pending case deters too, and would blur "before".

Done twice: along the whole front (every verified breach) and near the corridors (verified
breaches within 15 km of a corridor's path).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import shapely

from truceline.corridors.drivers import NEAR_M, breach_time
from truceline.corridors.spec import CorridorSpec
from truceline.enforcement.penalties import CaseState, Status
from truceline.errors import TrucelineError
from truceline.fusion.attribute import project
from truceline.fusion.base import Frame
from truceline.metrics.facts import Breach, Facts
from truceline.observation import format_time

SCHEMA = "truceline.effect/1"
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
SPAN = timedelta(days=30)  # days compared on each side, at most
MIN_DAYS = 3  # days of log needed on each side
MIN_HOURS = 12.0  # a day with less log than this is left out
Z90 = 1.6448536269514722


class EffectError(TrucelineError, ValueError):
    """A penalty case whose effect cannot be estimated from this log."""

    code = "effect"


@dataclass(frozen=True)
class Day:
    start: datetime
    hours: float
    after: bool


def find_case(facts: Facts, case_id: str) -> CaseState:
    cases = {cs.case.id: cs for cs in facts.cases}
    if case_id not in cases:
        raise EffectError(
            f"no penalty case {case_id!r} on this log ({len(cases)} cases)",
            field="--penalty",
            hint="`truceline penalties --home H` lists the cases and their ids",
        )
    return cases[case_id]


def days_around(cs: CaseState, first: datetime, last: datetime) -> list[Day]:
    """Whole days before the case opened and after it took effect, clipped to the log."""
    effective, opened = cs.timeline.effective_at, cs.case.opened_at
    if cs.status not in (Status.in_force, Status.lapsed) or effective > last:
        raise EffectError(
            f"case {cs.case.id}: its penalty never took effect on this log "
            f"(status {cs.status.value}, effective {format_time(effective)}, "
            f"log up to {format_time(last)})",
            field="--penalty",
        )
    stop = min(last, effective + SPAN)
    if cs.timeline.lapses_at is not None:
        stop = min(stop, cs.timeline.lapses_at)
    out = []
    for k in range(int(SPAN / DAY)):
        a = opened - (k + 1) * DAY
        hours = (min(a + DAY, last) - max(a, first)) / HOUR
        if hours >= MIN_HOURS:
            out.append(Day(a, min(hours, 24.0), False))
        a = effective + k * DAY
        hours = (min(a + DAY, stop) - max(a, first)) / HOUR
        if hours >= MIN_HOURS:
            out.append(Day(a, min(hours, 24.0), True))
    before = sum(1 for d in out if not d.after)
    after = len(out) - before
    if before < MIN_DAYS or after < MIN_DAYS:
        raise EffectError(
            f"case {cs.case.id}: too little log around it: {before} day(s) before it opened "
            f"({format_time(opened)}) and {after} after it took effect "
            f"({format_time(effective)}); at least {MIN_DAYS} each needed",
            field="--penalty",
        )
    return sorted(out, key=lambda d: d.start)


def near_corridors(breaches: list[Breach], corridors: list[CorridorSpec]) -> list[Breach]:
    """The breaches located within NEAR_M of any corridor's path."""
    if not breaches or not corridors:
        return []
    mids = [c.line.interpolate(0.5, normalized=True) for c in corridors]
    frame = Frame(float(np.mean([m.x for m in mids])), float(np.mean([m.y for m in mids])))
    x, y = frame.to_xy(
        [b.verdict.location[0] for b in breaches], [b.verdict.location[1] for b in breaches]
    )
    pts = shapely.points(np.atleast_1d(x), np.atleast_1d(y))
    paths = shapely.union_all([project(c.line, frame) for c in corridors])
    near = np.asarray(shapely.distance(paths, pts)) <= NEAR_M
    return [b for b, n in zip(breaches, near, strict=True) if n]


def counts(breaches: list[Breach], days: list[Day], parties: list[str]) -> np.ndarray:
    """counts[party, day]: the verified breaches each party is accused of, per day."""
    out = np.zeros((len(parties), len(days)))
    starts = [d.start for d in days]
    for b in breaches:
        if b.verdict.accused not in parties:
            continue
        t = breach_time(b)
        for j, a in enumerate(starts):
            if a <= t < a + DAY:
                out[parties.index(b.verdict.accused), j] += 1
                break
    return out


def did(n: np.ndarray, days: list[Day], treated: int) -> dict[str, Any]:
    """The rate ratio of party `treated` after/before, relative to the others (Poisson GLM,
    party and day intercepts, cluster-robust by day), with a 90 % interval."""
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    after = np.array([d.after for d in days])
    # a party or a day without any breach says nothing with intercepts for both: its
    # intercept would run off to minus infinity; leave it out
    keep_p = n.sum(axis=1) > 0
    keep_d = n.sum(axis=0) > 0
    summary = {
        "accused_before": int(n[treated][~after].sum()),
        "accused_after": int(n[treated][after].sum()),
        "others_before": int(np.delete(n, treated, 0)[:, ~after].sum()),
        "others_after": int(np.delete(n, treated, 0)[:, after].sum()),
        "days_before": int((~after).sum()),
        "days_after": int(after.sum()),
    }
    need = min(summary["accused_before"], summary["accused_after"])
    if not keep_p[treated] or keep_p.sum() < 2 or need == 0 or summary["others_after"] == 0:
        return summary | {
            "estimate": None,
            "reason": "no verified breach by the accused or by the others on one side",
        }
    parties = np.flatnonzero(keep_p)
    cols_d = np.flatnonzero(keep_d)
    rows, y, offset, groups = [], [], [], []
    for p in parties:
        for j in cols_d:
            x = [1.0 if p == q else 0.0 for q in parties[1:]]
            x += [1.0 if j == k else 0.0 for k in cols_d]
            x.append(1.0 if (p == treated and after[j]) else 0.0)
            rows.append(x)
            y.append(n[p, j])
            offset.append(math.log(days[j].hours))
            groups.append(j)
    family = families.Poisson()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = GLM(np.array(y), np.array(rows), family=family, offset=np.array(offset)).fit(
            cov_type="cluster", cov_kwds={"groups": np.array(groups)}, maxiter=200
        )
    b = float(res.params[-1])
    se = float(math.sqrt(max(float(res.cov_params()[-1, -1]), 0.0)))
    if not res.converged or not math.isfinite(se):
        return summary | {"estimate": None, "reason": "the fit did not converge"}
    rr = math.exp(b)
    p_value = math.erfc(abs(b / se) / math.sqrt(2)) if se > 0 else 0.0
    return summary | {
        "estimate": {
            "rate_ratio": round(rr, 6),
            "rate_ratio_low": round(math.exp(b - Z90 * se), 6),
            "rate_ratio_high": round(math.exp(b + Z90 * se), 6),
            "change": round(rr - 1.0, 6),
            "deterrent_effect": round(1.0 - rr, 6),
            "log_rate_ratio_se": round(se, 6),
            "p_value": round(p_value, 6),
            "clusters": len(cols_d),
        }
    }


def effect(
    facts: Facts, case_id: str, corridors: list[CorridorSpec], first: datetime, last: datetime
) -> dict[str, Any]:
    """The effect document: a pure function of the log (its facts), the case and corridors."""
    cs = find_case(facts, case_id)
    days = days_around(cs, first, last)
    parties = [p.id for p in facts.agreement.parties]
    if cs.case.accused not in parties:
        raise EffectError(f"case {case_id}: accused {cs.case.accused!r} is not a party")
    treated = parties.index(cs.case.accused)
    front = facts.breaches
    areas = {
        "front": did(counts(front, days, parties), days, treated),
        "near_corridors": did(
            counts(near_corridors(front, corridors), days, parties), days, treated
        )
        if corridors
        else {"estimate": None, "reason": "no corridors"},
    }
    tl = cs.timeline
    return {
        "schema": SCHEMA,
        "agreement": {"id": facts.agreement.id, "version": facts.agreement.version},
        "log": {"size": facts.log_size, "root": facts.log_root, "until": format_time(last)},
        "case": {
            "id": cs.case.id,
            "rung": cs.case.rung.id,
            "penalty": cs.case.rung.penalty,
            "accused": cs.case.accused,
            "status": cs.status.value,
            "opened_at": format_time(cs.case.opened_at),
            "effective_at": format_time(tl.effective_at),
            "lapses_at": None if tl.lapses_at is None else format_time(tl.lapses_at),
        },
        "controls": [p for p in parties if p != cs.case.accused],
        "method": "difference in differences: Poisson GLM (statsmodels) of daily verified "
        "breaches, offset log(hours), party and day intercepts, accused x after; "
        "standard errors clustered by day; 90 % interval",
        "confidence": 0.9,
        "areas": areas,
    }


def against_truth(doc: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The simulator's true effect of the scripted penalty the case stands for (the one on
    the accused that took effect within an hour of the case), beside the estimates: the
    true rate ratio is the hazard multiplier the simulator applied while it was in force."""
    case = doc["case"]
    effective = datetime.fromisoformat(case["effective_at"].replace("Z", "+00:00"))
    for line in lines:
        if line.get("type") != "penalty" or line["party"] != case["accused"]:
            continue
        t = datetime.fromisoformat(line["in_force_from"].replace("Z", "+00:00"))
        if abs(t - effective) > HOUR:
            continue
        true_rr = float(line["in_force_factor"])
        out: dict[str, Any] = {"rate_ratio": true_rr, "deterrent_effect": round(1 - true_rr, 6)}
        for area, got in doc["areas"].items():
            est = got.get("estimate")
            if est is None:
                out[area] = None
                continue
            err = (est["deterrent_effect"] - (1 - true_rr)) / (1 - true_rr) if true_rr < 1 else None
            out[area] = {
                "deterrent_effect": est["deterrent_effect"],
                "relative_error": None if err is None else round(err, 4),
                "within_25_percent": err is not None and abs(err) <= 0.25,
                "interval_covers_truth": est["rate_ratio_low"] <= true_rr <= est["rate_ratio_high"],
            }
        return out
    raise EffectError(
        f"the truth file has no scripted penalty on {case['accused']} in force from "
        f"{case['effective_at']}",
        field="--truth",
    )


def table(doc: dict[str, Any]) -> str:
    """The document as a readable table."""
    c = doc["case"]
    lines = [
        f"penalty case {c['id']} ({c['rung']}: {c['penalty']}) against {c['accused']}",
        f"opened {c['opened_at']}, in effect from {c['effective_at']}; "
        f"controls: {', '.join(doc['controls'])}",
        "",
        f"{'area':<16}{'days b/a':>10}{'accused b/a':>13}{'others b/a':>12}"
        f"{'rate ratio':>12}{'90% interval':>18}{'effect':>9}",
    ]
    for area, got in doc["areas"].items():
        est = got.get("estimate")
        days = f"{got.get('days_before', '-')}/{got.get('days_after', '-')}"
        acc = f"{got.get('accused_before', '-')}/{got.get('accused_after', '-')}"
        oth = f"{got.get('others_before', '-')}/{got.get('others_after', '-')}"
        if est is None:
            tail = f"  {got.get('reason', '')}"
        else:
            ci = f"{est['rate_ratio_low']:.2f}-{est['rate_ratio_high']:.2f}"
            tail = f"{est['rate_ratio']:>12.3f}{ci:>18}{-est['change']:>8.0%}"
        lines.append(f"{area:<16}{days:>10}{acc:>13}{oth:>12}{tail}")
    truth = doc.get("truth")
    if truth is not None:
        lines += [
            "",
            f"true rate ratio {truth['rate_ratio']} (effect {truth['deterrent_effect']:.0%})",
        ]
        for area in doc["areas"]:
            t = truth.get(area)
            if t is not None:
                lines.append(
                    f"  {area}: relative error {t['relative_error']}, within 25 %: "
                    f"{t['within_25_percent']}, interval covers truth: {t['interval_covers_truth']}"
                )
    return "\n".join(lines) + "\n"

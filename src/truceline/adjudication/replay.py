"""Replay: recompute every verdict from the ledger alone and compare with the log.

The engine is driven through the log in order. Each logged transition must be
the next transition the engine emitted, and must have been caused by an entry
*before* it in the log (a verdict cannot cite its future). Transitions the
engine emitted whose cause lies before the last logged transition but which
are absent from the log are `missing`; those caused after it are `pending`
(not yet fused), which is not a difference.

Every record replay relies on is checked on the way (`truceline.authority`: signatures,
keys live when they signed, the signer's role): a record that fails is `refused`, named
with its index and reason, and makes the report fail as a difference does. On an honest
log nothing is refused: an entry that is, was put there by a writer the agreement does not
authorize (or by something outside Truceline, e.g. `truceline log append`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

from truceline.adjudication.batch import Verdicts
from truceline.adjudication.logview import LogView

# Clocks of the adjudicator's processes may differ this much (a stream and a batch fuse).
STAMP_SLACK = timedelta(minutes=5)


@dataclass
class Difference:
    ledger_index: int | None
    kind: str  # "mismatch", "extra", "missing", "premature"
    detail: str

    def to_json(self) -> dict[str, object]:
        return {"ledger_index": self.ledger_index, "kind": self.kind, "detail": self.detail}


@dataclass
class ReplayReport:
    logged: int = 0
    recomputed: int = 0
    matched: int = 0
    pending: int = 0
    differences: list[Difference] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences and not self.refused

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "logged": self.logged,
            "recomputed": self.recomputed,
            "matched": self.matched,
            "pending": self.pending,
            "differences": [d.to_json() for d in self.differences[:100]],
            "refused": len(self.refused),
            "refusals": [{"ledger_index": i, "reason": r} for i, r in self.refused[:100]],
        }


def compare(verdicts: Verdicts) -> ReplayReport:
    """Logged transitions (in log order) against the recomputed ones (in emission order)."""
    # The ledger deduplicates identical entries, so an identical re-emission is logged once.
    seen: set[str] = set()
    expected: list[tuple[str, int, str]] = []  # (canonical json, trigger index, incident)
    for rec, trigger in zip(verdicts.emitted, verdicts.triggers, strict=True):
        text = rec.judged()
        if text not in seen:
            seen.add(text)
            expected.append((text, trigger, rec.incident))
    logged = [(i, rec.judged(), rec.incident) for i, rec, _ in verdicts.view.transitions]
    view = verdicts.view
    # The view lists every record it refused (with the authority's reason); the registry
    # and the agreement history list the records of theirs they could not apply.
    refused = view.problems + view.registry.problems + view.history.problems + _stamps(view)
    report = ReplayReport(
        logged=len(logged), recomputed=len(expected), refused=sorted(set(refused))
    )
    for m, (index, text, incident) in enumerate(logged):
        if m >= len(expected):
            report.differences.append(
                Difference(
                    index, "extra", f"logged transition of {incident} that no evidence supports"
                )
            )
            continue
        want, trigger, want_incident = expected[m]
        if text != want:
            report.differences.append(
                Difference(
                    index,
                    "mismatch",
                    f"logged {incident}, recomputed {want_incident}: {_diff(text, want)}",
                )
            )
        elif trigger >= index:
            report.differences.append(
                Difference(index, "premature", f"{incident} cites entry {trigger}, logged after it")
            )
        else:
            report.matched += 1
    last = logged[-1][0] if logged else -1
    for _text, trigger, incident in expected[len(logged) :]:
        if trigger < last:
            report.differences.append(
                Difference(None, "missing", f"{incident}: caused by entry {trigger}, never logged")
            )
        else:
            report.pending += 1
    return report


def _stamps(view: LogView) -> list[tuple[int, str]]:
    """Logging times that cannot be true: a transition stamped before the event it judges,
    or before a transition logged ahead of it (the log only grows, and so does time).
    Checking them against the witnesses' cosignature times is a mirror's job."""
    out = []
    last = None
    for index, t, _ in view.transitions:
        if t.logged_at is None:
            continue
        if t.logged_at < t.at - STAMP_SLACK:
            out.append(
                (
                    index,
                    f"logged_at {t.logged_at.isoformat()} is before its event ({t.at.isoformat()})",
                )
            )
        elif last is not None and t.logged_at < last - STAMP_SLACK:
            out.append(
                (
                    index,
                    f"logged_at {t.logged_at.isoformat()} is before an earlier entry's ({last.isoformat()})",
                )
            )
        last = t.logged_at if last is None else max(last, t.logged_at)
    return out


def _diff(a: str, b: str) -> str:
    x, y = json.loads(a), json.loads(b)
    keys = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
    return ", ".join(f"{k}: {x.get(k)!r} != {y.get(k)!r}" for k in keys)[:400]

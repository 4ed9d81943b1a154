"""Recall per breach type: fire, presence, corridor, protected site.

A breach event's type follows from what happened and which acts it broke:
forces standing somewhere (a heavy weapon parked, troops, access denied,
weapons missing) are *presence*; a round or burst is *corridor* if it broke a
corridor act, *protected_site* if it broke a protected-site act, and *fire*
if it broke any other act (across the line, into a zone, from a gun standing
too close). An event can be of two types (a shell across the line onto a
hospital is fire and protected_site).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from truceline.agreement.rules import Act

TYPES = ("fire", "presence", "corridor", "protected_site")
# The simulator's event kinds (truth.jsonl) of forces standing somewhere.
PRESENCE_EVENT_KINDS = frozenset(
    {"heavy_weapon_move", "troop_movement", "access_denied", "weapons_missing"}
)
_BY_ACT = {Act.corridor_attack: "corridor", Act.protected_site_attack: "protected_site"}


def types_of(presence: bool, rules: Iterable[str], acts: Mapping[str, Act]) -> set[str]:
    """The types of a breach (of an event, or of an incident's verdict) by the rules it
    broke (empty: none)."""
    rules = list(rules)
    if not rules:
        return set()
    if presence:
        return {"presence"}
    return {_BY_ACT.get(acts[r], "fire") if r in acts else "fire" for r in rules}


def breach_types(event: Mapping[str, Any], acts: Mapping[str, Act]) -> set[str]:
    """The types of one true breach event (empty if it is no breach)."""
    return types_of(event.get("kind") in PRESENCE_EVENT_KINDS, event.get("rules") or [], acts)


def recall(found: set[str], events: set[str], denominator: str) -> dict[str, Any]:
    hit = len(found & events)
    return {
        "value": round(hit / len(events), 4) if events else None,
        "found": hit,
        "of": len(events),
        "denominator": denominator,
    }


def recall_by_type(
    truth_events: Mapping[str, Mapping[str, Any]],
    acts: Mapping[str, Act],
    found: set[str],
    seen: set[str],
    verifiable: set[str],
) -> dict[str, dict[str, Any]]:
    """Per type: recall over all its breach events, those any sensor saw, and the
    verifiable ones (seen by independent sensors with standing)."""
    members: dict[str, set[str]] = {t: set() for t in TYPES}
    for eid, event in truth_events.items():
        for t in breach_types(event, acts):
            members[t].add(eid)
    return {
        t: {
            "over_all_breach_events": recall(found, ids, "every true breach event of this type"),
            "over_breach_events_any_sensor_saw": recall(
                found, ids & seen, "those at least one sensor saw"
            ),
            "over_breach_events_independent_sensors_saw": recall(
                found, ids & verifiable, "those independent sensors saw (verifiable)"
            ),
        }
        for t, ids in members.items()
    }

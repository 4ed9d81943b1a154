"""Classify an incident against the agreement's prohibited acts.

Each act is a geometric test on the fused incident, in the agreement's frame:

* fire_across_line: the point of origin is in one party's territory and the
  impact in another's;
* impact_in_zone: an impact inside a listed zone (all zones if none listed);
* corridor_attack: an impact within half the corridor's width of it, during
  one of its windows;
* protected_site_attack: an impact within a site's protection radius;
* weapon_in_withdrawal_zone: a heavy weapon sighted, or firing (its point of
  origin), closer to the contact line than its class's withdrawal distance, or
  inside a withdrawal zone that bars its class;
* buffer_entry: armed forces (troops or heavy weapons) inside a buffer zone;
* weapon_missing_from_site, access_denial: see `adjudication.presence`, which
  also holds the withdrawal test (distances and withdrawal-zone polygons).

`weapon_classes` on an act restricts it to those classes; an unknown weapon
class matches only acts that list no class (no breach is read into a gap).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from shapely.geometry.base import BaseGeometry

from truceline.adjudication.presence import PresenceRules
from truceline.agreement.geography import ZoneKind
from truceline.agreement.model import Agreement
from truceline.agreement.rules import Act, ProhibitedAct
from truceline.fusion.attribute import Attributor, project
from truceline.fusion.base import Frame
from truceline.fusion.cells import CellLookup
from truceline.fusion.presence import PRESENCE_KINDS as PRESENCE_KINDS  # re-exported
from truceline.observation import Kind, WeaponClass

IMPACT_KINDS = frozenset(
    {Kind.impact, Kind.explosion, Kind.projectile, Kind.thermal_anomaly, Kind.small_arms}
)


@dataclass(frozen=True)
class Facts:
    """What fusion established about one incident, in frame metres."""

    kind: Kind
    t: float  # unix seconds of the first evidence
    impact: tuple[float, float] | None
    origin: tuple[float, float] | None
    weapon: WeaponClass | None


class RuleBook:
    def __init__(self, agreement: Agreement, frame: Frame, attributor: Attributor) -> None:
        self.acts = agreement.prohibited_acts
        self.attributor = attributor
        geo = agreement.geography
        self.zones: dict[str, tuple[ZoneKind, BaseGeometry]] = {
            z.id: (z.kind, project(z.shape, frame)) for z in geo.zones
        }
        self.corridors = [
            (project(c.shape, frame).buffer(c.width_m / 2), c.windows) for c in geo.corridors
        ]
        self.sites = [
            (project(s.shape, frame).buffer(s.radius_m) if s.radius_m else project(s.shape, frame))
            for s in geo.protected_sites
        ]
        self.presence = PresenceRules(agreement, frame, attributor)
        # Per geometry, cell-cached point queries (the same answers as shapely's, cheaper).
        self._zone_cells = {zid: CellLookup(g) for zid, (_, g) in self.zones.items()}
        self._corridor_cells = [(CellLookup(g), windows) for g, windows in self.corridors]
        self._site_cells = [CellLookup(g) for g in self.sites]

    def breached(self, facts: Facts) -> list[str]:
        """Ids of the prohibited acts the incident breaches, in the agreement's order."""
        return [
            act.id for act in self.acts if self._weapon_ok(act, facts) and self._test(act, facts)
        ]

    @staticmethod
    def _weapon_ok(act: ProhibitedAct, facts: Facts) -> bool:
        if not act.weapon_classes:
            return True
        return facts.weapon is not None and facts.weapon in act.weapon_classes

    def _in_zones(self, act: ProhibitedAct, x: float, y: float, only: ZoneKind | None) -> bool:
        ids = act.zones or list(self.zones)
        for zid in ids:
            kind, _ = self.zones[zid]
            if (only is None or kind is only) and self._zone_cells[zid].contains(x, y):
                return True
        return False

    def _test(self, act: ProhibitedAct, f: Facts) -> bool:
        impact = f.impact if f.kind in IMPACT_KINDS or f.origin is not None else None
        match act.act:
            case Act.fire_across_line:
                if impact is None or f.origin is None:
                    return False
                src = self.attributor.party_at(*f.origin)
                dst = self.attributor.party_at(*impact)
                return src is not None and dst is not None and src != dst
            case Act.impact_in_zone:
                return impact is not None and self._in_zones(act, *impact, None)
            case Act.corridor_attack:
                if impact is None:
                    return False
                when = datetime.fromtimestamp(f.t, UTC)
                return any(
                    cells.contains(*impact) and any(w.contains(when) for w in windows)
                    for cells, windows in self._corridor_cells
                )
            case Act.protected_site_attack:
                return impact is not None and any(
                    cells.covers(*impact) for cells in self._site_cells
                )
            case Act.weapon_in_withdrawal_zone:
                # A heavy weapon seen parked, or located by its own fire (the origin).
                where = f.impact if f.kind is Kind.heavy_weapon_sighting else f.origin
                return self.presence.weapon_in_withdrawal(act, where, f.weapon)
            case Act.buffer_entry:
                return (
                    self.presence.forces(f.kind)
                    and f.impact is not None
                    and self._in_zones(act, *f.impact, ZoneKind.buffer)
                )
            case Act.weapon_missing_from_site:
                return self.presence.missing_from_site(f.kind, f.impact, f.weapon)
            case Act.access_denial:
                return (
                    f.kind is Kind.access_denied
                    and f.impact is not None
                    and (not act.zones or self._in_zones(act, *f.impact, None))
                )
        return False

"""Presence breaches judged from the agreement's geography.

* weapon_in_withdrawal_zone: a heavy weapon (sighted, or located by its own
  fire) closer to the contact line than its class's withdrawal distance, or
  inside a withdrawal zone that bars its class (`Zone.weapon_classes`, empty =
  every class; the act's `zones` narrow the zones, empty = every withdrawal zone).
  A tank 16 km from the line is clear of a 15 km distance, but not of a
  withdrawal polygon that reaches 20 km.
* buffer_entry: armed forces (troops, heavy weapons) inside a buffer zone.
* weapon_missing_from_site: an inspection reports weapons of a class missing
  (`weapons_missing`) at a declared holding site that holds that class.
* access_denial: monitors report being refused access (`access_denied`),
  inside the act's zones if it lists any.

Who answers for it is decided by the lifecycle engine: the party holding the
ground where the forces stand or the monitors were stopped.
"""

from __future__ import annotations

from shapely.geometry.base import BaseGeometry

from truceline.agreement.geography import ZoneKind
from truceline.agreement.model import Agreement
from truceline.agreement.rules import ProhibitedAct
from truceline.fusion.attribute import Attributor, project
from truceline.fusion.base import Frame
from truceline.fusion.cells import CellLookup
from truceline.fusion.presence import FORCE_KINDS
from truceline.observation import Kind, WeaponClass


class PresenceRules:
    def __init__(self, agreement: Agreement, frame: Frame, attributor: Attributor) -> None:
        geo = agreement.geography
        self.attributor = attributor
        self.distance = {w.weapon_class: w.distance_km * 1000.0 for w in geo.withdrawal}
        # Withdrawal zones: id -> (barred classes, empty = all; cell-cached polygon).
        self.withdrawal_zones: dict[str, tuple[frozenset[WeaponClass], CellLookup]] = {
            z.id: (frozenset(z.weapon_classes), CellLookup(project(z.shape, frame)))
            for z in geo.zones
            if z.kind is ZoneKind.withdrawal
        }
        # Holding sites: (declared classes, cell-cached site area with its radius).
        self.holding_sites: list[tuple[frozenset[WeaponClass], CellLookup]] = []
        for site in geo.holding_sites:
            shape: BaseGeometry = project(site.shape, frame)
            if site.radius_m:
                shape = shape.buffer(site.radius_m)
            classes = frozenset(w.weapon_class for w in site.weapons)
            self.holding_sites.append((classes, CellLookup(shape)))

    def weapon_in_withdrawal(
        self, act: ProhibitedAct, where: tuple[float, float] | None, weapon: WeaponClass | None
    ) -> bool:
        """`where` is the weapon's position: where it was sighted, or its fire's origin."""
        if where is None or weapon is None:
            return False
        limit = self.distance.get(weapon)
        if limit is not None and self.attributor.distance_to_line(*where) < limit:
            return True
        ids = act.zones or list(self.withdrawal_zones)
        for zid in ids:
            zone = self.withdrawal_zones.get(zid)
            if zone is None:
                continue  # the act names a zone of another kind: its own test decides
            barred, cells = zone
            if (not barred or weapon in barred) and cells.contains(*where):
                return True
        return False

    @staticmethod
    def forces(kind: Kind) -> bool:
        return kind in FORCE_KINDS

    def missing_from_site(
        self, kind: Kind, where: tuple[float, float] | None, weapon: WeaponClass | None
    ) -> bool:
        if kind is not Kind.weapons_missing or where is None:
            return False
        return any(
            (weapon is None or weapon in classes) and cells.covers(*where)
            for classes, cells in self.holding_sites
        )

"""The true events, as columns: what really happened, before any sensor looks.

One row per round fired (kind impact or small_arms: an origin and an impact
point), per heavy weapon parked somewhere (heavy_weapon_move, present for
`dwell` seconds), per armed group in the buffer zone (troop_movement), and per
crop or forest fire (thermal_crop, thermal_forest: the seasonal baseline that
is NOT a strike). Times are seconds since the scenario start; positions are
metres in the world's local frame (NaN where a point does not apply).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from truceline.observation import WeaponClass

KINDS = (
    "impact",
    "small_arms",
    "heavy_weapon_move",
    "troop_movement",
    "thermal_crop",
    "thermal_forest",
    "weapons_missing",  # weapons taken out of a declared holding site (at the site)
    "access_denied",  # monitors turned back at a checkpoint (where they were stopped)
)
K_IMPACT, K_SMALL, K_HEAVY, K_TROOP, K_CROP, K_FOREST, K_MISSING, K_DENIED = range(len(KINDS))
WEAPONS = tuple(WeaponClass)
W = {w: i for i, w in enumerate(WEAPONS)}

# Why a round was fired: ordinary fire, or one of the scripted acts.
TAG_NONE, TAG_CORRIDOR, TAG_SITE, TAG_FALSE_FLAG = range(4)

# Typical public figures (rounded): maximum range (km), mean gap between rounds (s),
# dispersion of a round around its aim point (m), muzzle-to-impact mean speed (m/s),
# and the calibres a class is usually assessed at (mm).
RANGE_KM = {
    WeaponClass.small_arms: 1.2,
    WeaponClass.mortar: 6,
    WeaponClass.tank: 3,
    WeaponClass.artillery: 20,
    WeaponClass.mlrs: 35,
    WeaponClass.missile: 90,
}
GAP_S = {
    WeaponClass.small_arms: 4,
    WeaponClass.mortar: 25,
    WeaponClass.tank: 40,
    WeaponClass.artillery: 35,
    WeaponClass.mlrs: 0.8,
    WeaponClass.missile: 1,
}
SPREAD_M = {
    WeaponClass.small_arms: 30,
    WeaponClass.mortar: 40,
    WeaponClass.tank: 15,
    WeaponClass.artillery: 120,
    WeaponClass.mlrs: 400,
    WeaponClass.missile: 30,
}
SPEED_MS = {
    WeaponClass.small_arms: 700,
    WeaponClass.mortar: 200,
    WeaponClass.tank: 1500,
    WeaponClass.artillery: 400,
    WeaponClass.mlrs: 600,
    WeaponClass.missile: 1000,
}
CALIBRES_MM = {
    WeaponClass.small_arms: (7.62, 12.7),
    WeaponClass.mortar: (82, 120),
    WeaponClass.tank: (125,),
    WeaponClass.artillery: (122, 152),
    WeaponClass.mlrs: (122, 220),
    WeaponClass.missile: (540,),
}


def table(mapping: Mapping[WeaponClass, float], default: float = np.nan) -> np.ndarray:
    """A per-weapon-code lookup array."""
    return np.array([float(mapping.get(w, default)) for w in WEAPONS])


@dataclass
class Events:
    t: np.ndarray  # seconds since start (launch time for fire)
    kind: np.ndarray
    party: np.ndarray  # -1 for nobody (crop fires)
    weapon: np.ndarray  # index into WEAPONS, -1 for none
    ox: np.ndarray  # origin: the firing point, a weapon's or group's position
    oy: np.ndarray
    ix: np.ndarray  # impact: where a round lands, where a fire burns
    iy: np.ndarray
    dwell: np.ndarray  # seconds a weapon, group or fire stays (0 for a round)
    fire_t: np.ndarray  # a fire started by the event (NaN: none), start and duration
    fire_dur: np.ndarray
    frp: np.ndarray  # fire radiative power scale (MW)
    calibre: np.ndarray  # mm, NaN if not applicable
    tag: np.ndarray
    # filled in by truth.evaluate: rule ids (tuple) and breach flag per event
    rules: list[tuple[str, ...]] | None = None

    def __len__(self) -> int:
        return len(self.t)

    @property
    def impact_t(self) -> np.ndarray:
        """When the round lands (launch time plus flight)."""
        speed = np.where(self.weapon >= 0, table(SPEED_MS, 500)[np.maximum(self.weapon, 0)], np.inf)
        dist = np.hypot(self.ix - self.ox, self.iy - self.oy)
        flight = np.where(np.isfinite(dist), dist / speed, 0.0)
        return self.t + flight

    @classmethod
    def empty(cls) -> Events:
        return cls.concat([])

    @classmethod
    def concat(cls, parts: list[Events]) -> Events:
        cols: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "rules":
                continue
            dtype = np.int64 if f.name in ("kind", "party", "weapon", "tag") else np.float64
            cols[f.name] = (
                np.concatenate([getattr(p, f.name) for p in parts]).astype(dtype)
                if parts
                else np.empty(0, dtype)
            )
        return cls(**cols)

    def take(self, order: np.ndarray) -> Events:
        cols: dict[str, Any] = {
            f.name: getattr(self, f.name)[order] for f in fields(self) if f.name != "rules"
        }
        return Events(**cols)


def make(
    n: int,
    *,
    t: np.ndarray,
    kind: int | np.ndarray,
    party: int | np.ndarray,
    weapon: int | np.ndarray = -1,
    ox: np.ndarray | float = np.nan,
    oy: np.ndarray | float = np.nan,
    ix: np.ndarray | float = np.nan,
    iy: np.ndarray | float = np.nan,
    dwell: np.ndarray | float = 0.0,
    fire_t: np.ndarray | float = np.nan,
    fire_dur: np.ndarray | float = np.nan,
    frp: np.ndarray | float = np.nan,
    calibre: np.ndarray | float = np.nan,
    tag: int | np.ndarray = TAG_NONE,
) -> Events:
    def col(value: object, dtype: type) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()

    return Events(
        t=col(t, float),
        kind=col(kind, np.int64),
        party=col(party, np.int64),
        weapon=col(weapon, np.int64),
        ox=col(ox, float),
        oy=col(oy, float),
        ix=col(ix, float),
        iy=col(iy, float),
        dwell=col(dwell, float),
        fire_t=col(fire_t, float),
        fire_dur=col(fire_dur, float),
        frp=col(frp, float),
        calibre=col(calibre, float),
        tag=col(tag, np.int64),
    )

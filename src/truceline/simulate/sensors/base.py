"""What every sensor family shares: the sensor record, observation columns, geometry helpers.

Observations are built as columns (one numpy array per field) so that a
million of them cost vector operations, not Python objects; `writer`
renders each row to an `Observation` payload only when signing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from truceline.observation import Kind, Perception, WeaponClass
from truceline.simulate import events as ev

KINDS = tuple(Kind)
K = {k: i for i, k in enumerate(KINDS)}
PERCEPTIONS = tuple(Perception)
P = {p: i for i, p in enumerate(PERCEPTIONS)}
CEP_PER_SIGMA = 1.1774  # CEP of a circular normal = sigma * sqrt(2 ln 2)

# OSCE SMM style distance bands (km) for patrols and cameras.
BANDS_KM = np.array([0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 50])


@dataclass
class Sensor:
    id: str
    family: str  # radar, satellite, acoustic, seismic, camera, uav, patrol, report
    operator: str  # a party id, a guarantor id or "mission"
    x: float = float("nan")  # metres, local frame (NaN for sensors without a site)
    y: float = float("nan")
    facing_deg: float | None = None  # centre of a sector, degrees from north
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Obs:
    sensor: np.ndarray  # index into the sensor list
    t: np.ndarray  # seconds since start, as the sensor reports it
    event: np.ndarray  # index into events, -1 for a false alarm
    lie: np.ndarray
    kind: np.ndarray  # index into KINDS
    x: np.ndarray  # geometry: a point, metres
    y: np.ndarray
    unc: np.ndarray  # uncertainty_m
    perception: np.ndarray  # index into PERCEPTIONS
    weapon: np.ndarray  # index into events.WEAPONS, -1 none
    calibre: np.ndarray
    conf: np.ndarray
    ox: np.ndarray  # estimated point of origin, NaN none
    oy: np.ndarray
    ocep: np.ndarray
    bearing: np.ndarray
    band_lo: np.ndarray
    band_hi: np.ndarray
    frp: np.ndarray
    count: np.ndarray  # 0 = not given

    def __len__(self) -> int:
        return len(self.t)

    @classmethod
    def concat(cls, parts: list[Obs]) -> Obs:
        cols = {}
        for f in fields(cls):
            arrays = [getattr(p, f.name) for p in parts]
            cols[f.name] = np.concatenate(arrays) if arrays else _empty(f.name)
        return cls(**cols)

    def take(self, index: np.ndarray) -> Obs:
        return Obs(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


_INT = ("sensor", "event", "kind", "perception", "weapon", "count")


def _empty(name: str) -> np.ndarray:
    if name == "lie":
        return np.empty(0, bool)
    return np.empty(0, np.int64 if name in _INT else np.float64)


def make(n: int, **cols: Any) -> Obs:
    """An Obs of n rows; missing columns are NaN / -1 / 0 / False."""
    defaults: dict[str, Any] = {
        "event": -1,
        "lie": False,
        "perception": P[Perception.recorded],
        "weapon": -1,
        "count": 0,
    }
    out = {}
    for f in fields(Obs):
        value = cols.pop(f.name, defaults.get(f.name, np.nan))
        dtype = bool if f.name == "lie" else (np.int64 if f.name in _INT else np.float64)
        out[f.name] = np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()
    if cols:
        raise TypeError(f"unknown observation columns {sorted(cols)}")
    return Obs(**out)


@dataclass
class Phenomena:
    """The audible or visible moments of fire: each launch and each impact."""

    event: np.ndarray
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    weapon: np.ndarray
    launch: np.ndarray  # True: muzzle/launch at the origin; False: impact
    tree: cKDTree

    @classmethod
    def of(cls, events: ev.Events) -> Phenomena:
        fire = np.flatnonzero((events.kind == ev.K_IMPACT) | (events.kind == ev.K_SMALL))
        small = events.kind[fire] == ev.K_SMALL
        launch_idx = fire
        impact_idx = fire[~small]  # small arms: one phenomenon, the shooting
        event = np.concatenate([launch_idx, impact_idx])
        t = np.concatenate([events.t[launch_idx], events.impact_t[impact_idx]])
        x = np.concatenate([events.ox[launch_idx], events.ix[impact_idx]])
        y = np.concatenate([events.oy[launch_idx], events.iy[impact_idx]])
        launch = np.concatenate([np.ones(len(launch_idx), bool), np.zeros(len(impact_idx), bool)])
        tree = cKDTree(np.column_stack([x, y]) if len(x) else np.zeros((0, 2)))
        return cls(event, t, x, y, events.weapon[event], launch, tree)

    def near(self, x: float, y: float, radius_m: float) -> np.ndarray:
        if not len(self.t):
            return np.empty(0, np.int64)
        found = np.asarray(self.tree.query_ball_point([x, y], radius_m), dtype=np.int64)
        found.sort()
        return found


def circular_error(rng: np.random.Generator, cep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offsets whose radial median is `cep` (circular normal)."""
    sigma = np.asarray(cep, float) / CEP_PER_SIGMA
    n = len(sigma)
    return rng.normal(0, 1, n) * sigma, rng.normal(0, 1, n) * sigma


def bearing_deg(
    x0: float | np.ndarray, y0: float | np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """Bearing from (x0, y0) to (x, y), degrees clockwise from grid north, in [0, 360)."""
    return np.mod(np.degrees(np.arctan2(x - x0, y - y0)), 360.0)


def angle_diff(a: np.ndarray, b: float | np.ndarray) -> np.ndarray:
    return np.abs((np.asarray(a) - b + 180.0) % 360.0 - 180.0)


def band(
    rng: np.random.Generator, dist_m: np.ndarray, log_sd: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """An observer's distance band (m): the true distance misjudged by a log-normal factor."""
    guess_km = dist_m / 1000.0 * rng.lognormal(0, log_sd, len(dist_m))
    i = np.clip(np.searchsorted(BANDS_KM, guess_km, side="right") - 1, 0, len(BANDS_KM) - 2)
    return BANDS_KM[i] * 1000.0, BANDS_KM[i + 1] * 1000.0


_MISTAKEN_FOR = {
    WeaponClass.small_arms: (WeaponClass.small_arms, WeaponClass.small_arms),
    WeaponClass.mortar: (WeaponClass.artillery, WeaponClass.artillery),
    WeaponClass.artillery: (WeaponClass.mortar, WeaponClass.mlrs),
    WeaponClass.mlrs: (WeaponClass.artillery, WeaponClass.artillery),
    WeaponClass.tank: (WeaponClass.artillery, WeaponClass.mortar),
    WeaponClass.missile: (WeaponClass.mlrs, WeaponClass.mlrs),
}
_ALT = np.array(
    [[ev.W[_MISTAKEN_FOR.get(w, (w, w))[j]] for j in (0, 1)] for w in ev.WEAPONS], dtype=np.int64
)


def confuse(rng: np.random.Generator, weapon: np.ndarray, p_correct: float) -> np.ndarray:
    """Assessed weapon class: right with p_correct, else a class it is often mistaken for."""
    wrong = (rng.random(len(weapon)) >= p_correct) & (weapon >= 0)
    alt = _ALT[np.maximum(weapon, 0), rng.integers(0, 2, len(weapon))]
    return np.where(wrong, alt, weapon)


def sensor_rng(seed: int, family: str) -> np.random.Generator:
    return np.random.default_rng([seed, 100, *family.encode()])

"""The world: a seeded contact line, the parties' territories, zones, corridors, sites.

Geometry is built in a local metric frame (an azimuthal equidistant
projection centred on the front, so distances are metres), then written to
the agreement in WGS84 rounded to 5 decimals (about 1 m). Everything the
truth is computed from is the *rounded* WGS84 geometry projected back, so the
ground truth and the agreement describe exactly the same map.

The line is a function v(u) in a rotated frame (u along the front, v across
it): it cannot cross itself, and which side a point lies on is one lookup.
Its wiggle is a sum of random sines whose amplitude decays per octave (a
fractal curve), like a front that follows rivers and ridges at every scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from truceline.agreement.geography import densified
from truceline.simulate.config import Scenario

ROUND = 5  # decimals of WGS84 degrees in the agreement (~1 m)


@dataclass(frozen=True)
class Corridor:
    id: str
    name: str
    host: int  # party index whose territory the corridor runs through
    line_ll: list[tuple[float, float]]
    geom_m: BaseGeometry
    width_m: float
    windows: list[tuple[float, float]]  # seconds since scenario start, [open, close)


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    category: str
    side: int
    lonlat: tuple[float, float]
    geom_m: BaseGeometry
    radius_m: float


@dataclass(frozen=True)
class Zone:
    id: str
    kind: str  # ZoneKind value
    name: str
    ring_ll: list[tuple[float, float]]
    geom_ll: BaseGeometry
    weapon_classes: tuple[str, ...] = ()  # withdrawal areas: the classes barred inside


@dataclass(frozen=True)
class HoldingSite:
    id: str
    party: int
    lonlat: tuple[float, float]
    x: float  # metres, local frame
    y: float


@dataclass
class World:
    scenario: Scenario
    crs: str  # the local metric frame (PROJ string)
    to_xy: Transformer
    to_ll: Transformer
    line_ll: np.ndarray  # (n, 2) rounded lon, lat
    line_m: LineString
    line_u: np.ndarray  # vertex u (monotonic), metres
    line_v: np.ndarray
    territories_ll: list[list[tuple[float, float]]]  # party index -> closed ring
    territory_geoms: list[Polygon]
    zones: list[Zone] = field(default_factory=list)
    corridors: list[Corridor] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    holding_sites: list[HoldingSite] = field(default_factory=list)

    # --- frames ---------------------------------------------------------------
    @property
    def _axes(self) -> tuple[np.ndarray, np.ndarray]:
        az = math.radians(self.scenario.world.azimuth_deg)
        along = np.array([math.sin(az), math.cos(az)])  # east, north
        across = np.array([-along[1], along[0]])  # +v: to the left of the line's direction
        return along, across

    def uv_to_xy(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        along, across = self._axes
        return u * along[0] + v * across[0], u * along[1] + v * across[1]

    def xy_to_uv(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        along, across = self._axes
        return x * along[0] + y * along[1], x * across[0] + y * across[1]

    def lonlat(self, x: np.ndarray | float, y: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = self.to_ll.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lon), np.asarray(lat)

    def xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.to_xy.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x), np.asarray(y)

    # --- queries --------------------------------------------------------------
    @property
    def u_range(self) -> tuple[float, float]:
        return float(self.line_u[0]), float(self.line_u[-1])

    def line_v_at(self, u: np.ndarray) -> np.ndarray:
        return np.interp(u, self.line_u, self.line_v)

    def sign(self, party: np.ndarray | int) -> np.ndarray:
        """+1 for party 0's side (+v), -1 for party 1's."""
        return 1.0 - 2.0 * np.asarray(party, dtype=float)

    def place(
        self, u: np.ndarray, depth_m: np.ndarray, party: np.ndarray | int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Points `depth_m` behind the line (measured across it) on `party`'s side."""
        u = np.clip(u, *self.u_range)
        v = self.line_v_at(u) + self.sign(party) * depth_m
        return self.uv_to_xy(u, v)

    def side(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Party index of the side a point lies on (fast; territories decide at the edges)."""
        u, v = self.xy_to_uv(np.asarray(x), np.asarray(y))
        return (v < self.line_v_at(u)).astype(np.int64)

    def mirror(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The point as far across the line on the other side (a liar's shifted origin)."""
        u, v = self.xy_to_uv(np.asarray(x), np.asarray(y))
        return self.uv_to_xy(u, 2 * self.line_v_at(u) - v)

    def distance_to_line(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.asarray(
            shapely.distance(self.line_m, shapely.points(np.asarray(x), np.asarray(y)))
        )

    def territory_of(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Party index whose territory polygon contains each point, -1 for neither."""
        out = np.full(np.shape(lon), -1, dtype=np.int64)
        for i, geom in enumerate(self.territory_geoms):
            out[shapely.contains_xy(geom, lon, lat) & (out < 0)] = i
        return out

    def area_km2(self) -> float:
        return float(sum(self.xy_shape(g).area for g in self.territory_geoms) / 1e6)

    def xy_shape(self, geom_ll: BaseGeometry) -> BaseGeometry:
        """A lon/lat geometry in the world's metres, edges densified first (RFC 7946)."""
        return shapely.transform(
            densified(geom_ll), lambda c: np.column_stack(self.xy(c[:, 0], c[:, 1]))
        )

    def local_hour(self, t: np.ndarray, start: datetime) -> np.ndarray:
        """Local civil hour of day (0-24) for seconds since start."""
        base = (
            start.hour + start.minute / 60 + start.second / 3600 + self.scenario.world.utc_offset_h
        )
        return np.mod(base + np.asarray(t) / 3600.0, 24.0)

    def daylight(self, t: np.ndarray, start: datetime) -> np.ndarray:
        """Sun above the horizon at the front's centre (NOAA sunrise equation, good to minutes)."""
        t = np.asarray(t, dtype=float)
        lon, lat = self.scenario.world.centre
        when = start.timestamp() + t
        day_of_year = (np.floor(when / 86400.0) - 10957 + 0.5) % 365.25  # since 2000-01-01
        decl = np.radians(23.44) * np.sin(2 * np.pi * (day_of_year - 80) / 365.25)
        cos_h = -np.tan(np.radians(lat)) * np.tan(decl)
        half_day_h = np.degrees(np.arccos(np.clip(cos_h, -1, 1))) / 15.0
        solar_hour = np.mod(when / 3600.0 + lon / 15.0, 24.0)
        return np.abs(solar_hour - 12.0) < half_day_h


# --- construction -------------------------------------------------------------


def _fractal(
    rng: np.random.Generator, s: np.ndarray, amplitude: float, decay: float, octaves: int
) -> np.ndarray:
    """Sum of random sines, octave k has wavelength 1/2^k of the span and amplitude decay^k.

    With decay < 0.5 the curve's length stays finite as octaves are added.
    """
    v = np.zeros_like(s)
    for k in range(octaves):
        for _ in range(2):
            phase = rng.uniform(0, 2 * np.pi)
            freq = (2**k) * rng.uniform(0.7, 1.3)
            v += decay**k * np.sin(2 * np.pi * freq * s + phase)
    v -= np.linspace(v[0], v[-1], len(v)) * 0.5  # keep the ends near the axis
    sd = float(np.std(v)) or 1.0
    return v / sd * amplitude


def _ring(lon: np.ndarray, lat: np.ndarray) -> list[tuple[float, float]]:
    pts = [(round(float(a), ROUND), round(float(b), ROUND)) for a, b in zip(lon, lat, strict=True)]
    dedup = [pts[0]]
    for p in pts[1:]:
        if p != dedup[-1]:
            dedup.append(p)
    if dedup[0] != dedup[-1]:
        dedup.append(dedup[0])
    return dedup


def _polygon_ll(world: World, geom_m: BaseGeometry, simplify_m: float) -> list[tuple[float, float]]:
    poly = geom_m.simplify(simplify_m) if simplify_m else geom_m
    if poly.geom_type == "MultiPolygon":
        poly = max(poly.geoms, key=lambda g: g.area)
    xs, ys = np.asarray(poly.exterior.coords).T
    lon, lat = world.lonlat(xs, ys)
    return _ring(lon, lat)


def _windows(scenario: Scenario) -> list[tuple[float, float]]:
    """Daily corridor windows in local time, as seconds since start, covering the scenario."""
    open_h, close_h = scenario.world.corridor_hours
    start = scenario.start
    midnight_local = datetime(start.year, start.month, start.day, tzinfo=start.tzinfo) - timedelta(
        hours=scenario.world.utc_offset_h
    )
    out = []
    # every local day the scenario touches, and the next: never empty, even for a few hours
    for day in range(0, math.ceil(scenario.days) + 1):
        base = (midnight_local + timedelta(days=day) - start).total_seconds()
        out.append((base + open_h * 3600, base + close_h * 3600))
    return out


def build(scenario: Scenario, seed: int) -> World:
    cfg = scenario.world
    rng = np.random.default_rng([seed, 1])
    lon0, lat0 = cfg.centre
    crs = f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m +no_defs"
    to_xy = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    n = max(8, int(round(cfg.front_km / cfg.vertex_spacing_km)) + 1)
    s = np.linspace(0.0, 1.0, n)
    # octaves down to a wavelength of ~6 vertices, so the line stays smooth between vertices
    octaves = max(1, int(math.log2(max(cfg.front_km / (6 * cfg.vertex_spacing_km), 1.0))) + 1)
    v = _fractal(rng, s, cfg.amplitude_km * 1000.0, cfg.roughness, octaves)
    # the curve is self-similar: shrink u and v together until its length is front_km
    span = cfg.front_km * 1000.0
    stretch = float(np.sum(np.hypot(np.diff((s - 0.5) * span), np.diff(v)))) / span
    span /= stretch
    v = v / stretch
    u = (s - 0.5) * span

    world = World(
        scenario, crs, to_xy, to_ll, np.empty((0, 2)), LineString([(0, 0), (1, 1)]), u, v, [], []
    )
    x, y = world.uv_to_xy(u, v)
    lon, lat = world.lonlat(x, y)
    line_ll = np.round(np.column_stack([lon, lat]), ROUND)
    world.line_ll = line_ll
    lx, ly = world.xy(line_ll[:, 0], line_ll[:, 1])
    world.line_m = LineString(np.column_stack([lx, ly]))
    world.line_u, world.line_v = world.xy_to_uv(lx, ly)

    depth = cfg.depth_km * 1000.0
    far_u = np.linspace(world.line_u[-1], world.line_u[0], 41)
    for party in (0, 1):
        far_v = np.interp(far_u, world.line_u, world.line_v) + world.sign(party) * depth
        fx, fy = world.uv_to_xy(far_u, far_v)
        flon, flat = world.lonlat(fx, fy)
        ring = [tuple(p) for p in line_ll.tolist()]
        ring += _ring(flon, flat)[:-1]
        ring.append(ring[0])
        ring_t = [(float(a), float(b)) for a, b in ring]
        poly = Polygon(ring_t)
        if not poly.is_valid:
            raise ValueError("territory polygon is invalid; lower world.amplitude_km")
        world.territories_ll.append(ring_t)
        world.territory_geoms.append(poly)

    _zones(world, rng)
    _corridors(world, rng)
    _sites(world, rng)
    _holding_sites(world, np.random.default_rng([seed, 8]))
    for geom in world.territory_geoms:
        shapely.prepare(geom)
    return world


def _zones(world: World, rng: np.random.Generator) -> None:
    cfg = world.scenario.world
    band = world.line_m.buffer(cfg.buffer_km * 1000.0, cap_style="flat")
    ring = _polygon_ll(world, band, simplify_m=min(100.0, cfg.buffer_km * 50))
    world.zones.append(
        Zone("buffer", "buffer", "Buffer zone along the contact line", ring, Polygon(ring))
    )
    lo, hi = world.u_range
    for i in range(cfg.disengagement_areas):
        u = lo + (hi - lo) * (i + 0.5 + rng.uniform(-0.25, 0.25)) / max(cfg.disengagement_areas, 1)
        cx, cy = world.place(np.array([u]), np.array([0.0]), 0)
        square = Point(float(cx[0]), float(cy[0])).buffer(
            cfg.disengagement_km * 500.0, cap_style="square"
        )
        ring = _polygon_ll(world, square, 0)
        world.zones.append(
            Zone(f"da-{i + 1}", "security", f"Disengagement area {i + 1}", ring, Polygon(ring))
        )
    _withdrawal_zones(world)
    for zone in world.zones:
        shapely.prepare(zone.geom_ll)


def _withdrawal_zones(world: World) -> None:
    """Withdrawal areas astride the line, evenly spaced along it (no random draw, so
    scenarios without them are unchanged): the listed classes are barred anywhere
    inside, however far from the line."""
    cfg = world.scenario.world
    length, depth = (km * 1000.0 for km in cfg.withdrawal_zone_km)
    lo, hi = world.u_range
    for i in range(cfg.withdrawal_zones):
        mid = lo + (hi - lo) * (i + 0.25) / cfg.withdrawal_zones
        u = np.linspace(max(lo, mid - length / 2), min(hi, mid + length / 2), 40)
        x0, y0 = world.place(u, np.full(len(u), depth), 0)
        x1, y1 = world.place(u[::-1], np.full(len(u), depth), 1)
        lon, lat = world.lonlat(np.concatenate([x0, x1]), np.concatenate([y0, y1]))
        ring = _ring(lon, lat)
        classes = tuple(str(w) for w in cfg.withdrawal_zone_classes)
        world.zones.append(
            Zone(
                f"wd-{i + 1}",
                "withdrawal",
                f"Withdrawal area {i + 1}",
                ring,
                Polygon(ring),
                classes,
            )
        )


def _corridors(world: World, rng: np.random.Generator) -> None:
    cfg = world.scenario.world
    lo, hi = world.u_range
    windows = _windows(world.scenario)
    for i in range(cfg.corridors):
        host = i % 2
        u0 = lo + (hi - lo) * rng.uniform(0.15, 0.85)
        lo_km, hi_km = cfg.corridor_depth_km
        # drawn only when it varies: the older presets' worlds stay byte for byte the same
        start_m = (rng.uniform(lo_km, hi_km) if hi_km > lo_km else lo_km) * 1000.0
        depths = np.linspace(start_m, start_m + cfg.corridor_km * 1000.0, 12)
        us = u0 + np.cumsum(rng.normal(0, 2500.0, len(depths)))
        xs, ys = world.place(us, depths, host)
        lon, lat = world.lonlat(xs, ys)
        coords = [
            (round(float(a), ROUND), round(float(b), ROUND)) for a, b in zip(lon, lat, strict=True)
        ]
        mx, my = world.xy(np.array([c[0] for c in coords]), np.array([c[1] for c in coords]))
        world.corridors.append(
            Corridor(
                f"corridor-{i + 1}",
                f"Humanitarian corridor {i + 1}",
                host,
                coords,
                LineString(np.column_stack([mx, my])),
                cfg.corridor_width_m,
                windows,
            )
        )


def _holding_sites(world: World, rng: np.random.Generator) -> None:
    """Declared holding sites of withdrawn heavy weapons, spread along each party's side
    (their own generator: scenarios without them are unchanged)."""
    cfg = world.scenario.world
    lo, hi = world.u_range
    dmin, dmax = (km * 1000.0 for km in cfg.holding_site_km)
    for party in (0, 1):
        for i in range(cfg.holding_sites_per_party):
            u = lo + (hi - lo) * (i + rng.uniform(0.2, 0.8)) / cfg.holding_sites_per_party
            x, y = world.place(np.array([u]), np.array([rng.uniform(dmin, dmax)]), party)
            lon, lat = world.lonlat(x, y)
            ll = (round(float(lon[0]), ROUND), round(float(lat[0]), ROUND))
            mx, my = world.xy(np.array([ll[0]]), np.array([ll[1]]))
            site_id = f"hs-{world.scenario.parties[party].id}-{i + 1}"
            world.holding_sites.append(HoldingSite(site_id, party, ll, float(mx[0]), float(my[0])))


def _sites(world: World, rng: np.random.Generator) -> None:
    cfg = world.scenario.world
    lo, hi = world.u_range
    specs = [
        ("nuclear_plant", "Nuclear power plant", 5000.0, (8_000.0, 20_000.0))
    ] * cfg.nuclear_plants
    specs += [("hospital", "Hospital", 500.0, (2_000.0, 25_000.0))] * cfg.hospitals
    for i, (category, name, radius, (dmin, dmax)) in enumerate(specs):
        side = int(rng.integers(0, 2))
        u = lo + (hi - lo) * rng.uniform(0.05, 0.95)
        x, y = world.place(np.array([u]), np.array([rng.uniform(dmin, dmax)]), side)
        lon, lat = world.lonlat(x, y)
        ll = (round(float(lon[0]), ROUND), round(float(lat[0]), ROUND))
        mx, my = world.xy(np.array([ll[0]]), np.array([ll[1]]))
        world.sites.append(
            Site(
                f"site-{i + 1}", f"{name} {i + 1}", category, side, ll, Point(mx[0], my[0]), radius
            )
        )

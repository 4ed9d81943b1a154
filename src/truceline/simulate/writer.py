"""Run a scenario and write its files: agreement, registry, keys, signed observations, truth.

    out/agreement.yaml      the agreement (valid per truceline.agreement.Agreement)
    out/sensors.json        the registry file `truceline sensor add --from` reads
    out/keys/<sensor>.key   each sensor's private key, PKCS#8 PEM (so tests can forge and lie)
    out/keys/signatories/<id>.key   each signatory's key (`truceline init --signers`)
    out/observations.jsonl  one DSSE envelope per line, ordered by observed_at
    out/truth.jsonl         event lines, then one line per observation, same order
    out/scenario.json       counts per kind, sensor, operator and party
    out/world.geojson       the map: line, territories, zones, withdrawal lines, corridors, sites, sensors

Output is a function of (scenario, seed) only: keys come from the seed,
Ed25519 signatures are deterministic, and nothing reads the wall clock.
Rendering and signing run in worker processes (fork), chunk by chunk, and
the chunks are written back in order.
"""

from __future__ import annotations

import base64
import json
import math
import multiprocessing
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from truceline.agreement.model import Agreement
from truceline.codec import ed25519
from truceline.codec import keys as keyfiles
from truceline.codec.dsse import pae
from truceline.observation import OBSERVATION_TYPE, format_time
from truceline.registry.model import Coverage, ErrorModel, SensorKind, SensorList
from truceline.registry.model import Sensor as RegistrySensor
from truceline.simulate import agreement as agreement_doc
from truceline.simulate import behaviour, geojson, truth
from truceline.simulate import deterrence as deterrence_mod
from truceline.simulate import events as ev
from truceline.simulate import world as world_mod
from truceline.simulate.config import Scenario
from truceline.simulate.keys import derive
from truceline.simulate.observe import Observed, observe_all
from truceline.simulate.sensors.base import KINDS, PERCEPTIONS, Sensor
from truceline.simulate.sensors.layout import layout

CHUNK = 20_000

REGISTRY_KIND = {
    "radar": SensorKind.weapon_locating_radar,
    "satellite": SensorKind.satellite_thermal,
    "acoustic": SensorKind.acoustic_array,
    "seismic": SensorKind.seismic,
    "camera": SensorKind.camera,
    "uav": SensorKind.uav,
    "patrol": SensorKind.observer_patrol,
    "report": SensorKind.third_party,
    "optical": SensorKind.satellite_optical,
    "sar": SensorKind.satellite_sar,
    "inspector": SensorKind.observer_patrol,
}


@dataclass
class Run:
    """Everything a scenario produced, in memory (what the files are written from)."""

    scenario: Scenario
    seed: int
    world: world_mod.World
    events: ev.Events
    sensors: list[Sensor]
    agreement: dict[str, Any]
    observed: Observed
    deterrence: deterrence_mod.Deterrence | None = None


def run(scenario: Scenario, seed: int) -> Run:
    world = world_mod.build(scenario, seed)
    # the layout draws from its own generator, so placing it first changes nothing
    sensors = layout(scenario, world, seed) + deterrence_mod.watch_sensors(scenario, world)
    det = deterrence_mod.build(scenario, world, sensors)
    events = behaviour.generate(scenario, world, seed, det)
    doc = agreement_doc.build(scenario, world, sensors, seed)
    events.rules = truth.evaluate(Agreement.model_validate(doc), world, events)
    observed = observe_all(scenario, world, events, sensors, seed)
    return Run(scenario, seed, world, events, sensors, doc, observed, det)


# --- rendering (runs in workers) -----------------------------------------------


def _num(value: float, digits: int) -> float | int:
    """Rounded, and integral values as int: their RFC 8785 form is the same, and faster."""
    r = round(float(value), digits)
    return int(r) if r == int(r) else r


@dataclass
class _Columns:
    start: datetime
    sensor_ids: list[str]
    key_ids: list[str]
    keys: list[Any]
    secrets: list[bytes]  # libsodium's form of `keys`, derived once (signing is the hot loop)
    key_by_id: dict[str, int]
    sensor: np.ndarray
    seq: np.ndarray
    ms: np.ndarray
    kind: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    unc: np.ndarray
    perception: np.ndarray
    weapon: np.ndarray
    calibre: np.ndarray
    conf: np.ndarray
    olon: np.ndarray
    olat: np.ndarray
    ocep: np.ndarray
    bearing: np.ndarray
    band_lo: np.ndarray
    band_hi: np.ndarray
    frp: np.ndarray
    count: np.ndarray
    event: np.ndarray
    lie: np.ndarray


_JOB: _Columns | None = None  # set before forking; workers read it


def payload(c: _Columns, i: int) -> dict[str, Any]:
    """Row i as an Observation JSON object (what `Observation.to_json_obj` would give)."""
    attrs: dict[str, Any] = {"perception": PERCEPTIONS[c.perception[i]].value}
    if c.weapon[i] >= 0:
        attrs["weapon_class"] = ev.WEAPONS[c.weapon[i]].value
    if math.isfinite(c.calibre[i]):
        attrs["calibre_mm"] = _num(c.calibre[i], 2)
    if math.isfinite(c.olon[i]):
        attrs["origin"] = {
            "coordinates": [_num(c.olon[i], 6), _num(c.olat[i], 6)],
            "cep_m": _num(c.ocep[i], 1),
        }
    if math.isfinite(c.bearing[i]):
        attrs["bearing_deg"] = _num(round(float(c.bearing[i]), 1) % 360.0, 1)
    if math.isfinite(c.band_lo[i]):
        attrs["distance_band_m"] = [_num(c.band_lo[i], 0), _num(c.band_hi[i], 0)]
    if c.count[i] > 0:
        attrs["count"] = int(c.count[i])
    if math.isfinite(c.frp[i]):
        attrs["frp_mw"] = _num(c.frp[i], 2)
    if math.isfinite(c.conf[i]):
        attrs["confidence"] = _num(c.conf[i], 2)
    at = c.start + timedelta(milliseconds=int(c.ms[i]))
    return {
        "sensor": c.sensor_ids[c.sensor[i]],
        "seq": int(c.seq[i]),
        "observed_at": format_time(at),
        "kind": KINDS[c.kind[i]].value,
        "geometry": {"type": "Point", "coordinates": [_num(c.lon[i], 6), _num(c.lat[i], 6)]},
        "uncertainty_m": _num(max(c.unc[i], 1.0), 1),
        "attributes": attrs,
    }


def _times(c: _Columns, a: int, b: int) -> list[str]:
    """RFC 3339 UTC strings (as `format_time` writes them) for rows a..b, vectorised."""
    start = np.datetime64(c.start.replace(tzinfo=None), "ms")
    text = np.datetime_as_string(start + c.ms[a:b].astype("timedelta64[ms]"), unit="ms")
    return [t[:-4] + "Z" if t.endswith(".000") else t.rstrip("0") + "Z" for t in text.tolist()]


def _payloads(c: _Columns, a: int, b: int) -> Iterator[dict[str, Any]]:
    """`payload(c, i)` for rows a..b, reading plain Python lists (much faster than numpy scalars)."""
    cols = {
        name: getattr(c, name)[a:b].tolist()
        for name in (
            "sensor",
            "seq",
            "kind",
            "lon",
            "lat",
            "unc",
            "perception",
            "weapon",
            "calibre",
            "conf",
            "olon",
            "olat",
            "ocep",
            "bearing",
            "band_lo",
            "band_hi",
            "frp",
            "count",
        )
    }
    times = _times(c, a, b)
    perceptions = [p.value for p in PERCEPTIONS]
    weapons = [w.value for w in ev.WEAPONS]
    kinds = [k.value for k in KINDS]
    isfinite = math.isfinite
    for j in range(b - a):
        attrs: dict[str, Any] = {"perception": perceptions[cols["perception"][j]]}
        w = cols["weapon"][j]
        if w >= 0:
            attrs["weapon_class"] = weapons[w]
        v = cols["calibre"][j]
        if isfinite(v):
            attrs["calibre_mm"] = _num(v, 2)
        v = cols["olon"][j]
        if isfinite(v):
            attrs["origin"] = {
                "coordinates": [_num(v, 6), _num(cols["olat"][j], 6)],
                "cep_m": _num(cols["ocep"][j], 1),
            }
        v = cols["bearing"][j]
        if isfinite(v):
            attrs["bearing_deg"] = _num(round(v, 1) % 360.0, 1)
        v = cols["band_lo"][j]
        if isfinite(v):
            attrs["distance_band_m"] = [_num(v, 0), _num(cols["band_hi"][j], 0)]
        if cols["count"][j] > 0:
            attrs["count"] = cols["count"][j]
        v = cols["frp"][j]
        if isfinite(v):
            attrs["frp_mw"] = _num(v, 2)
        v = cols["conf"][j]
        if isfinite(v):
            attrs["confidence"] = _num(v, 2)
        yield {
            "sensor": c.sensor_ids[cols["sensor"][j]],
            "seq": cols["seq"][j],
            "observed_at": times[j],
            "kind": kinds[cols["kind"][j]],
            "geometry": {
                "type": "Point",
                "coordinates": [_num(cols["lon"][j], 6), _num(cols["lat"][j], 6)],
            },
            "uncertainty_m": _num(max(cols["unc"][j], 1.0), 1),
            "attributes": attrs,
        }


# RFC 8785 for these payloads is exactly the standard encoder with sorted keys: every
# key is ASCII, every float is rounded to a non-integral value in [1e-4, 1e16) or made
# an int (see _num), which is where `truceline.codec.jcs` takes its own fast path.
# The envelope is likewise the canonical form `records.seal` writes. Both are checked
# byte for byte against the codec in tests/simulate/test_output.py.
_encode = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
).encode
_TYPE = OBSERVATION_TYPE.encode()


def _envelope(obj: dict[str, Any], secret: bytes, keyid: str) -> bytes:
    body = _encode(obj).encode()
    # libsodium: the same signature bytes as `cryptography` (RFC 8032), about twice as fast
    sig = ed25519.sign_with(secret, pae(OBSERVATION_TYPE, body))
    return b'{"payload":"%s","payloadType":"%s","signatures":[{"keyid":"%s","sig":"%s"}]}' % (
        base64.b64encode(body),
        _TYPE,
        keyid.encode(),
        base64.b64encode(sig),
    )


def _render(bounds: tuple[int, int]) -> tuple[bytes, bytes]:
    assert _JOB is not None
    return render(_JOB, bounds)


def render(c: _Columns, bounds: tuple[int, int]) -> tuple[bytes, bytes]:
    """(envelope lines, truth lines) for rows bounds[0]..bounds[1]."""
    a, b = bounds
    envelopes, lines = [], []
    events = c.event[a:b].tolist()
    lies = c.lie[a:b].tolist()
    for obj, e, lie in zip(_payloads(c, a, b), events, lies, strict=True):
        sensor = obj["sensor"]
        k = c.key_by_id[sensor]
        envelopes.append(_envelope(obj, c.secrets[k], c.key_ids[k]))
        event = truth.event_id(e) if e >= 0 else "false_alarm"
        lines.append(
            f'{{"type":"observation","sensor":"{sensor}","seq":{obj["seq"]},'
            f'"event":"{event}","lie":{"true" if lie else "false"}}}'
        )
    return b"\n".join(envelopes) + b"\n", ("\n".join(lines) + "\n").encode()


def columns(r: Run) -> _Columns:
    o, w = r.observed.obs, r.world
    lon, lat = w.lonlat(o.x, o.y)
    olon, olat = w.lonlat(o.ox, o.oy)
    keys = [derive(r.seed, f"sensor:{s.id}") for s in r.sensors]
    return _Columns(
        start=r.scenario.start,
        sensor_ids=[s.id for s in r.sensors],
        key_ids=[keyfiles.key_id(k.public_key()) for k in keys],
        keys=keys,
        secrets=[ed25519.secret_key(k) for k in keys],
        key_by_id={s.id: i for i, s in enumerate(r.sensors)},
        sensor=o.sensor,
        seq=r.observed.seq,
        ms=np.round(o.t * 1000).astype(np.int64),
        kind=o.kind,
        lon=lon,
        lat=lat,
        unc=o.unc,
        perception=o.perception,
        weapon=o.weapon,
        calibre=o.calibre,
        conf=o.conf,
        olon=olon,
        olat=olat,
        ocep=o.ocep,
        bearing=o.bearing,
        band_lo=o.band_lo,
        band_hi=o.band_hi,
        frp=o.frp,
        count=o.count,
        event=o.event,
        lie=o.lie,
    )


def rendered(c: _Columns, workers: int) -> Iterator[tuple[bytes, bytes]]:
    """(envelope lines, truth lines) chunk by chunk, in order."""
    global _JOB
    n = len(c.seq)
    bounds = [(a, min(a + CHUNK, n)) for a in range(0, n, CHUNK)]
    _JOB = c
    try:
        if workers <= 1 or n < 2 * CHUNK:
            for b in bounds:
                yield _render(b)
            return
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(workers) as pool:
            yield from pool.imap(_render, bounds)
    finally:
        _JOB = None


# --- files ----------------------------------------------------------------------


def registry(r: Run) -> SensorList:
    cfg = r.scenario.sensors
    out = []
    for s in r.sensors:
        pub = derive(r.seed, f"sensor:{s.id}").public_key()
        location = None
        if math.isfinite(s.x):
            lon, lat = r.world.lonlat(s.x, s.y)
            location = (round(float(lon), 5), round(float(lat), 5))
        coverage: dict[str, Any] = {}
        error: dict[str, Any] = {}
        if s.family == "radar":
            sector = float(s.params.get("sector_deg", cfg.radar.sector_deg))
            coverage["range_km"] = max(cfg.radar.range_km.values())
            if sector < 360 and s.facing_deg is not None:
                coverage["sector_deg"] = (
                    round((s.facing_deg - sector / 2) % 360, 1),
                    round((s.facing_deg + sector / 2) % 360, 1),
                )
            error = {
                "base_m": cfg.radar.cep_min_m,
                "per_km_m": cfg.radar.cep_fraction * 1000,
                "detection_probability": cfg.radar.p_detect,
            }
        elif s.family == "acoustic":
            coverage["range_km"] = max(cfg.acoustic.reach_km.values())
            error = {
                "base_m": cfg.acoustic.sigma_m * 1.1774,
                "per_km_m": cfg.acoustic.sigma_fraction * 1177.4,
                "detection_probability": cfg.acoustic.p_detect,
            }
        elif s.family == "seismic":
            coverage["range_km"] = max(cfg.seismic.reach_km.values())
            error = {"base_m": cfg.seismic.sigma_m, "detection_probability": cfg.seismic.p_detect}
        elif s.family == "camera":
            coverage["range_km"] = cfg.camera.reach_night_km
            error = {"base_m": 1000, "per_km_m": 300, "detection_probability": cfg.camera.p_detect}
        elif s.family == "patrol":
            coverage["range_km"] = max(cfg.patrol.hear_km.values())
            error = {"base_m": 1000, "per_km_m": 300, "detection_probability": cfg.patrol.p_hear}
        elif s.family == "satellite":
            error = {
                "base_m": cfg.satellite.pixel_m / math.sqrt(2),
                "detection_probability": cfg.satellite.p_detect_clear,
            }
        elif s.family == "uav":
            error = {"base_m": cfg.uav.sigma_m * 1.1774, "detection_probability": cfg.uav.p_detect}
        elif s.family == "inspector":
            error = {"base_m": 50, "detection_probability": 1.0}
        elif s.family in ("optical", "sar"):
            sat = cfg.imagery.satellites[s.params["satellite"]]
            error = {"base_m": sat.sigma_m * 1.1774, "detection_probability": sat.p_detect}
        elif s.family == "report":
            km = (
                cfg.report.osint_error_km
                if s.params["feed"] == "osint"
                else cfg.report.party_error_km
            )
            error = {"base_m": km * 1000, "detection_probability": 0.1}
        out.append(
            RegistrySensor(
                id=s.id,
                kind=REGISTRY_KIND[s.family],
                operator=s.operator,
                public_key=keyfiles.public_key_b64(pub),
                location=location,
                coverage=Coverage.model_validate(coverage),
                error_model=ErrorModel.model_validate(error),
                name=f"{s.family} run by {s.operator}",
            )
        )
    return SensorList(sensors=out)


def summary(r: Run) -> dict[str, Any]:
    o, e = r.observed.obs, r.events
    sensors = r.sensors
    party_ids = [p.id for p in r.scenario.parties]
    assert e.rules is not None
    breach = np.array([bool(x) for x in e.rules], bool)
    rules = Counter(rule for rs in e.rules for rule in rs)

    def count(labels: Any) -> dict[str, int]:
        return dict(sorted(Counter(labels).items()))

    out: dict[str, Any] = {
        "scenario": r.scenario.name,
        "seed": r.seed,
        "start": format_time(r.scenario.start),
        "days": r.scenario.days,
        "front_km": r.scenario.world.front_km,
        "local_crs": r.world.crs,
        "events": {
            "total": len(e),
            "by_kind": count(ev.KINDS[k] for k in e.kind),
            "by_party": count(party_ids[p] if p >= 0 else "none" for p in e.party),
            "breaches": int(breach.sum()),
            "breaches_by_party": count(
                party_ids[p] for p, b in zip(e.party, breach, strict=True) if b and p >= 0
            ),
            "by_rule": dict(sorted(rules.items())),
        },
        "observations": {
            "total": len(o),
            "by_kind": count(KINDS[k].value for k in o.kind),
            "by_family": count(sensors[s].family for s in o.sensor),
            "by_operator": count(sensors[s].operator for s in o.sensor),
            "by_sensor": count(sensors[s].id for s in o.sensor),
            "false_alarms": int((o.event < 0).sum()),
            "lies": int(o.lie.sum()),
        },
        "sensors": {
            "total": len(sensors),
            "by_family": count(s.family for s in sensors),
            "malfunctioning": sensors[r.observed.malfunctioning].id
            if r.observed.malfunctioning is not None
            else None,
            "liar": sensors[r.observed.liar].id if r.observed.liar is not None else None,
        },
    }
    if r.deterrence is not None:
        out["deterrence"] = deterrence_mod.summary(r.deterrence, party_ids)
    return out


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _save_key(path: Path, key: Any) -> None:
    """PKCS#8 PEM, owner-only. No fsync: these keys are re-derivable from the seed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(keyfiles.private_key_pem(key))


def write(r: Run, out: Path, workers: int | None = None) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    # flow style for leaf lists keeps coordinate pairs on one line: [34.44, 48.03]
    text = yaml.dump(
        r.agreement,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=100,
    )
    (out / "agreement.yaml").write_text(text)
    (out / "world.geojson").write_text(
        json.dumps(geojson.collection(r.scenario, r.world, r.sensors), separators=(",", ":")) + "\n"
    )
    reg = registry(r)
    (out / "sensors.json").write_text(
        json.dumps(reg.model_dump(mode="json", exclude_none=True), indent=2) + "\n"
    )
    for s in r.sensors:
        _save_key(out / "keys" / f"{s.id}.key", derive(r.seed, f"sensor:{s.id}"))
    for sid in agreement_doc.signatory_ids(r.scenario):
        _save_key(out / "keys" / "signatories" / f"{sid}.key", derive(r.seed, f"signatory:{sid}"))
    party_ids = [p.id for p in r.scenario.parties]
    with (
        open(out / "observations.jsonl", "wb") as obs_fh,
        open(out / "truth.jsonl", "wb") as truth_fh,
    ):
        for line in truth.event_lines(r.events, r.world, r.scenario.start, party_ids):
            truth_fh.write(line.encode() + b"\n")
        for envelopes, lines in rendered(columns(r), workers):
            obs_fh.write(envelopes)
            truth_fh.write(lines)
        if r.deterrence is not None:
            for line in truth.hazard_lines(r.deterrence, r.scenario.start, party_ids):
                truth_fh.write(line.encode() + b"\n")
            for line in truth.penalty_lines(r.deterrence, r.scenario.start):
                truth_fh.write(line.encode() + b"\n")
    info = summary(r)
    (out / "scenario.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def simulate(
    scenario: Scenario, seed: int, out: Path, workers: int | None = None
) -> dict[str, Any]:
    return write(run(scenario, seed), out, workers)

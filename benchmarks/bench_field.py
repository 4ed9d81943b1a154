"""Benchmark of the field kit's server side on a simulated mission, over the real HTTP app.

    .venv/bin/python benchmarks/bench_field.py [--devices 10] [--reports 50] [--photos 40]

1. a mission built through the CLI (simulate a duel day, init, sensor add, ingest, fuse,
   enforce; `tests/simulated_home.py`);
2. --devices enrolments (an invitation each, then POST /field/enrol: the registry record
   signed and appended);
3. --reports reports per device, one POST /observations each, as the app sends its queue;
4. --photos photos of about 1 MB (EXIF time and GPS), PUT /field/media with their checks;
5. `truceline field check-media` of one photo (a scan of the whole log).

Figures: per-second rates and milliseconds per operation (wall), and the load average, since
the machine is shared.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from simulated_home import SERVED_AT, build_mission, cli  # noqa: E402
from truceline.api import create_app  # noqa: E402
from truceline.clock import FixedClock  # noqa: E402
from truceline.codec import dsse, jcs  # noqa: E402
from truceline.codec.keys import key_id, public_key_b64  # noqa: E402
from truceline.home import Home  # noqa: E402
from truceline.observation import OBSERVATION_TYPE, format_time  # noqa: E402


def photo(seed: int, lonlat: tuple[float, float], when: str) -> bytes:
    """A noisy 1024x768 JPEG (about 1 MB at quality 95) with EXIF time and position."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 255, (768, 1024, 3), dtype=np.uint8))
    exif = Image.Exif()
    exif.get_ifd(0x8769).update({0x9003: when, 0x9011: "+00:00"})
    lon, lat = lonlat
    exif.get_ifd(0x8825).update({1: "N", 2: (lat, 0.0, 0.0), 3: "E", 4: (lon, 0.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=10)
    ap.add_argument("--reports", type=int, default=50)
    ap.add_argument("--photos", type=int, default=40)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-field-"))
    t = time.perf_counter()
    mission = build_mission(root)
    print(f"mission built in {time.perf_counter() - t:.1f} s")
    import yaml

    team = yaml.safe_load((mission.sim / "agreement.yaml").read_text())["inspections"]["teams"][0]
    base = (float(team["base"][0]), float(team["base"][1]))
    enrolled_at = datetime.fromisoformat(SERVED_AT)
    clock = FixedClock(enrolled_at)
    with TestClient(create_app(Home(mission.home), clock)) as client:
        devices = []
        t = time.perf_counter()
        for n in range(args.devices):
            code = cli(
                "field", "invite", "--home", mission.h, "--team", team["id"], "--member", f"m{n}"
            ).strip()
            key = Ed25519PrivateKey.generate()
            r = client.post(
                "/field/enrol", json={"code": code, "public_key": public_key_b64(key.public_key())}
            )
            r.raise_for_status()
            devices.append((key, r.json()["sensor"]))
        enrol_s = time.perf_counter() - t
        clock.at = enrolled_at + timedelta(minutes=30)
        observed = format_time(enrolled_at + timedelta(minutes=20))
        photos = [photo(i, base, "2026:06:05 01:20:00") for i in range(args.photos)]
        shas = [hashlib.sha256(p).hexdigest() for p in photos]
        envelopes = []
        for key, sensor in devices:
            for seq in range(1, args.reports + 1):
                media = shas if (sensor == devices[0][1] and seq == 1) else []
                obs = {
                    "sensor": sensor,
                    "seq": seq,
                    "observed_at": observed,
                    "kind": "impact",
                    "geometry": {"type": "Point", "coordinates": list(base)},
                    "uncertainty_m": 2000,
                    "attributes": {
                        "perception": "heard",
                        "bearing_deg": 90,
                        "distance_band_m": [1000, 2000],
                        "media_sha256": media,
                        "harm": {"civilians": {"injured": [1, 2], "source": "seen"}},
                    },
                }
                envelopes.append(
                    dsse.sign(
                        OBSERVATION_TYPE, jcs.canonicalize(obs), key, key_id(key.public_key())
                    ).to_json()
                )
        t = time.perf_counter()
        first = None
        for env in envelopes:
            res = client.post("/observations", content=env).json()["results"][0]
            assert res["accepted"], res
            first = res["index"] if first is None else first
        report_s = time.perf_counter() - t
        total = sum(len(p) for p in photos)
        t = time.perf_counter()
        for sha, data in zip(shas, photos, strict=True):
            r = client.put(f"/field/media/{sha}?entry={first}", content=data)
            r.raise_for_status()
        media_s = time.perf_counter() - t
    sample = root / "photo.jpg"
    sample.write_bytes(photos[0])
    t = time.perf_counter()
    cli("field", "check-media", "--home", mission.h, str(sample))
    check_s = time.perf_counter() - t
    size = Home(mission.home).reader().size
    print(
        f"enrolment: {args.devices} devices in {enrol_s:.2f} s, "
        f"{1000 * enrol_s / args.devices:.0f} ms each (invitation CLI included)"
    )
    print(
        f"reports, one POST each: {len(envelopes)} in {report_s:.2f} s, "
        f"{len(envelopes) / report_s:.0f}/s, {1000 * report_s / len(envelopes):.1f} ms each"
    )
    print(
        f"media: {args.photos} photos, {total / 1e6:.1f} MB, in {media_s:.2f} s: "
        f"{args.photos / media_s:.1f} files/s, {total / 1e6 / media_s:.1f} MB/s "
        "(hash, report lookup, authority fold, EXIF checks, write)"
    )
    print(f"check-media over a log of {size} entries: {check_s:.2f} s")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()

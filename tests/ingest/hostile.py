"""The hostile inputs of issue #11, as an outside tester sent them: each a signed envelope
whose payload a strict reader would not read as Truceline did, with the rejection
Truceline now gives (reason, field, a fragment of the message).

Used by the library, CLI and HTTP tests (`test_hostile.py`) and written to the fuzz
corpus (`tests/fuzz/corpus/`), so every run replays them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from truceline import httpsig
from truceline.cli import app
from truceline.codec import dsse, keys
from truceline.codec.jcs import canonicalize
from truceline.observation import OBSERVATION_TYPE

from .conftest import obs

REPO = Path(__file__).resolve().parents[2]
SENSOR = "radar-1"


def observation(seq: int, at: datetime, **extra: Any) -> dict[str, Any]:
    return obs(SENSOR, seq, at, **extra)


def _with(**changes: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(obs: dict[str, Any]) -> dict[str, Any]:
        out = dict(obs)
        for key, value in changes.items():
            if key == "attributes":
                out["attributes"] = {**obs["attributes"], **value}
            else:
                out[key] = value
        return out

    return change


@dataclass(frozen=True)
class Case:
    name: str
    change: Callable[[dict[str, Any]], dict[str, Any]]
    reason: str
    field: str
    needle: str  # a fragment of the message

    def payload(self, obs: dict[str, Any]) -> bytes:
        return canonicalize(self.change(obs))


BOWTIE = [[[35.0, 47.0], [35.1, 47.1], [35.1, 47.0], [35.0, 47.1], [35.0, 47.0]]]

# Each is refused by the stateless checks, whatever the log holds.
CASES = [
    Case(
        "observed_at_number",
        _with(observed_at=1772366400),
        "invalid_observation",
        "payload.observed_at",
        "RFC 3339",
    ),
    Case(
        "observed_at_digit_string",
        _with(observed_at="1772366400"),
        "invalid_observation",
        "payload.observed_at",
        "RFC 3339",
    ),
    Case(
        "year_0001",
        _with(observed_at="0001-01-01T00:00:00Z"),
        "invalid_observation",
        "payload.observed_at",
        "before the floor 2000-01-01T00:00:00Z",
    ),
    Case(
        "year_1900",
        _with(observed_at="1900-01-01T00:00:00Z"),
        "invalid_observation",
        "payload.observed_at",
        "before the floor",
    ),
    Case(
        "year_1970",
        _with(observed_at="1970-01-01T00:00:00Z"),
        "invalid_observation",
        "payload.observed_at",
        "before the floor",
    ),
    Case(
        "fraction_20_digits",
        _with(observed_at="2026-03-01T12:00:00.12345678901234567890Z"),
        "invalid_observation",
        "payload.observed_at",
        "20 fractional digits",
    ),
    Case(
        "uncertainty_true",
        _with(uncertainty_m=True),
        "invalid_observation",
        "payload.uncertainty_m",
        "valid number",
    ),
    Case(
        "calibre_1e308",
        _with(attributes={"calibre_mm": 1e308}),
        "invalid_observation",
        "payload.attributes.calibre_mm",
        "less than or equal to 1000",
    ),
    Case(
        "count_true",
        _with(attributes={"count": True}),
        "invalid_observation",
        "payload.attributes.count",
        "valid integer",
    ),
    Case(
        "self_intersecting_polygon",
        _with(geometry={"type": "Polygon", "coordinates": BOWTIE}),
        "invalid_observation",
        "payload.geometry.coordinates",
        "Self-intersection",
    ),
    Case(
        "seq_2_53_minus_1",
        _with(seq=2**53 - 1),
        "seq_out_of_range",
        "payload.seq",
        "above the largest seq",
    ),
]


def sign_payload(payload: bytes, key: keys.Ed25519PrivateKey) -> bytes:
    return dsse.sign(OBSERVATION_TYPE, payload, key, keys.key_id(key.public_key())).to_json()


def signature_bomb(payload: bytes, keyid: str, n: int = 441) -> bytes:
    """An envelope with `n` bad signatures under a registered (public) keyid."""
    sig = dsse.b64encode(b"\x01" * 64)
    return json.dumps(
        {
            "payload": dsse.b64encode(payload),
            "payloadType": OBSERVATION_TYPE,
            "signatures": [{"keyid": keyid, "sig": sig}] * n,
        }
    ).encode()


def deep_payload(obs: dict[str, Any], depth: int = 1000) -> bytes:
    """A payload whose attributes nest `depth` arrays deep (canonical form written by hand:
    the canonicalizer itself refuses such values)."""
    text = canonicalize(_with(attributes={"deep": 0})(obs)).decode()
    return text.replace('"deep":0', '"deep":' + "[" * depth + "]" * depth).encode()


def deep_body(depth: int = 1000) -> bytes:
    return b"[" * depth + b"]" * depth


runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.output


def make_home(
    tmp: Path, agreement_extra: str = "", key: keys.Ed25519PrivateKey | None = None
) -> tuple[Path, keys.Ed25519PrivateKey]:
    """A mission home through the CLI (`agreement keygen`, `init`, `sensor add`), signed by
    every party, with one registered radar (`key`, else a new one); `agreement_extra` is
    appended to the YAML."""
    source = tmp / "agreement.yaml"
    source.write_text((REPO / "examples/agreement.yaml").read_text() + agreement_extra)
    run("agreement", "keygen", str(source), "--out", str(tmp / "signers"))
    run(
        "init",
        "--home",
        str(tmp / "home"),
        "--agreement",
        str(tmp / "signers/agreement.yaml"),
        "--signers",
        str(tmp / "signers"),
    )
    key = key or keys.generate()
    (tmp / "sensors.json").write_text(
        json.dumps(
            {
                "sensors": [
                    {
                        "id": SENSOR,
                        "kind": "weapon_locating_radar",
                        "operator": "party-a",
                        "public_key": keys.public_key_b64(key.public_key()),
                    }
                ]
            }
        )
    )
    run(
        "sensor",
        "add",
        "--home",
        str(tmp / "home"),
        "--from",
        str(tmp / "sensors.json"),
        "--effective-at",
        "2026-03-01T00:00:00Z",
    )
    run(
        "sensor",
        "add",
        "--home",
        str(tmp / "home"),
        "--id",
        IMPORTER,
        "--kind",
        "importer",
        "--operator",
        "mission",
        "--public-key",
        keys.public_key_b64(IMPORTER_KEY.public_key()),
    )
    return tmp / "home", key


# A registered importer: a source file posted to /ingest/{format} must be signed by one.
IMPORTER = "importer-fuzz"
IMPORTER_KEY = keys.Ed25519PrivateKey.from_private_bytes(b"\x5a" * 32)


def import_headers(path: str, body: bytes, **extra: str) -> dict[str, str]:
    """Headers of a POST to `path` (on TestClient's http://testserver) signed by the importer."""
    signed = httpsig.sign_headers(
        "POST",
        f"http://testserver{path}",
        body,
        IMPORTER_KEY,
        keys.key_id(IMPORTER_KEY.public_key()),
    )
    return {**extra, **signed}

"""A file's C2PA manifest store, validated with the C2PA reference library (c2pa-python).

What is checked, offline (no remote manifest, no OCSP, no timestamp-authority fetch):

- the claim signature (COSE) over the active manifest's claim;
- every hashed assertion against the claim, and the claim's hash of the asset's bytes:
  a pixel edited after signing, or a manifest store lifted from another file, fails here;
- the signer's certificate chain against this installation's trust anchors
  (`HOME/field/c2pa-trust.pem`, PEM certificates). With none, or with a chain to some other
  CA, the result is "valid signature, untrusted signer", never "valid".

The manifest's claims of when and where the asset was captured (the `c2pa.created` action's
`when`, and `exif:DateTimeOriginal`, `exif:GPSLatitude`, `exif:GPSLongitude` of a
`stds.exif` or `c2pa.metadata` assertion) are returned for mediacheck.py to compare with the
report, as it does the file's EXIF.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from truceline.home import Home

# The only failure a valid manifest may carry: its signer chains to no anchor we trust.
UNTRUSTED = "signingCredential.untrusted"
# Settings of the reader: nothing fetched at run time, trust checked against our anchors.
_OFFLINE = {
    "verify": {
        "verify_trust": True,
        "remote_manifest_fetch": False,
        "ocsp_fetch": False,
    }
}
_EXIF_LABELS = ("stds.exif", "c2pa.metadata")
# XMP's GPS coordinate form, "DDD,MM.mmmmN" or "DDD,MM,SSN"
_XMP_GPS = re.compile(r"^(\d+),(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?([NSEW])$")


def trust_anchors_path(home: Home) -> Path:
    return home.root / "field" / "c2pa-trust.pem"


def trust_anchors(home: Home) -> str | None:
    """The PEM certificates this installation trusts as C2PA signers' roots, if any."""
    path = trust_anchors_path(home)
    return path.read_text() if path.exists() else None


@dataclass(frozen=True)
class C2paResult:
    """The validation of one file's manifest store."""

    state: str  # "trusted", "untrusted" (valid signature), "invalid", "unreadable"
    failures: tuple[str, ...]  # the validator's failure codes and explanations
    signer_subject: str | None
    signer_issuer: str | None
    claim_generator: str | None
    captured_at: tuple[datetime, bool] | None  # the claimed capture time; zone known?
    place: tuple[float, float] | None  # the claimed capture position (lon, lat)

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "failures": list(self.failures),
            "signer_subject": self.signer_subject,
            "signer_issuer": self.signer_issuer,
            "claim_generator": self.claim_generator,
            "captured_at": self.captured_at[0].isoformat() if self.captured_at else None,
            "place": list(self.place) if self.place else None,
        }


def has_manifest(data: bytes) -> bool:
    # A C2PA manifest store is a JUMBF box labelled "c2pa" (JPEG APP11, PNG caBX, BMFF uuid,
    # RIFF C2PA chunk): a cheap test before loading the native reader.
    return b"jumb" in data and b"c2pa" in data


def _dn(names: Any) -> str | None:
    """An RFC 4514-like text of the validator's {attribute: value} name."""
    if not isinstance(names, dict) or not names:
        return None
    return ", ".join(f"{k}={v}" for k, v in names.items())


def _parse_time(text: Any) -> tuple[datetime, bool] | None:
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        try:  # EXIF's own "YYYY:MM:DD HH:MM:SS", carried into XMP by some cameras
            when = datetime.strptime(text.strip(), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            return None
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC), False
    return when.astimezone(UTC), True


def _coordinate(value: Any) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    m = _XMP_GPS.match(value.strip().replace(" ", ""))
    if m is None:
        try:
            return float(value)
        except ValueError:
            return None
    deg, minutes, seconds, ref = m.groups()
    out = float(deg) + float(minutes) / 60 + (float(seconds) / 3600 if seconds else 0.0)
    return -out if ref in ("S", "W") else out


def _claims(assertions: list[dict[str, Any]]) -> tuple[Any, Any]:
    """(capture time, capture place) the manifest's assertions state."""
    when: tuple[datetime, bool] | None = None
    place: tuple[float, float] | None = None
    for assertion in assertions:
        label = str(assertion.get("label", ""))
        data = assertion.get("data")
        if not isinstance(data, dict):
            continue
        if label.startswith("c2pa.actions"):
            for action in data.get("actions", []):
                if action.get("action") == "c2pa.created" and when is None:
                    when = _parse_time(action.get("when"))
        if label in _EXIF_LABELS:
            when = _parse_time(data.get("exif:DateTimeOriginal")) or when
            lat = _coordinate(data.get("exif:GPSLatitude"))
            lon = _coordinate(data.get("exif:GPSLongitude"))
            if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
                place = (lon, lat)
    return when, place


def validate(data: bytes, media_type: str, anchors: str | None) -> C2paResult | None:
    """The file's manifest store validated, or None if it embeds none."""
    if not has_manifest(data):
        return None
    import c2pa  # the native library loads only for a file that has a manifest

    settings: dict[str, Any] = dict(_OFFLINE)
    if anchors:
        settings = {**settings, "trust": {"trust_anchors": anchors}}
    try:
        context = c2pa.Context.from_dict(settings)
        with c2pa.Reader(media_type, io.BytesIO(data), context=context) as reader:
            state = reader.get_validation_state() or ""
            results = reader.get_validation_results() or {}
            manifest = reader.get_active_manifest() or {}
            report = json.loads(reader.crjson())
    except c2pa.C2paError as exc:
        if isinstance(exc, c2pa.C2paError.ManifestNotFound):
            return None
        return C2paResult("unreadable", (str(exc),), None, None, None, None, None)
    active = results.get("activeManifest", {})
    failures = tuple(
        f"{f.get('code')}: {f.get('explanation', '')}" for f in active.get("failure", [])
    )
    # the ingredients' manifests are checked too; their failures are the store's
    failures += tuple(
        f"ingredient {f.get('code')}: {f.get('explanation', '')}"
        for delta in results.get("ingredientDeltas", [])
        for f in delta.get("validationDeltas", {}).get("failure", [])
    )
    signature: dict[str, Any] = {}
    for m in report.get("manifests", []):
        if m.get("label") == manifest.get("label"):
            signature = m.get("signature", {}).get("certificateInfo", {})
    codes = {f.split(":", 1)[0] for f in failures}
    if state == "Trusted" and not codes:
        verdict = "trusted"
    elif state in ("Valid", "Trusted") and codes <= {UNTRUSTED}:
        verdict = "untrusted"
    else:
        verdict = "invalid"
    generator = manifest.get("claim_generator_info") or [{}]
    when, place = _claims(manifest.get("assertions", []))
    return C2paResult(
        verdict,
        failures,
        _dn(signature.get("subject")),
        _dn(signature.get("issuer")),
        generator[0].get("name") if isinstance(generator, list) and generator else None,
        when,
        place,
    )

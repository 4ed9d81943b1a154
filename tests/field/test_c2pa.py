"""C2PA manifests of evidence media, validated through the upload path the field app uses
(PUT /field/media, GET /field/media/<sha256>/checks). The signed files are made here with
c2pa-python's Builder and a certificate chain made with `cryptography`: a root CA and a
camera's end-entity certificate (ES256)."""

from __future__ import annotations

import io
import subprocess
import sys
import wave
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import c2pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from truceline.field.c2pacheck import trust_anchors_path
from truceline.home import Home

from .conftest import Field, jpeg, sha

CAPTURED_AT = "2026-06-05T01:05:00Z"  # five minutes before the report (conftest.REPORTED_AT)


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Camera Maker Test"),
        ]
    )


def _usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass(frozen=True)
class Chain:
    root_pem: bytes
    chain_pem: bytes  # the camera's certificate, then the root's
    key_pem: bytes


def _certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None, signer: Any
) -> x509.Certificate:
    """A root CA's certificate (issuer None), or an end entity's that `issuer` signs."""
    now = datetime.now(UTC)  # the validator checks the certificates at its own time
    ca = issuer is None
    out = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(subject) if issuer is None else issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_usage(sign=not ca, ca=ca), critical=True)
    )
    if not ca:
        out = out.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), False
        )
    else:
        out = out.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    return out.sign(signer, hashes.SHA256())


@pytest.fixture(scope="module")
def chain() -> Chain:
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _certificate("Test Root CA", root_key, None, root_key)
    key = ec.generate_private_key(ec.SECP256R1())
    camera = _certificate("Field Camera 7", key, root, root_key)

    def pem(c: x509.Certificate) -> bytes:
        return c.public_bytes(serialization.Encoding.PEM)

    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return Chain(pem(root), pem(camera) + pem(root), key_pem)


def sign(chain: Chain, asset: bytes, media_type: str, lonlat: tuple[float, float]) -> bytes:
    """`asset` with a C2PA manifest claiming its capture at CAPTURED_AT and `lonlat`."""

    def xmp(x: float, pos: str, neg: str) -> str:
        minutes = (abs(x) - int(abs(x))) * 60
        return f"{int(abs(x))},{minutes:.4f}{pos if x >= 0 else neg}"

    manifest = {
        "claim_generator_info": [{"name": "truceline-test-camera", "version": "1"}],
        "title": "evidence",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "when": CAPTURED_AT,
                            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
                        }
                    ]
                },
            },
            {
                "label": "stds.exif",
                "data": {
                    "@context": {"exif": "http://ns.adobe.com/exif/1.0/"},
                    "exif:GPSLatitude": xmp(lonlat[1], "N", "S"),
                    "exif:GPSLongitude": xmp(lonlat[0], "E", "W"),
                },
            },
        ],
    }
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain.chain_pem, chain.key_pem, None)
    out = io.BytesIO()
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest) as builder:
        builder.sign(signer, media_type, io.BytesIO(asset), out)
    return out.getvalue()


def app11(data: bytes) -> bytes:
    """The JPEG's APP11 segments: where its C2PA manifest store is."""
    out, at = b"", 2
    while data[at] == 0xFF and data[at + 1] not in (0xDA, 0xD9):
        end = at + 2 + int.from_bytes(data[at + 2 : at + 4], "big")
        if data[at + 1] == 0xEB:
            out += data[at:end]
        at = end
    return out


def wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(range(256)) * 32)
    return out.getvalue()


def upload(field: Field, *files: bytes) -> dict[str, dict[str, dict[str, Any]]]:
    """Report the files (a new device), upload each; {sha256: {check name: check}}."""
    key, device = field.enrol(f"c2pa-{len(files)}-{sha(files[0])[:6]}")
    result = field.submit(field.report(key, device["sensor"], 1, [sha(f) for f in files]))
    assert result["accepted"], result
    out = {}
    for data in files:
        put = field.client.put(f"/field/media/{sha(data)}?entry={result['index']}", content=data)
        assert put.status_code == 200, put.text
        out[sha(data)] = {c["check"]: c for c in put.json()["checks"]}
    return out


def test_a_signed_photo_and_recording_validate_and_trust_is_the_installations(
    field: Field, chain: Chain
) -> None:
    photo = sign(chain, jpeg(None, None, "red"), "image/jpeg", field.base)
    far = sign(chain, jpeg(None, None, "blue"), "image/jpeg", (field.base[0] + 0.5, field.base[1]))
    audio = sign(chain, wav(), "audio/wav", field.base)
    got = upload(field, photo, far, audio)

    # no trust anchor here: a valid signature by a signer nobody vouched for, not "valid"
    for data in (photo, far, audio):
        c2 = got[sha(data)]["c2pa"]
        assert c2["status"] == "untrusted", c2
        assert c2["detail"].startswith("valid signature, untrusted signer"), c2
        manifest = c2["manifest"]
        assert manifest["state"] == "untrusted"
        assert manifest["signer_subject"] == "CN=Field Camera 7, O=Camera Maker Test"
        assert manifest["signer_issuer"] == "CN=Test Root CA, O=Camera Maker Test"
        assert manifest["captured_at"] == "2026-06-05T01:05:00+00:00"
        assert got[sha(data)]["c2pa_time"]["status"] == "ok"
    assert got[sha(photo)]["c2pa_place"]["status"] == "ok", got[sha(photo)]["c2pa_place"]
    # the manifest claims a place 37 km away: flagged, shown
    place = got[sha(far)]["c2pa_place"]
    assert place["status"] == "flag" and "from the report's position" in place["detail"], place

    # the installation trusts the camera maker's root: the same file is now "ok"
    anchors = trust_anchors_path(Home(field.home))
    anchors.parent.mkdir(parents=True, exist_ok=True)
    anchors.write_bytes(chain.root_pem)
    try:
        checks = field.client.get(f"/field/media/{sha(photo)}/checks").json()["checks"]
        c2 = {c["check"]: c for c in checks}["c2pa"]
        assert c2["status"] == "ok" and c2["detail"].startswith("valid signature, trusted"), c2
    finally:
        anchors.unlink()


def test_a_pixel_edited_after_signing_fails_its_hash_check(field: Field, chain: Chain) -> None:
    photo = bytearray(sign(chain, jpeg(None, None, "green"), "image/jpeg", field.base))
    photo[-10] ^= 0x01  # in the entropy-coded image data, before the end-of-image marker
    c2 = upload(field, bytes(photo))[sha(bytes(photo))]
    assert c2["c2pa"]["status"] == "flag", c2["c2pa"]
    assert c2["c2pa"]["detail"].startswith("INVALID manifest")
    assert any(
        f.startswith("assertion.dataHash.mismatch") for f in c2["c2pa"]["manifest"]["failures"]
    )
    # what the invalid manifest claims is still compared, and named as the invalid one's
    assert "(invalid)" in c2["c2pa_time"]["detail"]


def test_a_manifest_signed_for_another_file_fails(field: Field, chain: Chain) -> None:
    signed = sign(chain, jpeg(None, None, "white"), "image/jpeg", field.base)
    other = jpeg(None, None, "black")
    # the other photo with the first one's manifest store, at the same place in the file
    lifted = other[:20] + app11(signed) + other[20:]
    assert app11(lifted) == app11(signed)
    c2 = upload(field, lifted)[sha(lifted)]["c2pa"]
    assert c2["status"] == "flag" and c2["manifest"]["state"] == "invalid", c2
    assert any(f.startswith("assertion.dataHash.mismatch") for f in c2["manifest"]["failures"])


def test_validation_needs_no_network(chain: Chain, tmp_path: Path) -> None:
    """Validated in a process with no network at all (a new network namespace)."""
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(sign(chain, jpeg(None, None, "red"), "image/jpeg", (30.0, 50.0)))
    code = (
        "import sys; from truceline.field.c2pacheck import validate; "
        "r = validate(open(sys.argv[1], 'rb').read(), 'image/jpeg', None); print(r.state)"
    )
    try:
        subprocess.run(["unshare", "-rn", "true"], check=True, capture_output=True)
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"no network namespace here: {exc}")
    out = subprocess.run(
        ["unshare", "-rn", sys.executable, "-c", code, str(photo)], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.strip() == "untrusted", out

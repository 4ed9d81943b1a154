"""C2PA-signed media for tests, made with c2pa-python's Builder and a certificate chain
made with `cryptography`: a root CA and a camera's end-entity certificate (ES256)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


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


def make_chain() -> Chain:
    """A root CA and a camera's certificate it issues (ES256), made now."""
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


def sign(
    chain: Chain, asset: bytes, media_type: str, lonlat: tuple[float, float], captured_at: str
) -> bytes:
    """`asset` with a C2PA manifest claiming its capture at `captured_at` and `lonlat`."""

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
                            "when": captured_at,
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

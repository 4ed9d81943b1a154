"""C2PA manifests of evidence media, validated through the upload path the field app uses
(PUT /field/media, GET /field/media/<sha256>/checks). The signed files are made in the test
(c2pa_signing: c2pa-python's Builder, a certificate chain made with `cryptography`)."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import pytest

from c2pa_signing import Chain, make_chain
from c2pa_signing import sign as signed
from truceline.field.c2pacheck import trust_anchors_path
from truceline.home import Home

from .conftest import Field, jpeg, sha

CAPTURED_AT = "2026-06-05T01:05:00Z"  # five minutes before the report (conftest.REPORTED_AT)


@pytest.fixture(scope="module")
def chain() -> Chain:
    return make_chain()


def sign(chain: Chain, asset: bytes, media_type: str, lonlat: tuple[float, float]) -> bytes:
    return signed(chain, asset, media_type, lonlat, CAPTURED_AT)


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


def mp4() -> bytes:
    """A minimal ISO BMFF video: ftyp, a movie header, one media data box."""

    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = (
        bytes(12)  # version, flags, creation and modification times
        + struct.pack(">IIIH", 1000, 0, 0x10000, 0x100)  # timescale, duration, rate, volume
        + bytes(10)
        + matrix
        + bytes(24)
        + struct.pack(">I", 2)  # next track id
    )
    return (
        box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
        + box(b"moov", box(b"mvhd", mvhd))
        + box(b"mdat", bytes(range(256)) * 4)
    )


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
    video = sign(chain, mp4(), "video/mp4", field.base)
    got = upload(field, photo, far, audio, video)

    # no trust anchor here: a valid signature by a signer nobody vouched for, not "valid"
    for data in (photo, far, audio, video):
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
    # a video edited after signing: its BMFF hash fails
    video = bytearray(sign(chain, mp4(), "video/mp4", field.base))
    video[-5] ^= 0x01  # in the media data box
    v = upload(field, bytes(video))[sha(bytes(video))]["c2pa"]
    assert v["status"] == "flag", v
    assert any(f.startswith("assertion.bmffHash.mismatch") for f in v["manifest"]["failures"])


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

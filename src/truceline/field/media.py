"""Evidence media, stored by content: the bytes under their SHA-256, accepted only for a
report on the log that names that hash.

    HOME/media/<sha256>         the file, exactly as the device sent it
    HOME/media/<sha256>.json    {"entry": the log index of the report naming it, "type"}

A file is accepted when (1) its SHA-256 is the hash it is sent under, (2) the log entry it
names is an observation whose signer the authority table lets write it and whose signed
`attributes.media_sha256` lists that hash, (3) it is at most MAX_MEDIA_BYTES and (4) its
first bytes are those of a photo, video or audio format in MEDIA_TYPES. The store holds
nothing a signed report did not ask for, and a file swapped after the report was signed
fails (1) with both hashes named. The hash in the signed report is what anyone holding the
log checks a file against (`truceline field check-media`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from truceline.codec.entries import Record, read
from truceline.errors import TrucelineError
from truceline.home import Home
from truceline.ledger.durable import write_atomic
from truceline.observation import OBSERVATION_TYPE, Observation

if TYPE_CHECKING:
    from truceline.authority import Authority
    from truceline.ledger.base import Ledger

MAX_MEDIA_BYTES = 25 * 1024 * 1024
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class MediaRefused(TrucelineError):
    """A file the blob store does not take; `code` says which check it failed."""

    code = "media_refused"


def sniff(data: bytes) -> str | None:
    """The media type the file's first bytes declare, if it is a photo, video or audio."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1"):
            return "image/heic"
        return "audio/mp4" if brand == b"M4A " else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"#!AMR"):
        return "audio/amr"  # ODK Collect's voice recordings on older Android
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    return None


MEDIA_TYPES = (
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "video/mp4",
    "video/webm",
    "audio/mp4",
    "audio/ogg",
    "audio/mpeg",
    "audio/wav",
    "audio/amr",
)


@dataclass(frozen=True)
class Reported:
    """A report on the log and the observation it carries."""

    index: int
    observation: Observation


def reported_by(
    home: Home, index: int, sha256: str, log: tuple[Ledger, Authority] | None = None
) -> Reported:
    """The observation at log `index`, if its signer may write it and it names `sha256`.

    `log`: a reader of the home's log and the authority folded over all of it (a server
    keeps one and catches it up); by default both are made here, a scan of the whole log."""
    from truceline.authority import authority_of

    if log is None:
        own = home.reader()
        try:
            return reported_by(home, index, sha256, (own, authority_of(own)))
        finally:
            own.close()
    reader, authority = log
    if not 0 <= index < reader.size:
        raise MediaRefused(f"entry {index}: the log has {reader.size} entries", field="entry")
    got = read(index, reader.entry(index), (OBSERVATION_TYPE,))
    if not isinstance(got, Record):
        raise MediaRefused(f"entry {index} is not an observation", field="entry")
    obs = Observation.model_validate(got.payload)
    refusal = authority.check_observation(index, obs, got.envelope)
    if refusal is not None:
        raise MediaRefused(f"entry {index}: {refusal.reason}", field="entry")
    if sha256 not in obs.attributes.media_sha256:
        raise MediaRefused(
            f"entry {index} (report {obs.sensor} #{obs.seq}) names no media with SHA-256 {sha256}",
            field="sha256",
            code="not_reported",
        )
    return Reported(index, obs)


def media_dir(home: Home) -> Path:
    return home.root / "media"


def check_bytes(sha256: str, data: bytes) -> str:
    """The media type of `data`, once it is the file `sha256` names and a type we store."""
    if not SHA256.match(sha256):
        raise MediaRefused("expected 64 lower-case hex digits", field="sha256")
    if len(data) > MAX_MEDIA_BYTES:
        raise MediaRefused(
            f"{len(data)} bytes, at most {MAX_MEDIA_BYTES}", field="body", code="too_large"
        )
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise MediaRefused(
            f"the file's SHA-256 is {actual}, the signed report names {sha256}: "
            "not the file that was reported",
            field="body",
            code="hash_mismatch",
        )
    kind = sniff(data)
    if kind is None:
        raise MediaRefused(
            f"not a photo, video or audio file this store accepts ({', '.join(MEDIA_TYPES)})",
            field="body",
            code="unsupported_type",
        )
    return kind


def store(
    home: Home,
    sha256: str,
    data: bytes,
    index: int,
    log: tuple[Ledger, Authority] | None = None,
) -> tuple[Reported, str]:
    """Check and store a reported file; the report and the file's type."""
    kind = check_bytes(sha256, data)
    reported = reported_by(home, index, sha256, log)
    folder = media_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / sha256
    # durable before the answer acknowledges it, and never half-written (a crash leaves
    # the old file or the new one)
    if not path.exists():
        write_atomic(path, data)
    write_atomic(folder / f"{sha256}.json", json.dumps({"entry": index, "type": kind}).encode())
    return reported, kind


def stored(home: Home, sha256: str) -> tuple[bytes, int, str] | None:
    """(bytes, the report's log index, type) of a stored file, or None."""
    if not SHA256.match(sha256):
        return None
    folder = media_dir(home)
    try:
        meta = json.loads((folder / f"{sha256}.json").read_text())
        data = (folder / sha256).read_bytes()
    except FileNotFoundError:
        return None
    return data, int(meta["entry"]), str(meta["type"])

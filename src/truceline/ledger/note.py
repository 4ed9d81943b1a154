"""c2sp.org/signed-note: notes, key IDs, vkeys/skeys, signing and opening.

A signed note is UTF-8 text ending in a newline, an empty line, then one or
more lines `— <key name> base64(key ID[4] || signature)`. Parsing and opening
follow golang.org/x/mod/sumdb/note, whose test vectors we run: the text is
split from the signatures at the *last* empty line; unknown keys are kept as
unverified; a known key whose signature fails rejects the whole note; at most
100 signature lines (the spec asks for at least 16).

Signature types live with their specs: Ed25519 (0x01) here, the witness
cosignatures (0x04 Ed25519, 0x06 ML-DSA-44) in `cosignature.py`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from truceline.errors import TrucelineError

SIG_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100
"""Go's limit; C2SP only requires accepting at least 16."""

ALG_ED25519 = 0x01
ALG_ECDSA = 0x02
ALG_COSIGNATURE_V1 = 0x04
ALG_RFC6962_STH = 0x05
ALG_MLDSA44_COSIGNATURE = 0x06


class NoteError(TrucelineError, ValueError):
    """Base class: a note, key or signature is not acceptable."""


class MalformedNoteError(NoteError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"malformed note: {reason}")
        self.reason = reason


class KeyFormatError(NoteError):
    """A vkey or skey string does not parse, or its key ID does not match."""


class UnknownKeyError(NoteError):
    def __init__(self, name: str, key_id: int) -> None:
        super().__init__(f"unknown key {name}+{key_id:08x}")
        self.name, self.key_id = name, key_id


class AmbiguousKeyError(NoteError):
    def __init__(self, name: str, key_id: int) -> None:
        super().__init__(f"ambiguous key {name}+{key_id:08x}")
        self.name, self.key_id = name, key_id


class InvalidSignatureError(NoteError):
    def __init__(self, name: str, key_id: int) -> None:
        super().__init__(f"invalid signature for key {name}+{key_id:08x}")
        self.name, self.key_id = name, key_id


class UnverifiedNoteError(NoteError):
    """No signature from a known key: the note must be rejected. `note` holds what was parsed."""

    def __init__(self, note: Note) -> None:
        super().__init__("note has no verifiable signatures")
        self.note = note


# --- Keys ------------------------------------------------------------------


def key_id(name: str, alg: int, public_key: bytes) -> int:
    """SHA-256(name || 0x0A || type || public key)[:4] as a big-endian uint32."""
    h = hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()
    return int.from_bytes(h[:4], "big")


def is_valid_name(name: str) -> bool:
    """Non-empty, no Unicode spaces, no '+'."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def b64decode_canonical(s: str) -> bytes:
    """Standard base64 with padding, in its one canonical spelling; ValueError saying
    "not base64" or "not canonical base64". Checkpoints, notes and tlog-proofs share it."""
    # Unlike Go we also refuse non-zero padding bits, so one signature has exactly one spelling.
    try:
        raw = base64.b64decode(s.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ValueError("not base64") from None
    if base64.b64encode(raw).decode() != s:
        raise ValueError("not canonical base64")
    return raw


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


class Verifier(ABC):
    """A known key: its name, key ID, and how it checks a signature over note text."""

    alg: int

    def __init__(self, name: str, public_key: bytes) -> None:
        if not is_valid_name(name):
            raise KeyFormatError(f"key name {name!r}: must be non-empty, without spaces or '+'")
        self.name = name
        self.public_key = bytes(public_key)
        self.key_id = key_id(name, self.alg, self.public_key)

    @abstractmethod
    def verify(self, msg: bytes, sig: bytes) -> bool:
        """Whether `sig` (without the 4-byte key ID) is valid over the note text `msg`."""

    @property
    def vkey(self) -> str:
        """`name+hex(keyID)+base64(type || public key)`."""
        return f"{self.name}+{self.key_id:08x}+{_b64(bytes([self.alg]) + self.public_key)}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey!r})"


class Signer(ABC):
    """A private key that signs note text under a name."""

    alg: int

    def __init__(self, name: str) -> None:
        if not is_valid_name(name):
            raise KeyFormatError(f"key name {name!r}: must be non-empty, without spaces or '+'")
        self.name = name

    @property
    def key_id(self) -> int:
        return self.verifier().key_id

    @abstractmethod
    def sign(self, msg: bytes) -> bytes:
        """The signature (without the 4-byte key ID) over the note text `msg`."""

    @abstractmethod
    def verifier(self) -> Verifier: ...

    @abstractmethod
    def private_key_bytes(self) -> bytes:
        """The key material written after the type byte in the skey."""

    @property
    def skey(self) -> str:
        """`PRIVATE+KEY+name+hex(keyID)+base64(type || private key)`, as Go's note.NewSigner reads."""
        raw = _b64(bytes([self.alg]) + self.private_key_bytes())
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{raw}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.verifier().vkey!r})"


class Ed25519Verifier(Verifier):
    """Type 0x01: Ed25519 (RFC 8032) over the note text."""

    alg = ALG_ED25519

    def __init__(self, name: str, public_key: bytes) -> None:
        if len(public_key) != 32:
            raise KeyFormatError(f"Ed25519 public key: want 32 bytes, got {len(public_key)}")
        super().__init__(name, public_key)
        self._key = ed25519.Ed25519PublicKey.from_public_bytes(self.public_key)

    def verify(self, msg: bytes, sig: bytes) -> bool:
        try:
            self._key.verify(sig, msg)
        except InvalidSignature:
            return False
        return True


class Ed25519Signer(Signer):
    """Type 0x01 signer; Ed25519 is deterministic, so signing is reproducible byte for byte."""

    alg = ALG_ED25519

    def __init__(self, name: str, seed: bytes) -> None:
        super().__init__(name)
        if len(seed) != 32:
            raise KeyFormatError(f"Ed25519 private key: want a 32-byte seed, got {len(seed)}")
        self._seed = bytes(seed)
        self._key = ed25519.Ed25519PrivateKey.from_private_bytes(self._seed)
        self._verifier = Ed25519Verifier(name, self._key.public_key().public_bytes_raw())

    def sign(self, msg: bytes) -> bytes:
        return self._key.sign(msg)

    def verifier(self) -> Ed25519Verifier:
        return self._verifier

    def private_key_bytes(self) -> bytes:
        return self._seed


def generate_ed25519(name: str) -> tuple[str, str]:
    """A fresh Ed25519 key pair as (skey, vkey)."""
    seed = ed25519.Ed25519PrivateKey.generate().private_bytes_raw()
    signer = Ed25519Signer(name, seed)
    return signer.skey, signer.verifier().vkey


def _verifier_for(alg: int, name: str, key: bytes) -> Verifier:
    if alg == ALG_ED25519:
        return Ed25519Verifier(name, key)
    # Imported here: cosignature.py builds on this module.
    from truceline.ledger import cosignature

    if alg == ALG_COSIGNATURE_V1:
        return cosignature.CosignatureVerifier(name, key)
    if alg == ALG_MLDSA44_COSIGNATURE:
        return cosignature.MLDSA44CosignatureVerifier(name, key)
    raise KeyFormatError(f"unsupported signature type 0x{alg:02x}")


def _signer_for(alg: int, name: str, key: bytes) -> Signer:
    if alg == ALG_ED25519:
        return Ed25519Signer(name, key)
    from truceline.ledger import cosignature

    if alg == ALG_COSIGNATURE_V1:
        return cosignature.CosignatureSigner(name, key)
    if alg == ALG_MLDSA44_COSIGNATURE:
        return cosignature.MLDSA44CosignatureSigner(name, key)
    raise KeyFormatError(f"unsupported signature type 0x{alg:02x}")


def _split_key(what: str, name: str, hash16: str, key64: str) -> tuple[int, bytes, int]:
    if not is_valid_name(name):
        raise KeyFormatError(f"{what}: bad key name {name!r}")
    if len(hash16) != 8 or any(c not in "0123456789abcdefABCDEF" for c in hash16):
        raise KeyFormatError(f"{what}: key ID {hash16!r} is not 8 hex digits")
    try:
        raw = b64decode_canonical(key64)
    except ValueError as e:
        raise KeyFormatError(f"{what}: key: {e}") from None
    if len(raw) < 2:
        raise KeyFormatError(f"{what}: key is {len(raw)} bytes, need a type byte and key material")
    return int(hash16, 16), raw[1:], raw[0]


def parse_vkey(vkey: str) -> Verifier:
    """`name+hex(keyID)+base64(type || public key)`; the key ID must match the key."""
    # maxsplit: the base64 part may itself contain '+'.
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise KeyFormatError(f"vkey {vkey!r}: want name+keyid+key")
    want_id, key, alg = _split_key("vkey", *parts)
    v = _verifier_for(alg, parts[0], key)
    if v.key_id != want_id:
        raise KeyFormatError(
            f"vkey {vkey!r}: key ID {want_id:08x} does not match the key ({v.key_id:08x})"
        )
    return v


def parse_skey(skey: str) -> Signer:
    """`PRIVATE+KEY+name+hex(keyID)+base64(type || private key)`; the key ID must match."""
    parts = skey.split("+", 4)
    if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
        raise KeyFormatError("skey: want PRIVATE+KEY+name+keyid+key")
    want_id, key, alg = _split_key("skey", *parts[2:])
    s = _signer_for(alg, parts[2], key)
    if s.key_id != want_id:
        raise KeyFormatError(f"skey: key ID {want_id:08x} does not match the key ({s.key_id:08x})")
    return s


class Verifiers:
    """A set of known keys, looked up by (name, key ID) as signed-note requires."""

    def __init__(self, verifiers: Iterable[Verifier] = ()) -> None:
        self._by_id: dict[tuple[str, int], list[Verifier]] = {}
        for v in verifiers:
            self._by_id.setdefault((v.name, v.key_id), []).append(v)

    def lookup(self, name: str, key_id: int) -> Verifier:
        found = self._by_id.get((name, key_id), [])
        if not found:
            raise UnknownKeyError(name, key_id)
        if len(found) > 1:
            raise AmbiguousKeyError(name, key_id)
        return found[0]

    def __iter__(self) -> Iterator[Verifier]:
        for vs in self._by_id.values():
            yield from vs


# --- Notes -----------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, key ID, and the base64 of key ID || signature."""

    name: str
    key_id: int
    base64: str

    @property
    def signature(self) -> bytes:
        """The signature bytes after the 4-byte key ID."""
        return b64decode_canonical(self.base64)[4:]

    @property
    def line(self) -> str:
        return f"{SIG_PREFIX}{self.name} {self.base64}\n"

    @classmethod
    def make(cls, name: str, key_id: int, sig: bytes) -> Signature:
        return cls(name, key_id, _b64(key_id.to_bytes(4, "big") + sig))


@dataclass(frozen=True)
class Note:
    """A note's text and signatures.

    After `open`, `signatures` are the verified ones and `unverified` those from
    unknown keys; after `parse`, every signature is in `signatures`.
    """

    text: str
    signatures: tuple[Signature, ...] = ()
    unverified: tuple[Signature, ...] = field(default=())

    def format(self) -> bytes:
        """The signed note bytes: text, empty line, verified then unverified signature lines."""
        lines = "".join(s.line for s in (*self.signatures, *self.unverified))
        return (self.text + "\n" + lines).encode()


def _check_chars(text: str, what: str) -> None:
    for c in text:
        if c < " " and c != "\n":
            raise MalformedNoteError(f"{what} contains control character U+{ord(c):04X}")


def _split(msg: bytes) -> tuple[str, list[Signature]]:
    try:
        s = msg.decode("utf-8")
    except UnicodeDecodeError as e:
        raise MalformedNoteError(f"not valid UTF-8 at byte {e.start}") from None
    _check_chars(s, "note")
    split = s.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("no empty line before the signatures")
    text, block = s[: split + 1], s[split + 2 :]
    if not block or not block.endswith("\n"):
        raise MalformedNoteError("signature block is empty or lacks its final newline")
    sigs = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise MalformedNoteError(f"line {line[:40]!r} is not a signature line")
        name, _, b64 = line[len(SIG_PREFIX) :].partition(" ")
        try:
            raw = b64decode_canonical(b64)
        except ValueError:
            raw = b""
        if not is_valid_name(name) or not b64 or len(raw) < 5:
            raise MalformedNoteError(f"bad signature line for {name!r}")
        sigs.append(Signature(name, int.from_bytes(raw[:4], "big"), b64))
        if len(sigs) > MAX_SIGNATURES:
            raise MalformedNoteError(f"more than {MAX_SIGNATURES} signatures")
    return text, sigs


def parse(msg: bytes) -> Note:
    """Split a signed note into text and signatures without verifying anything.

    The text must still not be trusted; use `open` for that.
    """
    text, sigs = _split(msg)
    return Note(text, tuple(sigs))


def open(msg: bytes, verifiers: Verifiers | Iterable[Verifier]) -> Note:  # noqa: A001 - Go's name
    """Verify a signed note against known keys.

    Signatures from unknown keys are returned as `unverified`; repeats are dropped.
    A known key's failing signature raises InvalidSignatureError; no verified
    signature raises UnverifiedNoteError.
    """
    known = verifiers if isinstance(verifiers, Verifiers) else Verifiers(verifiers)
    text, sigs = _split(msg)
    text_bytes = text.encode()
    verified: list[Signature] = []
    unverified: list[Signature] = []
    seen: set[tuple[str, int]] = set()
    seen_unverified: set[Signature] = set()
    for sig in sigs:
        try:
            v = known.lookup(sig.name, sig.key_id)
        except UnknownKeyError:
            if sig not in seen_unverified:
                seen_unverified.add(sig)
                unverified.append(sig)
            continue
        if (sig.name, sig.key_id) in seen:
            continue
        seen.add((sig.name, sig.key_id))
        if not v.verify(text_bytes, sig.signature):
            raise InvalidSignatureError(sig.name, sig.key_id)
        verified.append(sig)
    note = Note(text, tuple(verified), tuple(unverified))
    if not verified:
        raise UnverifiedNoteError(note)
    return note


def sign(note: Note | str, signers: Sequence[Signer]) -> bytes:
    """Sign the note text; a Note's existing signatures are kept unless a signer replaces them.

    Existing signature lines come first, then the new ones, as in Go's note.Sign.
    """
    if isinstance(note, str):
        note = Note(note)
    text = note.text
    if not text.endswith("\n"):
        raise MalformedNoteError("text must end in a newline")
    _check_chars(text, "text")
    text_bytes = text.encode()
    new: list[Signature] = []
    have: set[tuple[str, int]] = set()
    for signer in signers:
        new.append(Signature.make(signer.name, signer.key_id, signer.sign(text_bytes)))
        have.add((signer.name, signer.key_id))
    kept = [s for s in (*note.signatures, *note.unverified) if (s.name, s.key_id) not in have]
    for s in kept:
        try:
            raw = b64decode_canonical(s.base64)
        except ValueError:
            raw = b""
        if not is_valid_name(s.name) or len(raw) < 5 or int.from_bytes(raw[:4], "big") != s.key_id:
            raise MalformedNoteError(f"existing signature for {s.name!r} is inconsistent")
    lines = "".join(s.line for s in (*kept, *new))
    return (text + "\n" + lines).encode()

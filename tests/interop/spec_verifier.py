"""A clean-room monitor for c2sp.org/tlog-tiles logs, written from the C2SP specs alone.

It imports nothing from Truceline: only the standard library, `hashlib` and
`cryptography`. It reads a log the way a monitor on another machine would, over
HTTP from the log's URL prefix, and checks:

- the checkpoint (c2sp.org/tlog-checkpoint) is a signed note (c2sp.org/signed-note)
  carrying a valid Ed25519 signature by the log's key, and valid timestamped
  Ed25519 cosignatures (c2sp.org/tlog-cosignature, type 0x04) by each required
  witness;
- every hash tile the tree size calls for exists with the right width, every
  entry bundle holds exactly the entries whose RFC 6962 leaf hashes are the
  level-0 tile, every hash of a tile at level L >= 1 is the Merkle Tree Hash of
  the full tile below it, and the root computed from the tiles is the
  checkpoint's root;
- each earlier checkpoint's root is the root the latest tiles give for its size
  (so the log is append-only between them);
- each c2sp.org/tlog-proof verifies with the RFC 9162 inclusion algorithm.

Run: `python spec_verifier.py URL VKEY [--witness VKEY]... [--old FILE]... [--proof FILE[=DATA]]...`
"""

from __future__ import annotations

import argparse
import base64
import binascii
import gzip
import hashlib
import struct
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

TILE_WIDTH = 256
HASH_SIZE = 32
SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04
EM_DASH = "\u2014"
PROOF_HEADER = "c2sp.org/tlog-proof@v1"


class VerificationError(Exception):
    """The log, a note or a proof does not verify; the message says what and where."""


# --- signed-note -----------------------------------------------------------------


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    sig_type: int
    public_key: bytes

    @classmethod
    def parse(cls, vkey: str) -> VerifierKey:
        """`<name>+<hex key ID>+<base64(type || public key)>`; base64 may hold `+`."""
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise VerificationError(f"vkey {vkey!r}: want name+keyid+key")
        name, hex_id, b64 = parts
        if not name or any(c.isspace() for c in name):
            raise VerificationError(f"vkey {vkey!r}: bad key name")
        try:
            key_id = bytes.fromhex(hex_id)
            material = base64.b64decode(b64, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise VerificationError(f"vkey {vkey!r}: {exc}") from exc
        if len(hex_id) != 8 or not material:
            raise VerificationError(f"vkey {vkey!r}: bad key ID or empty key")
        key = cls(name, key_id, material[0], material[1:])
        if key.sig_type in (SIG_ED25519, SIG_COSIGNATURE_V1) and len(key.public_key) != 32:
            raise VerificationError(f"vkey {vkey!r}: Ed25519 key must be 32 bytes")
        computed = hashlib.sha256(name.encode() + b"\n" + material).digest()[:4]
        if computed != key_id:
            raise VerificationError(
                f"vkey {vkey!r}: key ID {hex_id} is not SHA-256(name || 0x0A || type || key)[:4]"
            )
        return key

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Type 0x01 signs the note text; type 0x04 signs `cosignature/v1\\ntime T\\n` || text."""
        pub = Ed25519PublicKey.from_public_bytes(self.public_key)
        if self.sig_type == SIG_ED25519:
            message, sig = text, signature
        elif self.sig_type == SIG_COSIGNATURE_V1:
            if len(signature) != 8 + 64:
                return False
            (timestamp,) = struct.unpack(">Q", signature[:8])
            if timestamp > 2**63 - 1:
                return False
            message = b"cosignature/v1\ntime %d\n" % timestamp + text
            sig = signature[8:]
        else:
            raise VerificationError(
                f"key {self.name}: signature type {self.sig_type:#04x} not supported"
            )
        try:
            pub.verify(sig, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class Note:
    text: bytes
    signatures: tuple[NoteSignature, ...]


def parse_note(raw: bytes) -> Note:
    """Text ending in newline, a blank line, then `— name base64(keyID || sig)` lines."""
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VerificationError(f"note is not UTF-8: {exc}") from exc
    if any(ord(c) < 0x20 and c != "\n" for c in decoded):
        raise VerificationError("note contains an ASCII control character other than newline")
    split = raw.rfind(b"\n\n")
    if split < 0:
        raise VerificationError("note has no blank line before its signatures")
    text, block = raw[: split + 1], raw[split + 2 :]
    if not block.endswith(b"\n"):
        raise VerificationError("note signature block does not end in a newline")
    sigs = []
    for line in block[:-1].decode().split("\n"):
        prefix = EM_DASH + " "
        if not line.startswith(prefix):
            raise VerificationError(
                f"signature line {line!r} does not start with an em dash and space"
            )
        name, _, b64 = line[len(prefix) :].partition(" ")
        try:
            blob = base64.b64decode(b64, validate=True)
        except binascii.Error as exc:
            raise VerificationError(f"signature by {name}: {exc}") from exc
        if not name or "+" in name or len(blob) < 5:
            raise VerificationError(f"signature line {line!r} is malformed")
        sigs.append(NoteSignature(name, blob[:4], blob[4:]))
    return Note(text, tuple(sigs))


def verify_note(raw: bytes, required: list[VerifierKey]) -> Note:
    """Every required key must have signed; a known key's bad signature rejects the note.

    Signatures from unknown keys are ignored, as the spec demands.
    """
    note = parse_note(raw)
    known = {(k.name, k.key_id): k for k in required}
    good: set[tuple[str, bytes]] = set()
    for sig in note.signatures:
        key = known.get((sig.name, sig.key_id))
        if key is None:
            continue
        if not key.verify(note.text, sig.signature):
            raise VerificationError(f"signature by {sig.name}+{sig.key_id.hex()} does not verify")
        good.add((sig.name, sig.key_id))
    for k in required:
        if (k.name, k.key_id) not in good:
            raise VerificationError(f"no signature by {k.name}+{k.key_id.hex()}")
    return note


# --- tlog-checkpoint -------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...]


def parse_checkpoint(text: bytes) -> Checkpoint:
    lines = text.decode().split("\n")
    if lines[-1] != "" or len(lines) < 4:
        raise VerificationError(
            "checkpoint text needs origin, size and root lines, newline-terminated"
        )
    origin, size, root, *ext = lines[:-1]
    if not origin:
        raise VerificationError("checkpoint origin is empty")
    if not size.isdigit() or not size.isascii() or (size != "0" and size.startswith("0")):
        raise VerificationError(f"checkpoint size {size!r} is not a decimal without leading zeroes")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except binascii.Error as exc:
        raise VerificationError(f"checkpoint root {root!r}: {exc}") from exc
    if len(root_hash) != HASH_SIZE:
        raise VerificationError(f"checkpoint root is {len(root_hash)} bytes, want 32")
    if any(not e for e in ext):
        raise VerificationError("checkpoint extension lines must be non-empty")
    return Checkpoint(origin, int(size), root_hash, tuple(ext))


def verify_checkpoint(raw: bytes, log_key: VerifierKey, witnesses: list[VerifierKey]) -> Checkpoint:
    note = verify_note(raw, [log_key, *witnesses])
    cp = parse_checkpoint(note.text)
    if cp.origin != log_key.name:
        raise VerificationError(
            f"checkpoint origin {cp.origin!r} is not the log key's name {log_key.name!r}"
        )
    return cp


# --- RFC 6962 Merkle tree ----------------------------------------------------------


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth_of_hashes(hashes: list[bytes]) -> bytes:
    """MTH over a power-of-two run of subtree hashes (a full tile)."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> None:
    """RFC 9162, section 2.1.3.2."""
    if index >= size:
        raise VerificationError(f"index {index} is not below tree size {size}")
    if any(len(p) != HASH_SIZE for p in proof):
        raise VerificationError("inclusion proof holds a hash that is not 32 bytes")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise VerificationError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise VerificationError(
            f"inclusion proof for index {index} does not lead to the root of size {size}"
        )


# --- tlog-tiles --------------------------------------------------------------------


def index_path(n: int) -> str:
    """Zero-padded 3-digit groups, all but the last prefixed with `x`: 1234067 -> x001/x234/067."""
    groups = [f"{n % 1000:03d}"]
    n //= 1000
    while n > 0:
        groups.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(groups))


def tile_path(level: int | str, n: int, width: int = TILE_WIDTH) -> str:
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"tile/{level}/{index_path(n)}{suffix}"


def split_bundle(data: bytes, where: str) -> list[bytes]:
    entries, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise VerificationError(f"{where}: truncated length prefix at offset {pos}")
        (n,) = struct.unpack_from(">H", data, pos)
        if pos + 2 + n > len(data):
            raise VerificationError(f"{where}: entry at offset {pos} runs past the end")
        entries.append(data[pos + 2 : pos + 2 + n])
        pos += 2 + n
    return entries


class HttpLog:
    """GETs resources under a log's URL prefix, as a monitor on another host would."""

    def __init__(self, prefix: str, timeout: float = 10.0) -> None:
        self.prefix = prefix.rstrip("/")
        self.timeout = timeout
        self.fetches = 0
        # A monitor talks to the log directly; no proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def get(self, path: str) -> bytes:
        req = urllib.request.Request(
            f"{self.prefix}/{path}", headers={"Accept-Encoding": "gzip, identity"}
        )
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                body = resp.read()
                encoding = resp.headers.get("Content-Encoding", "identity")
        except urllib.error.HTTPError as exc:
            raise VerificationError(f"{path}: HTTP {exc.code}") from exc
        except urllib.error.URLError as exc:
            raise VerificationError(f"{path}: {exc.reason}") from exc
        self.fetches += 1
        return gzip.decompress(body) if encoding == "gzip" else body


@dataclass
class LogView:
    """What a verified log showed: its checkpoint, every level's hashes and every entry."""

    checkpoint: Checkpoint
    levels: list[list[bytes]] = field(default_factory=list)
    entries: list[bytes] = field(default_factory=list)

    def subtree_hash(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) from the tile hashes, for any range inside the tree.

        Aligned runs of 256**L leaves are stored hashes of level L; anything
        else splits as RFC 6962 does (at the largest power of two below n).
        """
        n = hi - lo
        if n == 0:
            return hashlib.sha256(b"").digest()
        if n & (n - 1) == 0 and lo % n == 0:
            height = n.bit_length() - 1
            if height % 8 == 0:
                return self.levels[height // 8][lo >> height]
            half = n // 2
            return node_hash(self.subtree_hash(lo, lo + half), self.subtree_hash(lo + half, hi))
        k = 1 << ((n - 1).bit_length() - 1)
        return node_hash(self.subtree_hash(lo, lo + k), self.subtree_hash(lo + k, hi))

    def root(self, size: int) -> bytes:
        return self.subtree_hash(0, size)


def _fetch_level(log: HttpLog, level: int, count: int) -> list[bytes]:
    hashes: list[bytes] = []
    for n in range((count + TILE_WIDTH - 1) // TILE_WIDTH):
        width = min(TILE_WIDTH, count - n * TILE_WIDTH)
        path = tile_path(level, n, width)
        data = log.get(path)
        if len(data) != width * HASH_SIZE:
            raise VerificationError(f"{path}: {len(data)} bytes, want {width * HASH_SIZE}")
        hashes += [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
    return hashes


def verify_log(
    prefix: str,
    log_key: VerifierKey,
    witnesses: list[VerifierKey] | None = None,
    old_checkpoints: list[bytes] | None = None,
) -> LogView:
    """Fetch and check the whole log under `prefix`; raise VerificationError on the first fault."""
    log = HttpLog(prefix)
    cp = verify_checkpoint(log.get("checkpoint"), log_key, witnesses or [])
    view = LogView(cp)
    level, count = 0, cp.size
    while count > 0:
        view.levels.append(_fetch_level(log, level, count))
        level, count = level + 1, count >> 8
    if cp.size > 0:
        view.entries = _fetch_entries(log, cp.size, view.levels[0])
    for level in range(1, len(view.levels)):
        below = view.levels[level - 1]
        for j, h in enumerate(view.levels[level]):
            if mth_of_hashes(below[j * TILE_WIDTH : (j + 1) * TILE_WIDTH]) != h:
                raise VerificationError(
                    f"{tile_path(level, j // TILE_WIDTH)}: hash {j % TILE_WIDTH} is not the "
                    f"Merkle Tree Hash of {tile_path(level - 1, j)}"
                )
    if view.root(cp.size) != cp.root:
        raise VerificationError(
            f"root computed from the tiles is not the checkpoint root at size {cp.size}"
        )
    for raw in old_checkpoints or []:
        old = verify_checkpoint(raw, log_key, [])
        if old.size > cp.size:
            raise VerificationError(
                f"earlier checkpoint size {old.size} exceeds the latest {cp.size}"
            )
        if view.root(old.size) != old.root:
            raise VerificationError(
                f"checkpoint of size {old.size} is not a prefix of the latest tree"
            )
    return view


def _fetch_entries(log: HttpLog, size: int, level0: list[bytes]) -> list[bytes]:
    entries: list[bytes] = []
    for n in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        width = min(TILE_WIDTH, size - n * TILE_WIDTH)
        path = tile_path("entries", n, width)
        bundle = split_bundle(log.get(path), path)
        if len(bundle) != width:
            raise VerificationError(f"{path}: {len(bundle)} entries, want {width}")
        for i, entry in enumerate(bundle):
            if leaf_hash(entry) != level0[n * TILE_WIDTH + i]:
                raise VerificationError(
                    f"{path}: entry {i} (index {n * TILE_WIDTH + i}) does not hash to "
                    f"{tile_path(0, n, width)} hash {i}"
                )
        entries += bundle
    return entries


# --- tlog-proof --------------------------------------------------------------------


@dataclass(frozen=True)
class TlogProof:
    index: int
    hashes: tuple[bytes, ...]
    checkpoint: bytes
    extra: bytes | None = None


def parse_tlog_proof(raw: bytes) -> TlogProof:
    head, sep, checkpoint = raw.partition(b"\n\n")
    if not sep:
        raise VerificationError("tlog-proof has no empty line before the checkpoint")
    lines = head.decode().split("\n")
    if lines[0] != PROOF_HEADER:
        raise VerificationError(f"tlog-proof first line is not {PROOF_HEADER}")
    rest = lines[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        extra = base64.b64decode(rest.pop(0)[len("extra ") :], validate=True)
    if not rest or not rest[0].startswith("index "):
        raise VerificationError("tlog-proof has no index line")
    idx = rest.pop(0)[len("index ") :]
    if not idx.isdigit() or not idx.isascii() or (idx != "0" and idx.startswith("0")):
        raise VerificationError(f"tlog-proof index {idx!r} is not a decimal without leading zeroes")
    try:
        hashes = tuple(base64.b64decode(h, validate=True) for h in rest)
    except binascii.Error as exc:
        raise VerificationError(f"tlog-proof inclusion hash: {exc}") from exc
    return TlogProof(int(idx), hashes, checkpoint, extra)


def verify_tlog_proof(
    raw: bytes, entry: bytes, log_key: VerifierKey, witnesses: list[VerifierKey] | None = None
) -> tuple[TlogProof, Checkpoint]:
    proof = parse_tlog_proof(raw)
    cp = verify_checkpoint(proof.checkpoint, log_key, witnesses or [])
    verify_inclusion(proof.index, cp.size, leaf_hash(entry), list(proof.hashes), cp.root)
    return proof, cp


# --- command line ------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("url", help="the log's URL prefix (serving checkpoint and tile/)")
    ap.add_argument("vkey", type=Path, help="file holding the log's verifier key")
    ap.add_argument(
        "--witness", type=Path, action="append", default=[], help="required witness vkey file"
    )
    ap.add_argument("--old", type=Path, action="append", default=[], help="an earlier checkpoint")
    ap.add_argument("--proof", action="append", default=[], help="PROOF[=DATA] tlog-proof file")
    args = ap.parse_args(argv)
    try:
        log_key = VerifierKey.parse(args.vkey.read_text())
        witnesses = [VerifierKey.parse(w.read_text()) for w in args.witness]
        view = verify_log(args.url, log_key, witnesses, [p.read_bytes() for p in args.old])
        for arg in args.proof:
            path, _, data = arg.partition("=")
            raw = Path(path).read_bytes()
            index = parse_tlog_proof(raw).index
            entry = Path(data).read_bytes() if data else view.entries[index]
            verify_tlog_proof(raw, entry, log_key, witnesses)
    except (VerificationError, OSError, IndexError) as exc:
        print(f"FAIL {exc}")
        return 1
    cp = view.checkpoint
    print(f"VERIFIED {cp.origin} size {cp.size} root {base64.b64encode(cp.root).decode()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

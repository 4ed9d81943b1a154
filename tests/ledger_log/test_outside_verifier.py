"""An outside verifier written from the C2SP specs alone (no truceline code) checks what the log publishes.

It reads only `log.vkey`, the files under `log/` and the `truceline log prove` text:
signed-note Ed25519 signature, checkpoint body, tlog-proof inclusion (RFC 9162 §2.1.3.2),
tlog-tiles paths, widths and bundle encoding, and the tree root recomputed from level-0 tiles.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from typer.testing import CliRunner

from truceline.cli import app

runner = CliRunner()


def sha(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def open_note(signed: bytes, vkey: str) -> str:
    name, key_hex, key_b64 = vkey.split("+", 2)
    key = base64.b64decode(key_b64)
    assert key[0] == 0x01, "Ed25519 key type"
    key_id = sha(name.encode() + b"\n" + key)[:4]
    assert key_id.hex() == key_hex
    text, _, sigs = signed.decode().rpartition("\n\n")
    text += "\n"
    for line in sigs.rstrip("\n").split("\n"):
        assert line.startswith("\u2014 ")
        sig_name, sig_b64 = line[2:].split(" ")
        raw = base64.b64decode(sig_b64)
        if sig_name == name and raw[:4] == key_id:
            Ed25519PublicKey.from_public_bytes(key[1:]).verify(raw[4:], text.encode())
            return text
    raise AssertionError("no signature by the log key")


def root_from_proof(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        assert sn != 0
        if fn & 1 or fn == sn:
            r = sha(b"\x01" + p + r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = sha(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    assert sn == 0
    return r


def mth(hashes: list[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return sha(b"\x01" + mth(hashes[:k]) + mth(hashes[k:]))


def tile_index(n: int) -> str:
    parts = []
    while True:
        parts.append(f"{n % 1000:03d}")
        n //= 1000
        if not n:
            break
    parts.reverse()
    return "/".join(["x" + p for p in parts[:-1]] + [parts[-1]])


def test_outside_verifier(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert (
        runner.invoke(
            app, ["log", "init", "--home", str(home), "--origin", "verify.example/log"]
        ).exit_code
        == 0
    )
    files = []
    for i in range(530):
        f = tmp_path / f"{i}.bin"
        f.write_bytes(hashlib.sha512(str(i).encode()).digest()[: i % 64])
        files.append(f)
    res = runner.invoke(app, ["log", "append", "--home", str(home), *map(str, files)])
    assert res.exit_code == 0, res.output
    index_of = {line.split()[0]: int(line.split()[1]) for line in res.output.splitlines()}
    vkey = (home / "log.vkey").read_text().strip()

    # Checkpoint.
    text = open_note((home / "log/checkpoint").read_bytes(), vkey)
    origin, size_s, root_b64 = text.rstrip("\n").split("\n")
    size, root = int(size_s), base64.b64decode(root_b64)
    assert origin == "verify.example/log"

    # Tiles: level-0 tiles = leaf hashes of the bundle entries; the root from them.
    leaves: list[bytes] = []
    for n in range((size + 255) // 256):
        width = min(256, size - 256 * n)
        suffix = "" if width == 256 else f".p/{width}"
        bundle = (home / "log/tile/entries" / (tile_index(n) + suffix)).read_bytes()
        entries, pos = [], 0
        while pos < len(bundle):
            ln = int.from_bytes(bundle[pos : pos + 2], "big")
            entries.append(bundle[pos + 2 : pos + 2 + ln])
            pos += 2 + ln
        assert len(entries) == width
        tile = (home / "log/tile/0" / (tile_index(n) + suffix)).read_bytes()
        assert tile == b"".join(sha(b"\x00" + e) for e in entries)
        leaves += [sha(b"\x00" + e) for e in entries]
    assert mth(leaves) == root
    level1 = (home / "log/tile/1" / f"000.p/{size // 256}").read_bytes()
    assert level1 == b"".join(mth(leaves[256 * i : 256 * (i + 1)]) for i in range(size // 256))

    # Proofs of a few entries, as an offline verifier would check them.
    for f in (files[0], files[300], files[529]):
        idx = index_of[str(f)]
        out = runner.invoke(app, ["log", "prove", "--home", str(home), str(idx)]).output.encode()
        head, _, cp = out.partition(b"\n\n")
        lines = head.decode().split("\n")
        assert lines[0] == "c2sp.org/tlog-proof@v1" and lines[1] == f"index {idx}"
        cp_text = open_note(cp, vkey)
        cp_size, cp_root = int(cp_text.split("\n")[1]), base64.b64decode(cp_text.split("\n")[2])
        proof = [base64.b64decode(h) for h in lines[2:]]
        assert root_from_proof(idx, cp_size, sha(b"\x00" + f.read_bytes()), proof) == cp_root

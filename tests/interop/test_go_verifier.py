"""Truceline's log as the Go checksum-database libraries (golang.org/x/mod sumdb/note and
sumdb/tlog, from Debian) see it: signatures, tiles, bundles, consistency and tlog-proofs."""

from __future__ import annotations

from pathlib import Path

from .conftest import ORIGIN, InteropLog, run_go, serve_directory


def _args(log: InteropLog, *, with_data: bool = True) -> list[str | Path]:
    args: list[str | Path] = ["-vkey", log.vkey]
    for c in log.checkpoints:
        args += ["-old", c]
    for p in log.proofs:
        args += ["-proof", f"{p.path}={p.data}" if with_data else str(p.path)]
    return args


def test_go_verifies_the_log_its_history_and_proofs(
    go_verifier: Path, interop_log: InteropLog
) -> None:
    log = interop_log
    size = log.sizes[-1]
    r = run_go(go_verifier, "-log", log.log_dir, *_args(log))
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert out.rstrip().endswith("VERIFIED")
    assert f"ok checkpoint {ORIGIN} size {size} root " in out
    assert "ok root recomputed from the hash tiles" in out
    # 257 full level-0 tiles and 1 full level-1 tile, each against its parent.
    assert "ok 258 full tiles match the hashes in their parent tiles" in out
    assert (
        f"ok {size} entries in {(size + 255) // 256} bundles hash to the authenticated level-0 tiles"
        in out
    )
    for c, old in zip(log.checkpoints, log.sizes, strict=True):
        want = (
            f"ok {c}: empty tree" if old == 0 else f"ok {c}: size {old} consistent with size {size}"
        )
        assert want in out
    for p in log.proofs:
        assert f"ok {p.path}: index {p.index} included in size {p.size}" in out


def test_go_over_http_reads_entries_from_the_log(
    go_verifier: Path, interop_log: InteropLog
) -> None:
    """As a remote monitor: tiles over HTTP, each proven entry read from its bundle."""
    with serve_directory(interop_log.log_dir) as url:
        r = run_go(go_verifier, "-log", url, *_args(interop_log, with_data=False))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count(": index ") == len(interop_log.proofs)


def test_go_rejects_a_proof_for_other_bytes(go_verifier: Path, interop_log: InteropLog) -> None:
    p = interop_log.proofs[-1]
    other = next(f for f, i in interop_log.files.items() if i == p.index - 1)
    r = run_go(
        go_verifier,
        "-log",
        interop_log.log_dir,
        "-vkey",
        interop_log.vkey,
        "-proof",
        f"{p.path}={other}",
    )
    assert r.returncode == 1
    assert f"FAIL {p.path}: index {p.index} not included in size {p.size}" in r.stdout


def test_go_rejects_another_log_key(
    go_verifier: Path, interop_log: InteropLog, tmp_path: Path
) -> None:
    # Same name, a different Ed25519 key (the C2SP example key's bytes, renamed, fresh key ID).
    import base64
    import hashlib

    material = base64.b64decode("AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
    kid = hashlib.sha256(ORIGIN.encode() + b"\n" + material).digest()[:4].hex()
    (tmp_path / "other.vkey").write_text(f"{ORIGIN}+{kid}+{base64.b64encode(material).decode()}\n")
    r = run_go(go_verifier, "-log", interop_log.log_dir, "-vkey", tmp_path / "other.vkey")
    assert r.returncode == 1 and "FAIL checkpoint signature" in r.stdout

"""A copy of the log with one byte changed fails the Go verifier, the clean-room monitor and
`truceline log audit` alike."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from . import spec_verifier as sv
from .conftest import InteropLog, run_go, serve_directory, truceline


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _swap_root_char(path: Path) -> None:
    """Change one base64 character of the root line: still a well-formed checkpoint."""
    lines = path.read_bytes().split(b"\n")
    root = bytearray(lines[2])
    root[0] = ord("B") if root[0] != ord("B") else ord("C")
    lines[2] = bytes(root)
    path.write_bytes(b"\n".join(lines))


# (what to change, how, what the Go verifier and the monitor name when they notice)
CASES = {
    "bundle": ("tile/entries/100", lambda p: _flip(p, -1), "tile/entries/100", "tile/entries/100"),
    "level-0 tile": ("tile/0/100", lambda p: _flip(p, 100), "tile/0/100", "tile/0/100"),
    "level-1 tile": ("tile/1/000", lambda p: _flip(p, 32 * 7), "tile/1/000", "tile/1/000"),
    "partial tile": (
        "tile/0/257.p/77",
        lambda p: _flip(p, 5),
        "tree hash from tiles",
        "tile/0/257.p/77",
    ),
    "checkpoint root": ("checkpoint", _swap_root_char, "checkpoint signature", "does not verify"),
}


@pytest.fixture(scope="module", params=list(CASES))
def tampered(
    request: pytest.FixtureRequest,
    interop_log: InteropLog,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, InteropLog]:
    """A copy of the whole home with one change, per case."""
    case: str = request.param
    rel, tamper, _, _ = CASES[case]
    bad = interop_log.copy(tmp_path_factory.mktemp("tampered") / "home")
    target = bad.log_dir / rel
    assert target.is_file(), rel
    tamper(target)
    return case, bad


def test_go_rejects_tampered_copy(tampered: tuple[str, InteropLog], go_verifier: Path) -> None:
    case, bad = tampered
    r = run_go(go_verifier, "-log", bad.log_dir, "-vkey", bad.vkey)
    assert r.returncode == 1, r.stdout
    assert "FAIL" in r.stdout and CASES[case][2] in r.stdout


def test_monitor_and_audit_reject_tampered_copy(tampered: tuple[str, InteropLog]) -> None:
    case, bad = tampered
    key = sv.VerifierKey.parse(bad.vkey.read_text())
    with (
        serve_directory(bad.log_dir) as url,
        pytest.raises(sv.VerificationError, match=CASES[case][3]),
    ):
        sv.verify_log(url, key)
    audit = truceline("log", "audit", "--home", bad.home, check=False)
    assert audit.returncode != 0, audit.stdout


def test_tampered_proof_checkpoint_fails(
    interop_log: InteropLog, go_verifier: Path, tmp_path: Path
) -> None:
    p = interop_log.proofs[-1]
    raw = p.path.read_bytes()
    head, _, checkpoint = raw.partition(b"\n\n")
    lines = head.split(b"\n")
    # Replace one inclusion hash: the proof no longer leads to the signed root.
    lines[3] = base64.b64encode(bytes(32))
    bad = tmp_path / "bad.tlog-proof"
    bad.write_bytes(b"\n".join(lines) + b"\n\n" + checkpoint)
    r = run_go(
        go_verifier,
        "-log",
        interop_log.log_dir,
        "-vkey",
        interop_log.vkey,
        "-proof",
        f"{bad}={p.data}",
    )
    assert r.returncode == 1 and f"FAIL {bad}: index {p.index} not included" in r.stdout
    key = sv.VerifierKey.parse(interop_log.vkey.read_text())
    with pytest.raises(sv.VerificationError, match="does not lead to the root"):
        sv.verify_tlog_proof(bad.read_bytes(), p.data.read_bytes(), key)

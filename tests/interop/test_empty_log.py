"""A freshly initialised log: a signed checkpoint of size 0 whose root is SHA-256 of nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from . import spec_verifier as sv
from .conftest import run_go, serve_directory, truceline


@pytest.fixture(scope="module")
def empty_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("empty") / "home"
    truceline("log", "init", "--home", home, "--origin", "interop.example.org/empty")
    return home


def test_monitor_accepts_empty_log(empty_home: Path) -> None:
    home = empty_home
    key = sv.VerifierKey.parse((home / "log.vkey").read_text())
    assert (key.name, key.sig_type) == ("interop.example.org/empty", sv.SIG_ED25519)
    with serve_directory(home / "log") as url:
        view = sv.verify_log(url, key)
    assert view.checkpoint.size == 0 and view.checkpoint.root == hashlib.sha256(b"").digest()
    assert view.entries == [] and view.levels == []
    assert truceline("log", "prove", "--home", home, "0", check=False).returncode != 0


def test_go_accepts_empty_log(empty_home: Path, go_verifier: Path) -> None:
    home = empty_home
    r = run_go(go_verifier, "-log", home / "log", "-vkey", home / "log.vkey")
    assert (
        r.returncode == 0 and "size 0 root 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" in r.stdout
    )

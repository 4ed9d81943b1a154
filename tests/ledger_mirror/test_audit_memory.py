"""`truceline log audit` remembers the checkpoint it verified, per log, outside the home, and
fails on rollback or fork (issue #10: a dropped entry re-signed used to audit "OK")."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from truceline.ledger import merkle
from truceline.ledger.logsign import parse_checkpoint

from .conftest import Operator, entries, truceline


def audit(operator: Operator, state: Path) -> tuple[int, str, str]:
    run = truceline("log", "audit", "--home", operator.home.root, "--state", state)
    return run.code, run.stdout, run.stderr


def test_issue_10_a_dropped_entry_resigned(operator: Operator, tmp_path: Path) -> None:
    state = tmp_path / "state"
    operator.append(entries(0, 300))
    code, out, err = audit(operator, state)
    assert code == 0 and "memory: first audit of mirror.example.org/log" in out
    assert "WARNING: no witness policy" in err and "rewrite" in err

    history = entries(0, 300)
    del history[5]
    operator.rewrite(history)
    # Without memory the rewritten log is self-consistent: an audit from scratch passes.
    assert audit(operator, tmp_path / "fresh-state")[0] == 0
    code, out, _ = audit(operator, state)
    assert code == 1, out
    assert "FAIL checkpoint: rollback: checkpoint size 299 is smaller than the size 300" in out
    evidence = Path(re.search(r"evidence in (\S+)\)", out).group(1))
    assert evidence.is_relative_to(state)
    assert parse_checkpoint((evidence / "remembered.checkpoint").read_bytes()).size == 300
    assert parse_checkpoint((evidence / "offered.checkpoint").read_bytes()).size == 299
    # The memory is not moved by a failed audit: it keeps failing.
    assert audit(operator, state)[0] == 1
    # Nor by growing back past the remembered size with another history.
    operator.rewrite([*history, *entries(300, 310, "new")])
    code, out, _ = audit(operator, state)
    assert code == 1 and "FAIL checkpoint: fork: checkpoint size 309 does not extend" in out
    evidence = Path(re.search(r"evidence in (\S+)\)", out).group(1))
    old = parse_checkpoint((evidence / "remembered.checkpoint").read_bytes())
    new = parse_checkpoint((evidence / "offered.checkpoint").read_bytes())
    proof = [base64.b64decode(h) for h in (evidence / "consistency.proof").read_text().split()]
    claimed = bytes.fromhex(
        re.search(r"claimed-root (\w+)", (evidence / "README").read_text()).group(1)
    )
    merkle.verify_consistency(old.size, new.size, claimed, new.root_hash, proof)


def test_same_size_fork(operator: Operator, tmp_path: Path) -> None:
    operator.append(entries(0, 40))
    assert audit(operator, tmp_path / "s")[0] == 0
    operator.rewrite([*entries(0, 39), b"another last entry"])
    code, out, _ = audit(operator, tmp_path / "s")
    assert code == 1 and "FAIL checkpoint: fork: checkpoint size 40 has root" in out


def test_honest_growth_moves_the_memory(operator: Operator, tmp_path: Path) -> None:
    state = tmp_path / "s"
    operator.append(entries(0, 100))
    assert audit(operator, state)[0] == 0
    operator.append(entries(100, 700))
    code, out, _ = audit(operator, state)
    assert code == 0 and "memory: extends the size 100 checkpoint verified before" in out
    assert "a consistency proof of" in out
    (remembered,) = state.glob("*/checkpoint")
    assert remembered.read_bytes() == operator.checkpoint()
    code, out, _ = audit(operator, state)
    assert code == 0 and "extends the size 700 checkpoint verified before (no proof needed)" in out


def test_a_failed_audit_is_not_remembered(operator: Operator, tmp_path: Path) -> None:
    operator.append(entries(0, 300))
    tile = operator.home.log_dir / "tile/0/000"
    tile.write_bytes(b"\0" + tile.read_bytes()[1:])
    code, out, _ = audit(operator, tmp_path / "s")
    assert code == 1 and "a failed audit is not" in out
    assert not list((tmp_path / "s").glob("*/checkpoint"))


def test_one_memory_per_log_key(operator: Operator, tmp_path: Path) -> None:
    other = Operator.create(tmp_path / "other")  # same origin, another key
    operator.append(entries(0, 10))
    other.append(entries(0, 5))
    state = tmp_path / "s"
    assert audit(operator, state)[0] == 0
    assert audit(other, state)[0] == 0  # not a "rollback" of the first log
    assert len(list(state.glob("*/checkpoint"))) == 2


def test_the_state_must_be_outside_the_home(operator: Operator) -> None:
    code, _, err = audit(operator, operator.home.root / "state")
    assert code == 2 and "inside the audited home" in err


def test_default_state_dir_follows_xdg(operator: Operator, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    operator.append(entries(0, 3))
    run = truceline("log", "audit", "--home", operator.home.root)
    assert run.code == 0
    assert list((tmp_path / "xdg/truceline/audit").glob("*/checkpoint"))
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert truceline("log", "audit", "--home", operator.home.root).code == 0
    assert list((tmp_path / "home/.local/state/truceline/audit").glob("*/checkpoint"))

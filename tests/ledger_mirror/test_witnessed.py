"""With a witness policy, a rewrite cannot get cosigned: mirrors and audits see it at once,
even without having seen the log before."""

from __future__ import annotations

from pathlib import Path

from .conftest import Operator, Served, Witnessed, entries, mirror, truceline


def test_mirror_requires_the_quorum(
    operator: Operator, witnessed: Witnessed, served: Served, tmp_path: Path
) -> None:
    operator.append(entries(0, 300))
    assert f"— {witnessed.vkey.split('+')[0]} " in operator.checkpoint().decode()  # cosigned
    m = tmp_path / "mirror"
    run = mirror(served.url, m)
    assert run.code == 0, run
    assert "TRUST ON FIRST USE of the witness policy" in run.stderr
    assert witnessed.url not in (m / "policy").read_text()  # where witnesses listen stays private

    operator.append(entries(300, 310), witnesses=False)  # published without cosignatures
    run = mirror(served.url, m)
    assert run.code == 1 and "REFUSED (quorum)" in run.stderr, run
    assert "quorum 'w1' not satisfied" in run.stderr

    operator.append(entries(310, 320))  # cosigned again (the witness catches up from 300)
    run = mirror(served.url, m)
    assert run.code == 0 and "size 300 -> 320" in run.stdout, run


def test_a_rewrite_is_caught_by_the_cosignatures(
    operator: Operator, witnessed: Witnessed, served: Served, tmp_path: Path
) -> None:
    operator.append(entries(0, 300))
    history = entries(0, 300)
    del history[5]
    operator.rewrite(history)  # the witness refuses to cosign a tree that drops an entry
    # A mirror that never saw the log before refuses it too.
    run = mirror(served.url, tmp_path / "fresh", "--policy", operator.home.policy)
    assert run.code == 1 and "REFUSED (quorum)" in run.stderr, run
    # So does an audit with no memory of the log.
    audit = truceline("log", "audit", "--home", operator.home.root, "--state", tmp_path / "st")
    assert audit.code == 1, audit
    assert "FAIL checkpoint: policy: quorum 'w1' not satisfied" in audit.stdout
    assert "no witness policy" not in audit.stderr

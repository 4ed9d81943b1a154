"""Properties of the clean-room monitor's Merkle arithmetic against a direct RFC 6962 reference."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from . import spec_verifier as sv


def reference_mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, written as the RFC states it."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return sv.node_hash(reference_mth(leaves[:k]), reference_mth(leaves[k:]))


def reference_path(leaves: list[bytes], m: int) -> list[bytes]:
    """RFC 6962 section 2.1.1 PATH(m, D[n])."""
    if len(leaves) <= 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return reference_path(leaves[:k], m) + [reference_mth(leaves[k:])]
    return reference_path(leaves[k:], m - k) + [reference_mth(leaves[:k])]


def view_of(leaves: list[bytes]) -> sv.LogView:
    """The tile levels a log of these leaves publishes: level L holds MTHs of full tiles below."""
    levels = [leaves]
    while len(levels[-1]) >= 256:
        below = levels[-1]
        levels.append(
            [sv.mth_of_hashes(below[j : j + 256]) for j in range(0, len(below) - 255, 256)]
        )
    view = sv.LogView(sv.Checkpoint("o", len(leaves), b"", ()))
    view.levels = levels
    return view


@settings(max_examples=25, deadline=None)
@given(n=st.integers(0, 3000), data=st.data())
def test_root_from_tiles_matches_rfc6962(n: int, data: st.DataObject) -> None:
    leaves = [sv.leaf_hash(b"%d" % i) for i in range(n)]
    view = view_of(leaves)
    for size in {0, n, *data.draw(st.lists(st.integers(0, n), max_size=5))}:
        assert view.root(size) == reference_mth(leaves[:size])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 600), data=st.data())
def test_inclusion_accepts_rfc_paths_and_rejects_changes(n: int, data: st.DataObject) -> None:
    leaves = [sv.leaf_hash(b"%d" % i) for i in range(n)]
    m = data.draw(st.integers(0, n - 1))
    root, path = reference_mth(leaves), reference_path(leaves, m)
    sv.verify_inclusion(m, n, leaves[m], path, root)
    if path:
        i = data.draw(st.integers(0, len(path) - 1))
        bad = [*path[:i], bytes(32), *path[i + 1 :]]
        try:
            sv.verify_inclusion(m, n, leaves[m], bad, root)
        except sv.VerificationError:
            pass
        else:
            raise AssertionError("a changed inclusion hash verified")


def test_root_with_a_level_two_tile() -> None:
    leaves = [sv.leaf_hash(b"%d" % i) for i in range(65536 + 300)]
    view = view_of(leaves)
    assert len(view.levels) == 3
    for size in (65535, 65536, 65537, 65536 + 256, len(leaves)):
        assert view.root(size) == reference_mth(leaves[:size])


@given(st.integers(0, 10**12))
def test_index_path_round_trips(n: int) -> None:
    parts = sv.index_path(n).split("/")
    assert all(p.startswith("x") for p in parts[:-1]) and not parts[-1].startswith("x")
    assert all(len(p.lstrip("x")) == 3 for p in parts)
    assert int("".join(p.lstrip("x") for p in parts)) == n

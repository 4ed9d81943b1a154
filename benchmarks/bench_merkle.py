"""Merkle core throughput: leaf hashing, CompactRange appends, proof generation and verification.

Run: .venv/bin/python benchmarks/bench_merkle.py [--leaves N]
Prints one line per figure; single process, single core.
"""

from __future__ import annotations

import argparse
import time

from truceline.ledger import merkle, note, tiles
from truceline.ledger.checkpoint import Checkpoint


def rate(label: str, n: int, fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    print(f"{label:<48} {n / dt:>12,.0f} /s   ({n:,} in {dt:.3f} s)")
    return n / dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--leaves", type=int, default=200_000)
    n = ap.parse_args().leaves
    entries = [i.to_bytes(8, "big") * 32 for i in range(n)]  # 256-byte entries
    leaves: list[bytes] = []

    rate(
        "leaf_hash (256-byte entries)",
        n,
        lambda: leaves.extend(merkle.leaf_hash(e) for e in entries),
    )

    cr = merkle.CompactRange()
    rate("CompactRange.append", n, lambda: cr.extend(leaves))

    stored: dict[tuple[int, int], bytes] = {}

    def visit(level: int, index: int, h: bytes) -> None:
        if tiles.stored_position(level, index) is not None:
            stored[(level, index)] = h

    cr2 = merkle.CompactRange()
    rate("CompactRange.append + tile-node visitor", n, lambda: cr2.extend(leaves, visit))
    root = cr.root()
    assert root == cr2.root()

    size = n
    k = 2_000
    idx = [(i * 7919) % size for i in range(k)]
    proofs: list[list[bytes]] = []

    def all_nodes() -> dict[tuple[int, int], bytes]:
        # Every perfect node (as a tile store would hold them, plus the levels between).
        nodes = {(0, i): h for i, h in enumerate(leaves)}
        level = 0
        while (size >> level) > 1:
            for i in range(size >> (level + 1)):
                nodes[(level + 1, i)] = merkle.node_hash(
                    nodes[(level, 2 * i)], nodes[(level, 2 * i + 1)]
                )
            level += 1
        return nodes

    nodes = all_nodes()

    def gen() -> None:
        for i in idx:
            ids = merkle.inclusion_nodes(i, size)
            proofs.append(ids.rehash([nodes[x] for x in ids.ids]))

    rate(f"inclusion proof from node ids (size {size:,})", k, gen)

    def ver() -> None:
        for i, p in zip(idx, proofs, strict=True):
            merkle.verify_inclusion(i, size, leaves[i], p, root)

    rate(f"verify_inclusion (size {size:,})", k, ver)

    pairs = [((i * 104729) % (size - 1)) + 1 for i in range(k)]
    cproofs: list[list[bytes]] = []

    def cgen() -> None:
        for s1 in pairs:
            ids = merkle.consistency_nodes(s1, size)
            cproofs.append(ids.rehash([nodes[x] for x in ids.ids]))

    rate("consistency proof from node ids", k, cgen)
    roots1 = {}
    for s1 in set(pairs):
        c = merkle.CompactRange(s1, [nodes[x] for x in merkle.CompactRange.node_ids(s1)])
        roots1[s1] = c.root()

    def cver() -> None:
        for s1, p in zip(pairs, cproofs, strict=True):
            merkle.verify_consistency(s1, size, roots1[s1], root, p)

    rate("verify_consistency", k, cver)

    signer = note.Ed25519Signer("bench.example/log", b"\x01" * 32)
    body = Checkpoint("bench.example/log", size, root).body()
    signed = note.sign(body, [signer])
    m = 2_000
    rate("note.sign checkpoint (Ed25519)", m, lambda: [note.sign(body, [signer]) for _ in range(m)])
    v = [signer.verifier()]
    rate("note.open checkpoint (Ed25519)", m, lambda: [note.open(signed, v) for _ in range(m)])


if __name__ == "__main__":
    main()

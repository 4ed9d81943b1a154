package main

// Explicit tile authentication. x/mod 0.7's TileHashReader.ReadHashes
// authenticates the tiles it adds for requested hashes in a loop that starts
// at len(stx), the number of root subtrees, rather than at the number of
// distinct tiles holding them; when several root subtrees share a tile, the
// first tiles fetched for the requested hashes are returned unchecked (seen
// here: a flipped byte in tile/0/100 of a 70,003-entry tree came back without
// an error). So every full tile is checked against its parent here, and the
// partial right-edge tiles against the checkpoint root via tlog.TreeHash.

import (
	"golang.org/x/mod/sumdb/tlog"
)

// tileRoot is the Merkle Tree Hash of a full tile's 256 hashes.
func tileRoot(data []byte) tlog.Hash {
	hs := make([]tlog.Hash, len(data)/tlog.HashSize)
	for i := range hs {
		copy(hs[i][:], data[i*tlog.HashSize:])
	}
	for len(hs) > 1 {
		next := hs[:0]
		for i := 0; i < len(hs); i += 2 {
			next = append(next, tlog.NodeHash(hs[i], hs[i+1]))
		}
		hs = next
	}
	return hs[0]
}

// tileAt is the tile holding hash n of level L in a tree of size size:
// full, or partial with the width the tree size gives it.
func tileAt(L int, n, size int64) tlog.Tile {
	count := size >> uint(8*L) // hashes at this level
	t := tlog.Tile{H: 8, L: L, N: n / 256, W: 256}
	if rest := count - t.N*256; rest < 256 {
		t.W = int(rest)
	}
	return t
}

// checkTiles authenticates every full tile of every level against the hash
// its parent tile holds for it. Returns the number of tiles checked.
func checkTiles(tree tlog.Tree, tr *tileReader) int {
	checked, bad := 0, 0
	for L := 0; tree.N>>uint(8*L) >= 256; L++ {
		full := (tree.N >> uint(8*L)) / 256
		for n := int64(0); n < full; n++ {
			t := tlog.Tile{H: 8, L: L, N: n, W: 256}
			data, err := tr.readTile(t)
			if err != nil {
				fail("%s: %v", c2spPath(t), err)
				bad++
				continue
			}
			parent := tileAt(L+1, n, tree.N)
			pdata, err := tr.readTile(parent)
			if err != nil {
				fail("%s: %v", c2spPath(parent), err)
				bad++
				continue
			}
			var want tlog.Hash
			copy(want[:], pdata[(n%256)*tlog.HashSize:])
			if tileRoot(data) != want {
				fail("%s does not hash to entry %d of %s", c2spPath(t), n%256, c2spPath(parent))
				bad++
			}
			checked++
		}
	}
	if bad == 0 {
		ok("%d full tiles match the hashes in their parent tiles", checked)
	}
	return bad
}

// Command tlogverify checks a c2sp.org/tlog-tiles log with the Go checksum
// database libraries (golang.org/x/mod/sumdb/note and sumdb/tlog), written
// outside the project under test. It prints one "ok ..." line per check that
// passed and "FAIL ..." per check that did not, and exits 1 on any failure.
//
//	tlogverify -log DIR|URL -vkey FILE [-witness FILE]... [-old CHECKPOINT]... [-proof PROOF[=DATA]]...
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

var failures int

func ok(format string, args ...interface{}) { fmt.Printf("ok "+format+"\n", args...) }
func fail(format string, args ...interface{}) {
	failures++
	fmt.Printf("FAIL "+format+"\n", args...)
}

func readText(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	return strings.TrimSpace(string(b))
}

func main() {
	var logLoc, vkeyPath string
	var witnessPaths, olds, proofs multi
	flag.StringVar(&logLoc, "log", "", "log directory or URL prefix (holds checkpoint and tile/)")
	flag.StringVar(&vkeyPath, "vkey", "", "file holding the log's verifier key")
	flag.Var(&witnessPaths, "witness", "file holding a witness's cosignature/v1 vkey whose cosignature is required (repeatable)")
	flag.Var(&olds, "old", "an earlier checkpoint of this log that must be consistent with the latest (repeatable)")
	flag.Var(&proofs, "proof", "PROOF[=DATA]: a tlog-proof file, and the entry's bytes if not read from the log (repeatable)")
	flag.Parse()
	if logLoc == "" || vkeyPath == "" {
		flag.Usage()
		os.Exit(2)
	}

	logV, err := note.NewVerifier(readText(vkeyPath))
	if err != nil {
		fmt.Println("FAIL log vkey:", err)
		os.Exit(1)
	}
	var witnesses []note.Verifier
	for _, path := range witnessPaths {
		vkey := readText(path)
		if _, err := note.NewVerifier(vkey); err != nil {
			ok("x/mod note.NewVerifier rejects witness key %s: %v (only type 0x01 is built in)", path, err)
		}
		w, err := newCosigVerifier(vkey)
		if err != nil {
			fail("%s: %v", path, err)
			continue
		}
		witnesses = append(witnesses, w)
	}

	src := newSource(logLoc)
	raw, err := src.fetch("checkpoint")
	if err != nil {
		fail("checkpoint: %v", err)
		finish()
	}
	// First with the log key alone: per signed-note, other signatures
	// (witness cosignatures) must be ignored, not rejected.
	alone, err := note.Open(raw, note.VerifierList(logV))
	if err != nil {
		fail("checkpoint signature: %v", err)
		finish()
	}
	ok("checkpoint signed by %s (%d other signature(s) left unverified)", logV.Name(), len(alone.UnverifiedSigs))
	cp, _, err := openCheckpoint(raw, logV, witnesses)
	if err != nil {
		fail("checkpoint: %v", err)
		finish()
	}
	if len(witnesses) > 0 {
		ok("checkpoint cosigned by %d witness(es)", len(witnesses))
	}
	tree := cp.tree
	ok("checkpoint %s size %d root %s", cp.origin, tree.N, tree.Hash)

	tr := &tileReader{src: src, cache: map[string][]byte{}}
	hr := tlog.TileHashReader(tree, tr)
	if tree.N > 0 {
		checkTree(tree, hr)
		checkTiles(tree, tr)
		checkEntries(tree, hr, tr)
	}
	for _, path := range olds {
		checkOld(path, tree, hr, logV, witnesses)
	}
	for _, arg := range proofs {
		checkProof(arg, tree, hr, tr, logV, witnesses)
	}
	ok("%d tile and bundle files read", tr.reads)
	finish()
}

func finish() {
	if failures > 0 {
		fmt.Printf("FAILED %d check(s)\n", failures)
		os.Exit(1)
	}
	fmt.Println("VERIFIED")
	os.Exit(0)
}

// checkTree recomputes the root from the tiles on the tree's right edge.
func checkTree(tree tlog.Tree, hr tlog.HashReader) {
	h, err := tlog.TreeHash(tree.N, hr)
	if err != nil {
		fail("tree hash from tiles: %v", err)
		return
	}
	if h != tree.Hash {
		fail("tree hash from tiles %s, checkpoint says %s", h, tree.Hash)
		return
	}
	ok("root recomputed from the hash tiles")
}

// checkEntries reads every entry bundle, hashes each entry (RFC 6962 leaf
// hash) and compares it with the level-0 tile hash, which the TileHashReader
// authenticates through every tile level up to the checkpoint's root; then
// proves and checks the first and last record of each bundle.
func checkEntries(tree tlog.Tree, hr tlog.HashReader, tr *tileReader) {
	bundles := (tree.N + 255) / 256
	bad := 0
	for k := int64(0); k < bundles; k++ {
		w := tree.N - k*256
		if w > 256 {
			w = 256
		}
		t := tlog.Tile{H: 8, L: -1, N: k, W: int(w)}
		raw, err := tr.get(c2spPath(t))
		if err != nil {
			fail("bundle %d: %v", k, err)
			bad++
			continue
		}
		entries, err := bundleEntries(raw)
		if err != nil || int64(len(entries)) != w {
			fail("%s: %d entries (%v), want %d", c2spPath(t), len(entries), err, w)
			bad++
			continue
		}
		idx := make([]int64, w)
		for i := range idx {
			idx[i] = tlog.StoredHashIndex(0, k*256+int64(i))
		}
		leaves, err := hr.ReadHashes(idx)
		if err != nil {
			fail("level-0 hashes for bundle %d: %v", k, err)
			bad++
			continue
		}
		for i, e := range entries {
			if tlog.RecordHash(e) != leaves[i] {
				fail("%s: entry %d (index %d) does not hash to its level-0 tile hash", c2spPath(t), i, k*256+int64(i))
				bad++
			}
		}
		for _, n := range []int64{k * 256, k*256 + w - 1} {
			p, err := tlog.ProveRecord(tree.N, n, hr)
			if err == nil {
				err = tlog.CheckRecord(p, tree.N, tree.Hash, n, tlog.RecordHash(entries[n-k*256]))
			}
			if err != nil {
				fail("inclusion of record %d: %v", n, err)
				bad++
			}
		}
	}
	if bad == 0 {
		ok("%d entries in %d bundles hash to the authenticated level-0 tiles; inclusion proved for each bundle's first and last", tree.N, bundles)
	}
}

// checkOld verifies an earlier checkpoint and proves it consistent with the latest.
func checkOld(path string, tree tlog.Tree, hr tlog.HashReader, logV note.Verifier, ws []note.Verifier) {
	raw, err := os.ReadFile(path)
	if err != nil {
		fail("%s: %v", path, err)
		return
	}
	old, _, err := openCheckpoint(raw, logV, nil)
	if err != nil {
		fail("%s: %v", path, err)
		return
	}
	if old.tree.N > tree.N {
		fail("%s: size %d is larger than the latest %d", path, old.tree.N, tree.N)
		return
	}
	if old.tree.N == 0 {
		if old.tree.Hash != emptyRoot() {
			fail("%s: size 0 with root %s", path, old.tree.Hash)
			return
		}
		ok("%s: empty tree", path)
		return
	}
	p, err := tlog.ProveTree(tree.N, old.tree.N, hr)
	if err == nil {
		err = tlog.CheckTree(p, tree.N, tree.Hash, old.tree.N, old.tree.Hash)
	}
	if err != nil {
		fail("%s: size %d not consistent with size %d: %v", path, old.tree.N, tree.N, err)
		return
	}
	ok("%s: size %d consistent with size %d (%d-hash proof)", path, old.tree.N, tree.N, len(p))
}

func emptyRoot() tlog.Hash {
	// SHA-256 of the empty string, the RFC 6962 root of an empty tree.
	h, _ := tlog.ParseHash("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
	return h
}

// checkProof verifies a tlog-proof: its checkpoint's signatures, the
// inclusion of the entry (given as a file, or read from the log) and the
// consistency of the proof's checkpoint with the latest one.
func checkProof(arg string, tree tlog.Tree, hr tlog.HashReader, tr *tileReader, logV note.Verifier, ws []note.Verifier) {
	path, dataPath := arg, ""
	if i := strings.LastIndex(arg, "="); i >= 0 {
		path, dataPath = arg[:i], arg[i+1:]
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		fail("%s: %v", path, err)
		return
	}
	p, err := parseTlogProof(raw)
	if err != nil {
		fail("%s: %v", path, err)
		return
	}
	// The proof's checkpoint must carry the required witnesses' cosignatures too:
	// that is what makes it an offline proof of a view the witnesses observed.
	pc, _, err := openCheckpoint(p.checkpoint, logV, ws)
	if err != nil {
		fail("%s: checkpoint: %v", path, err)
		return
	}
	var entry []byte
	if dataPath != "" {
		entry, err = os.ReadFile(dataPath)
	} else {
		entry, err = readEntry(p.index, tree, tr)
	}
	if err != nil {
		fail("%s: entry %d: %v", path, p.index, err)
		return
	}
	if err := tlog.CheckRecord(p.hashes, pc.tree.N, pc.tree.Hash, p.index, tlog.RecordHash(entry)); err != nil {
		fail("%s: index %d not included in size %d: %v", path, p.index, pc.tree.N, err)
		return
	}
	if pc.tree.N > tree.N {
		fail("%s: proof's checkpoint size %d is past the latest %d", path, pc.tree.N, tree.N)
		return
	}
	if pc.tree.N < tree.N {
		tp, err := tlog.ProveTree(tree.N, pc.tree.N, hr)
		if err == nil {
			err = tlog.CheckTree(tp, tree.N, tree.Hash, pc.tree.N, pc.tree.Hash)
		}
		if err != nil {
			fail("%s: proof's checkpoint not consistent with the latest: %v", path, err)
			return
		}
	} else if pc.tree.Hash != tree.Hash {
		fail("%s: proof's checkpoint has the latest size but another root", path)
		return
	}
	ok("%s: index %d included in size %d (%d hashes)", path, p.index, pc.tree.N, len(p.hashes))
}

func readEntry(index int64, tree tlog.Tree, tr *tileReader) ([]byte, error) {
	if index >= tree.N {
		return nil, fmt.Errorf("index %d past the tree size %d", index, tree.N)
	}
	k := index / 256
	w := tree.N - k*256
	if w > 256 {
		w = 256
	}
	raw, err := tr.get(c2spPath(tlog.Tile{H: 8, L: -1, N: k, W: int(w)}))
	if err != nil {
		return nil, err
	}
	entries, err := bundleEntries(raw)
	if err != nil {
		return nil, err
	}
	if int64(len(entries)) != w {
		return nil, fmt.Errorf("bundle %d has %d entries, want %d", k, len(entries), w)
	}
	return entries[index-k*256], nil
}

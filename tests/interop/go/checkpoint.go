package main

// Checkpoints (c2sp.org/tlog-checkpoint) and Ed25519 cosignatures
// (c2sp.org/tlog-cosignature, type 0x04), on top of x/mod's signed notes.

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type checkpoint struct {
	origin string
	tree   tlog.Tree
}

// parseCheckpoint reads the note text: origin, size (no leading zeroes),
// base64 root, then optional non-empty extension lines. x/mod's
// tlog.ParseTree only knows the "go.sum database tree" origin.
func parseCheckpoint(text string) (checkpoint, error) {
	if !strings.HasSuffix(text, "\n") {
		return checkpoint{}, fmt.Errorf("checkpoint text does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return checkpoint{}, fmt.Errorf("checkpoint has %d lines, want at least 3", len(lines))
	}
	if lines[0] == "" {
		return checkpoint{}, fmt.Errorf("checkpoint origin is empty")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return checkpoint{}, fmt.Errorf("checkpoint size %q is not a decimal without leading zeroes", lines[1])
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return checkpoint{}, fmt.Errorf("checkpoint root %q is not a base64 SHA-256 hash", lines[2])
	}
	for i, ext := range lines[3:] {
		if ext == "" {
			return checkpoint{}, fmt.Errorf("checkpoint extension line %d is empty", i+1)
		}
	}
	var hash tlog.Hash
	copy(hash[:], h)
	return checkpoint{origin: lines[0], tree: tlog.Tree{N: n, Hash: hash}}, nil
}

// cosigVerifier verifies timestamped Ed25519 witness cosignatures. x/mod
// 0.7's note.NewVerifier knows only type 0x01, but note.Verifier is an
// interface, so note.Open can use this one alongside the log's key.
type cosigVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

const algCosignatureV1 = 0x04

func newCosigVerifier(vkey string) (*cosigVerifier, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("witness vkey: want name+hash+key")
	}
	name, hash16, key64 := parts[0], parts[1], parts[2]
	hash, err := strconv.ParseUint(hash16, 16, 32)
	if err != nil || len(hash16) != 8 {
		return nil, fmt.Errorf("witness vkey: bad key hash %q", hash16)
	}
	key, err := base64.StdEncoding.DecodeString(key64)
	if err != nil || len(key) != 1+ed25519.PublicKeySize || key[0] != algCosignatureV1 {
		return nil, fmt.Errorf("witness vkey: want base64(0x04 || 32-byte Ed25519 key)")
	}
	sum := sha256.Sum256(append([]byte(name+"\n"), key...))
	if binary.BigEndian.Uint32(sum[:4]) != uint32(hash) {
		return nil, fmt.Errorf("witness vkey: key hash %s does not match SHA-256(name || 0x0A || 0x04 || key)[:4]", hash16)
	}
	return &cosigVerifier{name: name, hash: uint32(hash), key: ed25519.PublicKey(key[1:])}, nil
}

func (v *cosigVerifier) Name() string    { return v.name }
func (v *cosigVerifier) KeyHash() uint32 { return v.hash }

// Verify checks timestamped_signature = u64 timestamp || Ed25519 signature
// over "cosignature/v1\ntime <ts>\n" || the checkpoint body.
func (v *cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	ts := binary.BigEndian.Uint64(sig[:8])
	if ts > 1<<63-1 {
		return false
	}
	signed := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", ts)), msg...)
	return ed25519.Verify(v.key, signed, sig[8:])
}

// openCheckpoint verifies a signed checkpoint: the log's signature must be
// among the verified ones, and so must each required witness's.
func openCheckpoint(msg []byte, logV note.Verifier, witnesses []note.Verifier) (checkpoint, *note.Note, error) {
	n, err := note.Open(msg, note.VerifierList(append([]note.Verifier{logV}, witnesses...)...))
	if err != nil {
		return checkpoint{}, nil, err
	}
	signedBy := map[string]bool{}
	for _, s := range n.Sigs {
		signedBy[fmt.Sprintf("%s+%08x", s.Name, s.Hash)] = true
	}
	for _, v := range append([]note.Verifier{logV}, witnesses...) {
		if !signedBy[fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())] {
			return checkpoint{}, nil, fmt.Errorf("no signature by %s+%08x", v.Name(), v.KeyHash())
		}
	}
	c, err := parseCheckpoint(n.Text)
	if err != nil {
		return checkpoint{}, nil, err
	}
	if c.origin != logV.Name() {
		return checkpoint{}, nil, fmt.Errorf("origin %q is not the log key's name %q", c.origin, logV.Name())
	}
	return c, n, nil
}

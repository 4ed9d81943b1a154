package main

// c2sp.org/tlog-proof@v1: header, optional "extra <b64>", "index <n>",
// inclusion hashes (leaf's sibling first), an empty line, the checkpoint.

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"
)

type tlogProof struct {
	extra      []byte
	index      int64
	hashes     tlog.RecordProof
	checkpoint []byte
}

func parseTlogProof(b []byte) (tlogProof, error) {
	var p tlogProof
	next := func() (string, bool) {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return "", false
		}
		line := string(b[:i])
		b = b[i+1:]
		return line, true
	}
	line, ok := next()
	if !ok || line != "c2sp.org/tlog-proof@v1" {
		return p, fmt.Errorf("first line is not c2sp.org/tlog-proof@v1")
	}
	line, ok = next()
	if ok && len(line) > 6 && line[:6] == "extra " {
		extra, err := base64.StdEncoding.DecodeString(line[6:])
		if err != nil {
			return p, fmt.Errorf("extra: %v", err)
		}
		p.extra = extra
		line, ok = next()
	}
	if !ok || len(line) < 7 || line[:6] != "index " {
		return p, fmt.Errorf("missing index line")
	}
	idx, err := strconv.ParseInt(line[6:], 10, 64)
	if err != nil || idx < 0 || strconv.FormatInt(idx, 10) != line[6:] {
		return p, fmt.Errorf("index %q is not a decimal without leading zeroes", line[6:])
	}
	p.index = idx
	for {
		line, ok = next()
		if !ok {
			return p, fmt.Errorf("no empty line before the checkpoint")
		}
		if line == "" {
			break
		}
		h, err := tlog.ParseHash(line)
		if err != nil {
			return p, fmt.Errorf("inclusion hash %d: %v", len(p.hashes), err)
		}
		p.hashes = append(p.hashes, h)
	}
	p.checkpoint = b
	return p, nil
}

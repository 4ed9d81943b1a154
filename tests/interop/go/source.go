package main

// Reading a tlog-tiles log: from a directory or over HTTP, as a monitor would.

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// errNotFound marks a resource the log does not serve (404 or missing file).
var errNotFound = errors.New("not found")

// source fetches a resource by its path under the log prefix.
type source interface {
	fetch(path string) ([]byte, error)
}

type dirSource string

func (d dirSource) fetch(path string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(string(d), filepath.FromSlash(path)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, errNotFound)
	}
	return b, err
}

type httpSource string

func (u httpSource) fetch(path string) ([]byte, error) {
	url := strings.TrimRight(string(u), "/") + "/" + path
	resp, err := http.Get(url) // net/http transparently decodes gzip it asked for
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("%s: %w", url, errNotFound)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %s", url, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func newSource(loc string) source {
	if strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://") {
		return httpSource(loc)
	}
	return dirSource(loc)
}

// c2spPath maps a sumdb tile to its c2sp.org/tlog-tiles path. The N encoding
// (x001/x234/067) and the .p/W suffix are the same; C2SP fixes the height at
// 8 and drops it from the path (sumdb: tile/H/L/N, C2SP: tile/L/N), and entry
// bundles live at tile/entries/N where sumdb has tile/H/data/N.
func c2spPath(t tlog.Tile) string {
	p := t.Path()
	prefix := fmt.Sprintf("tile/%d/", t.H)
	if !strings.HasPrefix(p, prefix) {
		panic("unexpected sumdb tile path " + p)
	}
	rest := p[len(prefix):]
	if t.L == -1 {
		return "tile/entries/" + strings.TrimPrefix(rest, "data/")
	}
	return "tile/" + rest
}

// tileReader is a tlog.TileReader over a C2SP log. When a partial tile of an
// older tree size is gone (logs MAY delete partials once the full tile
// exists), it falls back to the full tile and uses its first W hashes, as
// tlog-tiles allows clients to do.
type tileReader struct {
	src   source
	cache map[string][]byte
	reads int
}

func (r *tileReader) Height() int { return 8 }

func (r *tileReader) get(path string) ([]byte, error) {
	if b, ok := r.cache[path]; ok {
		return b, nil
	}
	b, err := r.src.fetch(path)
	if err != nil {
		return nil, err
	}
	r.reads++
	r.cache[path] = b
	return b, nil
}

func (r *tileReader) readTile(t tlog.Tile) ([]byte, error) {
	want := t.W * tlog.HashSize
	b, err := r.get(c2spPath(t))
	if errors.Is(err, errNotFound) && t.W < 1<<uint(t.H) {
		full := t
		full.W = 1 << uint(t.H)
		b, err = r.get(c2spPath(full))
		if err == nil && len(b) >= want {
			b = b[:want]
		}
	}
	if err != nil {
		return nil, err
	}
	if len(b) != want {
		return nil, fmt.Errorf("%s: %d bytes, want %d", c2spPath(t), len(b), want)
	}
	return b, nil
}

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := r.readTile(t)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// bundleEntries splits an entry bundle: big-endian uint16 length-prefixed entries.
func bundleEntries(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, fmt.Errorf("truncated length prefix")
		}
		n := int(b[0])<<8 | int(b[1])
		if len(b) < 2+n {
			return nil, fmt.Errorf("entry %d: length %d past the end of the bundle", len(out), n)
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out, nil
}

// An independent client of the ledger's C2SP tlog-tiles: Go's golang.org/x/mod/sumdb/tlog and
// note (Debian's golang-golang-x-mod-dev), plus the standard library's Ed25519 for the
// witnesses' cosignatures (C2SP tlog-cosignature, signature type 0x04).
//
//	verify -url PREFIX -log-key VKEY [-witness VKEY]... [-entries I,J,...]
//
// It fetches PREFIX/checkpoint, checks the log's signature, reads the tree through the tiles
// (Go's own tile reader checks every tile against the checkpoint's root), proves the listed
// entries from their entry bundles, and checks each named witness's cosignature. It prints
// one line per check and exits 1 at the first failure.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type witnessKeys []string

func (w *witnessKeys) String() string     { return strings.Join(*w, ",") }
func (w *witnessKeys) Set(v string) error { *w = append(*w, v); return nil }

var prefix string

func fetch(path string) ([]byte, error) {
	resp, err := http.Get(prefix + "/" + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return body, nil
}

// c2spPath turns Go's tile path (tile/H/L/N[.p/W], "data" for entries) into C2SP's.
func c2spPath(t tlog.Tile) string {
	rest := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", t.H))
	return "tile/" + strings.Replace(rest, "data/", "entries/", 1)
}

type tiles struct{}

func (tiles) Height() int { return 8 }
func (tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, t := range ts {
		data, err := fetch(c2spPath(t))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}
func (tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func fail(format string, args ...any) {
	fmt.Printf("FAILED: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	var logKey, entries string
	var witnesses witnessKeys
	flag.StringVar(&prefix, "url", "", "the log's tlog-tiles prefix")
	flag.StringVar(&logKey, "log-key", "", "the log's verifier key")
	flag.StringVar(&entries, "entries", "", "entry indexes to prove, comma-separated")
	flag.Var(&witnesses, "witness", "a witness's verifier key (type 0x04); repeatable")
	flag.Parse()
	prefix = strings.TrimRight(prefix, "/")

	raw, err := fetch("checkpoint")
	if err != nil {
		fail("%v", err)
	}
	verifier, err := note.NewVerifier(logKey)
	if err != nil {
		fail("log key: %v", err)
	}
	n, err := note.Open(raw, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootBytes) != 32 {
		fail("checkpoint root: %v", err)
	}
	var root tlog.Hash
	copy(root[:], rootBytes)
	fmt.Printf("checkpoint ok: %s size %d\n", lines[0], size)

	tree := tlog.Tree{N: size, Hash: root}
	reader := tlog.TileHashReader(tree, tiles{})
	computed, err := tlog.TreeHash(size, reader)
	if err != nil {
		fail("tree hash from tiles: %v", err)
	}
	if computed != root {
		fail("the tiles give root %s, the checkpoint says %s", computed, root)
	}
	fmt.Printf("tiles ok: root %s\n", computed)

	if entries != "" {
		for _, text := range strings.Split(entries, ",") {
			index, err := strconv.ParseInt(text, 10, 64)
			if err != nil {
				fail("entry index %q", text)
			}
			entry := readEntry(index, size)
			proof, err := tlog.ProveRecord(size, index, reader)
			if err != nil {
				fail("entry %d: %v", index, err)
			}
			if err := tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(entry)); err != nil {
				fail("entry %d: %v", index, err)
			}
			fmt.Printf("entry ok: %d %x\n", index, entry)
		}
	}
	for _, key := range witnesses {
		name := checkCosignature(key, raw, n.Text)
		fmt.Printf("cosignature ok: %s\n", name)
	}
}

// readEntry reads entry index from its bundle: big-endian uint16 length-prefixed entries.
func readEntry(index, size int64) []byte {
	bundle := index / 256
	width := int64(256)
	if (bundle+1)*256 > size {
		width = size - bundle*256
	}
	t := tlog.Tile{H: 8, L: -1, N: bundle, W: int(width)}
	data, err := fetch(c2spPath(t))
	if err != nil {
		fail("entry bundle: %v", err)
	}
	for i := int64(0); ; i++ {
		if len(data) < 2 {
			fail("entry bundle %d ends before entry %d", bundle, index)
		}
		length := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+length {
			fail("entry bundle %d is truncated", bundle)
		}
		if bundle*256+i == index {
			return data[2 : 2+length]
		}
		data = data[2+length:]
	}
}

// checkCosignature verifies a C2SP tlog-cosignature/v1 (Ed25519, type 0x04) line of key.
func checkCosignature(vkey string, raw []byte, text string) string {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		fail("witness key %q", vkey)
	}
	name := parts[0]
	material, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(material) != 33 || material[0] != 0x04 {
		fail("witness key %s: not an Ed25519 cosignature key (0x04)", name)
	}
	public := ed25519.PublicKey(material[1:])
	digest := sha256.Sum256(append([]byte(name+"\n\x04"), public...))
	keyID := digest[:4]
	if fmt.Sprintf("%x", keyID) != parts[1] {
		fail("witness key %s: its id does not match", name)
	}
	signatures := raw[len(text)+1:]
	for _, line := range strings.Split(strings.TrimSuffix(string(signatures), "\n"), "\n") {
		fields := strings.Fields(strings.TrimPrefix(line, "\u2014 "))
		if len(fields) != 2 || fields[0] != name {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(fields[1])
		if err != nil || len(sig) != 4+8+64 || !bytes.Equal(sig[:4], keyID) {
			continue
		}
		timestamp := binary.BigEndian.Uint64(sig[4:12])
		message := fmt.Sprintf("cosignature/v1\ntime %d\n%s", timestamp, text)
		if !ed25519.Verify(public, []byte(message), sig[12:]) {
			fail("witness %s: the cosignature does not verify", name)
		}
		return name
	}
	fail("witness %s: no cosignature", name)
	return ""
}

package jobstore

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// The state file is a gob header naming its format, the gob-encoded stateFile, then (format 2) the
// SHA-256 of every byte before it. A file of format 1, written before the checksum existed, is
// still read; the next commit rewrites it in format 2.
const (
	stateFormat   = "ejops-jobdb/2"
	stateFormatV1 = "ejops-jobdb/1"
)

// header opens the state file.
type header struct{ Format string }

func init() {
	gob.Register(sqlval.UUID{})
	gob.Register(time.Time{})
}

// keyPath is where the key that seals credential secrets is kept, beside the state file.
func keyPath(path string) string { return path + ".key" }

// load reads the state file and its seal key. A missing state file gives an empty database; a
// missing key file is created. An unreadable or corrupt file is an error naming the file.
func load(path string) (*state, []byte, error) {
	if path == "" {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, nil, fmt.Errorf("generate seal key: %w", err)
		}
		return newState(), key, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err := loadKey(keyPath(path), true)
		if err != nil {
			return nil, nil, err
		}
		return newState(), key, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	defer f.Close()
	sf, err := readStateFile(f)
	if err != nil {
		return nil, nil, fmt.Errorf("read state file %s: %w", path, err)
	}
	jobs := make(map[sqlval.UUID]*job, len(sf.Jobs))
	for _, b := range sf.Jobs {
		j, err := decodeJob(b)
		if err != nil {
			return nil, nil, fmt.Errorf("read state file %s: job: %w", path, err)
		}
		jobs[j.ID] = j
	}
	execs := make(map[int64]*Execution, len(sf.Execs))
	for _, b := range sf.Execs {
		x, err := decodeExec(b)
		if err != nil {
			return nil, nil, fmt.Errorf("read state file %s: execution: %w", path, err)
		}
		execs[x.Key] = x
	}
	if len(jobs) != len(sf.Jobs) || len(execs) != len(sf.Execs) {
		return nil, nil, fmt.Errorf("read state file %s: corrupt: duplicate keys", path)
	}
	if err := checkLoaded(sf); err != nil {
		return nil, nil, fmt.Errorf("read state file %s: %w", path, err)
	}
	st := fromFile(sf, jobs, execs)
	sealed := false
	for _, c := range st.Credentials {
		sealed = sealed || c.Sealed != nil
	}
	// A missing key is only created when no secret depends on it.
	key, err := loadKey(keyPath(path), !sealed)
	if err != nil {
		return nil, nil, fmt.Errorf("read state file %s: %w", path, err)
	}
	for _, c := range st.Credentials {
		if c.Sealed == nil {
			continue
		}
		plain, err := unseal(key, c.Sealed)
		if err != nil {
			return nil, nil, fmt.Errorf("read state file %s: credential %q: %w", path, c.Name, err)
		}
		c.secret = secret{&plain}
	}
	return st, key, nil
}

// readStateFile decodes a state file. One of format 2 must match its checksum before it is decoded.
func readStateFile(f *os.File) (*stateFile, error) {
	var h header
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&h); err != nil {
		return nil, fmt.Errorf("corrupt or truncated: %w", err)
	}
	var body io.Reader = f
	switch h.Format {
	case stateFormatV1:
	case stateFormat:
		n, err := checkSum(f)
		if err != nil {
			return nil, err
		}
		body = io.LimitReader(f, n)
	default:
		return nil, fmt.Errorf("unknown format %q", h.Format)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return decodeState(body, h.Format)
}

// checkSum verifies the SHA-256 trailer of a state file and returns the length of what it covers.
func checkSum(f *os.File) (int64, error) {
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	n := info.Size() - sha256.Size
	if n <= 0 {
		return 0, errors.New("corrupt or truncated: no checksum")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	sum := sha256.New()
	if _, err := io.CopyN(sum, f, n); err != nil {
		return 0, fmt.Errorf("corrupt or truncated: %w", err)
	}
	want := make([]byte, sha256.Size)
	if _, err := io.ReadFull(f, want); err != nil {
		return 0, fmt.Errorf("corrupt or truncated: %w", err)
	}
	if !bytes.Equal(sum.Sum(nil), want) {
		return 0, errors.New("damaged: its SHA-256 checksum does not match its content; restore the file from a copy, or remove it to start with an empty job database")
	}
	return n, nil
}

// decodeState decodes the header, which must name format, and the stateFile; nothing may follow.
func decodeState(r io.Reader, format string) (*stateFile, error) {
	br := bufio.NewReader(r)
	dec := gob.NewDecoder(br)
	var h header
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("corrupt or truncated: %w", err)
	}
	if h.Format != format {
		return nil, errors.New("corrupt: the header changed while reading")
	}
	var sf stateFile
	if err := dec.Decode(&sf); err != nil {
		return nil, fmt.Errorf("corrupt or truncated: %w", err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, errors.New("corrupt: trailing data")
	}
	return &sf, nil
}

// checkLoaded rejects a decoded state that breaks the model's invariants.
func checkLoaded(st *stateFile) error {
	for id, g := range st.Groups {
		if g == nil || g.ID != id {
			return fmt.Errorf("corrupt: target group entry %s", id)
		}
	}
	for id, t := range st.Targets {
		if t == nil || t.ID != id {
			return fmt.Errorf("corrupt: target entry %s", id)
		}
	}
	for k, c := range st.Credentials {
		if c == nil || fold(c.Name) != k {
			return fmt.Errorf("corrupt: credential entry %q", k)
		}
	}
	for k, sc := range st.Schemas {
		if sc == nil || fold(sc.Name) != k {
			return fmt.Errorf("corrupt: schema entry %q", k)
		}
	}
	for k, t := range st.Tables {
		if t == nil || fold(t.Schema+"."+t.Name) != k {
			return fmt.Errorf("corrupt: table entry %q", k)
		}
		for _, r := range t.Rows {
			if len(r) != len(t.Cols) {
				return fmt.Errorf("corrupt: table %q row width", k)
			}
		}
	}
	return nil
}

func loadKey(path string, create bool) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != 32 {
			return nil, fmt.Errorf("read key file %s: corrupt: want 32 bytes, have %d", path, len(key))
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) || !create {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate seal key: %w", err)
	}
	if err := writeAtomic(path, func(w io.Writer) error { _, err := w.Write(key); return err }); err != nil {
		return nil, fmt.Errorf("write key file %s: %w", path, err)
	}
	return key, nil
}

// save writes the state atomically (temp file, fsync, rename, directory fsync), followed by the
// SHA-256 of everything written before it.
func save(path string, st *state, c *blobCache) error {
	return writeAtomic(path, func(w io.Writer) error {
		sum := sha256.New()
		bw := bufio.NewWriterSize(io.MultiWriter(w, sum), 1<<16)
		enc := gob.NewEncoder(bw)
		if err := enc.Encode(header{Format: stateFormat}); err != nil {
			return err
		}
		if err := enc.Encode(st.file(c)); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		_, err := w.Write(sum.Sum(nil))
		return err
	})
}

// tempPrefixes are the names writeAtomic's temporary files start with, for the state file and
// its key; a number follows.
func tempPrefixes(path string) []string {
	return []string{filepath.Base(path) + ".tmp", filepath.Base(keyPath(path)) + ".tmp"}
}

// removeStaleTemps deletes the temporary files that a process stopped in the middle of a save left
// beside the state file. The caller holds the state file's lock, so no save is under way.
func removeStaleTemps(path string) error {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		for _, prefix := range tempPrefixes(path) {
			rest, ok := strings.CutPrefix(e.Name(), prefix)
			if !ok || rest == "" || strings.Trim(rest, "0123456789") != "" || !e.Type().IsRegular() {
				continue
			}
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

func writeAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPrefixes(path)[0]+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// seal encrypts a secret with AES-256-GCM under key; the nonce is prepended.
func seal(key []byte, plain string) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return gcm.Seal(nonce, nonce, []byte(plain), nil), nil
}

func unseal(key, sealed []byte) (string, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	if len(sealed) < gcm.NonceSize() {
		return "", errors.New("sealed secret too short")
	}
	plain, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], nil)
	if err != nil {
		return "", fmt.Errorf("unseal secret (wrong key file?): %w", err)
	}
	return string(plain), nil
}

package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// tree is a folder given to Load, or the folder of a file given to it. Every file the loader reads
// for it (spec files, commandFiles, the ignore file) must resolve, symbolic links included, to a
// path inside it, so that a spec under review cannot make ejops read /proc/self/environ or
// ../../etc/passwd.
type tree struct {
	path string // as given, for messages
	real string // absolute, with symbolic links resolved
	err  error  // why the folder itself cannot be resolved
}

// newTree resolves the folder p.
func newTree(p string) *tree {
	t := &tree{path: p}
	abs, err := filepath.Abs(p)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	t.real, t.err = abs, err
	return t
}

// errOutside is returned for a path that resolves outside its tree.
var errOutside = errors.New("outside the folder ejops reads")

// resolve returns path with its symbolic links resolved, or errOutside when it lands outside t.
func (t *tree) resolve(path string) (string, error) {
	if t.err != nil {
		return "", t.err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(t.real, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", errOutside
	}
	return real, nil
}

// read reads the regular file at path, of at most limit bytes, when it resolves to a file inside t.
func (t *tree) read(path string, limit int64) ([]byte, error) {
	real, err := t.resolve(path)
	if err != nil {
		return nil, err
	}
	return ReadFile(real, limit)
}

// stat returns the resolved path of a file inside t and its information.
func (t *tree) stat(path string) (string, os.FileInfo, error) {
	real, err := t.resolve(path)
	if err != nil {
		return "", nil, err
	}
	fi, err := os.Stat(real)
	return real, fi, err
}

// isAbsolute reports whether p, as written in a spec, is absolute on any system: a leading slash
// or backslash, or a volume name.
func isAbsolute(p string) bool {
	return filepath.IsAbs(p) || strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || filepath.VolumeName(p) != ""
}

package spec

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	ignore "github.com/sabhiram/go-gitignore"
)

// IgnoreFile is the name of the file, at the root of a folder given to Load, whose gitignore
// patterns leave paths under that folder out.
const IgnoreFile = ".ejopsignore"

// specFile is a file to read, the folder argument it was found under (-1 when it was named), and
// the tree it must stay inside.
type specFile struct {
	path   string
	folder int
	tree   *tree
}

// folderArg is a folder given to Load, and what its files held.
type folderArg struct {
	path    string
	specs   bool // a file under it holds a spec, or an error was reported for one
	skipped int  // documents of other tools under it
}

// find expands paths into the files to read, in a stable order: a named file as it is, a folder
// searched recursively for *.yaml and *.yml in any case, without hidden files and folders and
// without the paths that its ignore file and the loader's exclude patterns name.
func (l *loader) find(paths []string, ds *Diagnostics) ([]specFile, []folderArg) {
	var files []specFile
	var folders []folderArg
	seen := map[string]bool{}
	add := func(p string, folder int, t *tree) {
		if c := filepath.Clean(p); !seen[c] {
			seen[c] = true
			files = append(files, specFile{c, folder, t})
		}
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			ds.Add(Pos{File: l.display(p)}, Error, CodeRead, "cannot read path: %s", ioReason(err))
			continue
		}
		if !fi.IsDir() {
			add(p, -1, newTree(filepath.Dir(p)))
			continue
		}
		t := newTree(p)
		found := l.walk(t, ds)
		if len(found) == 0 {
			ds.Add(Pos{File: l.display(p)}, Error, CodeNoSpecs, "no *.yaml or *.yml files in this folder")
			continue
		}
		folders = append(folders, folderArg{path: p})
		for _, f := range found {
			add(f, len(folders)-1, t)
		}
	}
	return files, folders
}

// walk returns the YAML files under the folder of tree t, sorted. It leaves out hidden files and
// folders, which tools keep their own files in (.git, .github, a mounted ConfigMap's ..data), and
// the paths its ignore file and the exclude patterns name; it lists or counts them, but for .git,
// with the links to folders it does not follow. A folder argument that is a symbolic link, as
// git-sync's is, is followed.
func (l *loader) walk(t *tree, ds *Diagnostics) []string {
	root, start := t.path, t.path
	if fi, err := os.Lstat(root); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		start = root + string(filepath.Separator)
	}
	ignored := l.ignorer(t, ds)
	var found []string
	err := filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			ds.Add(Pos{File: l.display(path)}, Error, CodeRead, "cannot read folder: %s", ioReason(err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if path == start {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		switch {
		case strings.HasPrefix(d.Name(), "."):
			if d.Name() != ".git" && (d.IsDir() || isYAML(path)) {
				l.hidden = append(l.hidden, l.display(path))
			}
			if d.IsDir() {
				return fs.SkipDir
			}
		case err == nil && ignored.MatchesPath(filepath.ToSlash(rel)):
			if d.IsDir() {
				l.excluded++
				return fs.SkipDir
			}
			if isYAML(path) {
				l.excluded++
			}
		case d.IsDir():
		case d.Type()&fs.ModeSymlink != 0 && isDir(path):
			l.linkedFolders++
		case isYAML(path):
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		ds.Add(Pos{File: l.display(root)}, Error, CodeRead, "cannot read folder: %s", ioReason(err))
	}
	sort.Strings(found)
	return found
}

// IsSpecFileName reports whether the loader reads a file of this name that it finds in a folder:
// *.yaml or *.yml in any case, not hidden.
func IsSpecFileName(name string) bool {
	return isYAML(name) && !strings.HasPrefix(name, ".")
}

// isYAML reports whether a file name ends in .yaml or .yml, in any case.
func isYAML(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// isDir reports whether path leads to a folder.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// ignorer compiles the patterns that leave paths under folder root out: the lines of its ignore
// file, when it has one, then the loader's exclude patterns. Patterns match paths relative to root
// in gitignore syntax; a folder that matches is not searched.
func (l *loader) ignorer(t *tree, ds *Diagnostics) *ignore.GitIgnore {
	var lines []string
	path := filepath.Join(t.path, IgnoreFile)
	data, err := t.read(path, MaxFileSize)
	switch {
	case err == nil:
		lines = strings.Split(string(data), "\n")
	case errors.Is(err, errOutside):
		ds.Add(Pos{File: l.display(path)}, Error, CodeOutside, "%s", l.outside("file", t))
	case !errors.Is(err, fs.ErrNotExist):
		ds.Add(Pos{File: l.display(path)}, Error, CodeRead, "cannot read file: %s", ioReason(err))
	}
	return ignore.CompileIgnoreLines(append(lines, l.exclude...)...)
}

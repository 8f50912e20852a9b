package spec

import (
	"cmp"
	"slices"
	"strconv"
	"sync"
)

// fieldPaths numbers the dotted field paths, such as "spec.steps[1].timeout", whose positions the
// documents of one load record. The documents share it, so each path is stored once however many
// documents hold it, and a document keeps only path numbers and line and column numbers
// (fieldPositions). Number 0 is the document itself, the empty path.
type fieldPaths struct {
	mu     sync.Mutex
	child  map[pathStep]uint32 // the number of a path by its parent's number and last step
	byPath map[string]uint32
	paths  []string // by number
}

// pathStep is one step down from the path numbered parent: to the mapping key key, or, when
// index >= 0, to the list item index.
type pathStep struct {
	parent uint32
	index  int
	key    string
}

func newFieldPaths() *fieldPaths {
	return &fieldPaths{child: map[pathStep]uint32{}, byPath: map[string]uint32{"": 0}, paths: []string{""}}
}

// step returns the number of the path one step s down from s.parent, numbering it on first use.
func (t *fieldPaths) step(s pathStep) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.child[s]; ok {
		return id
	}
	parent := t.paths[s.parent]
	var p string
	switch {
	case s.index >= 0:
		p = parent + "[" + strconv.Itoa(s.index) + "]"
	case parent == "":
		p = s.key
	default:
		p = parent + "." + s.key
	}
	id, ok := t.byPath[p]
	if !ok {
		id = uint32(len(t.paths))
		t.paths = append(t.paths, p)
		t.byPath[p] = id
	}
	t.child[s] = id
	return id
}

// path returns the dotted path numbered id.
func (t *fieldPaths) path(id uint32) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.paths[id]
}

// lookup returns the number of path p, and false when no document recorded it.
func (t *fieldPaths) lookup(p string) (uint32, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	id, ok := t.byPath[p]
	return id, ok
}

// fieldPositions are the positions of the fields of one document, in the document's file,
// sorted by path number once the document is decoded.
type fieldPositions struct {
	paths *fieldPaths
	at    []fieldAt
}

// fieldAt is the line and column of the field whose path is numbered path.
type fieldAt struct {
	path      uint32
	line, col int32
}

// add records the position of the field numbered path.
func (f *fieldPositions) add(path uint32, line, col int) {
	f.at = append(f.at, fieldAt{path: path, line: int32(line), col: int32(col)})
}

// seal sorts the positions by path and drops repeats (a field read twice), keeping them in a
// slice of their own size.
func (f *fieldPositions) seal() {
	slices.SortFunc(f.at, func(a, b fieldAt) int { return cmp.Compare(a.path, b.path) })
	f.at = slices.Clone(slices.CompactFunc(f.at, func(a, b fieldAt) bool { return a.path == b.path }))
}

// find returns the line and column of the field at dotted path p, and false when it was not read.
func (f *fieldPositions) find(p string) (line, col int, ok bool) {
	if f.paths == nil {
		return 0, 0, false
	}
	id, ok := f.paths.lookup(p)
	if !ok {
		return 0, 0, false
	}
	i, ok := slices.BinarySearchFunc(f.at, id, func(a fieldAt, id uint32) int { return cmp.Compare(a.path, id) })
	if !ok {
		return 0, 0, false
	}
	return int(f.at[i].line), int(f.at[i].col), true
}

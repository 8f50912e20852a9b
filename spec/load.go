package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MaxFileSize is the size of the largest spec file the loader reads.
const MaxFileSize = 8 << 20

// Options change what Load reads.
type Options struct {
	// Exclude holds gitignore patterns that leave paths out under each folder given to Load, read
	// as if they followed the lines of the folder's ignore file (IgnoreFile).
	Exclude []string

	limits *limits // nil for the default limits
}

// Load reads every spec under paths with the default Options.
func Load(paths ...string) (*Set, Diagnostics) {
	return Options{}.Load(paths...)
}

// Load reads every spec under paths (files, or folders searched recursively for *.yaml and *.yml in
// any case, skipping hidden files and folders and the paths that the folder's IgnoreFile or
// o.Exclude name, and not following links to folders, all of which the Set records),
// checks each document against the JSON Schema and the job database's rules, and returns the
// objects of the valid documents with every problem found. Documents of other tools, such as
// compose files and Kubernetes manifests, are skipped and counted in Set.Skipped; a folder that
// holds such documents and no spec is an error. File names in positions are relative to the
// current directory. Load never stops at the first problem.
func (o Options) Load(paths ...string) (*Set, Diagnostics) {
	l := newLoader(o)
	var ds Diagnostics
	files, folders := l.find(paths, &ds)
	results := l.parseAll(files)

	set := &Set{Files: len(files), Hidden: l.hidden, Excluded: l.excluded, LinkedFolders: l.linkedFolders}
	var docs []*document
	for i, r := range results {
		ds = append(ds, r.diags...)
		for _, d := range r.docs {
			ds = append(ds, d.diags...)
		}
		docs = append(docs, r.docs...)
		set.Skipped += r.skipped
		if f := files[i].folder; f >= 0 {
			folders[f].skipped += r.skipped
			folders[f].specs = folders[f].specs || len(r.docs) > 0 || r.diags.HasErrors()
		}
	}
	for _, f := range folders {
		switch {
		case f.specs:
		case f.skipped == 1:
			ds.Add(Pos{File: l.display(f.path)}, Error, CodeNoSpecs, "no ejops specs in this folder (1 document of another tool skipped)")
		case f.skipped > 1:
			ds.Add(Pos{File: l.display(f.path)}, Error, CodeNoSpecs, "no ejops specs in this folder (%d documents of other tools skipped)", f.skipped)
		}
	}
	set.collect(docs)
	check(set, docs, &ds)
	ds.Sort()
	return set, ds.limit(l.limits.fileDiags, l.limits.diags)
}

// newLoader returns a loader with the options o.
func newLoader(o Options) *loader {
	cwd, _ := os.Getwd()
	l := &loader{cwd: cwd, exclude: o.Exclude, limits: defaultLimits, paths: newFieldPaths()}
	if o.limits != nil {
		l.limits = *o.limits
	}
	return l
}

// parseAll parses the files and checks their spec documents. Files are parsed in parallel, and
// their documents checked in parallel as they are parsed, so one large file still uses every core
// for the schema and the decoding passes.
func (l *loader) parseAll(files []specFile) []fileResult {
	workers := runtime.GOMAXPROCS(0)
	docsIn := make(chan *document, 4*workers)
	var checked sync.WaitGroup
	for range workers {
		checked.Go(func() {
			for d := range docsIn {
				l.process(d)
			}
		})
	}
	results := make([]fileResult, len(files))
	next := make(chan int)
	var parsed sync.WaitGroup
	for range min(workers, len(files)) {
		parsed.Go(func() {
			for i := range next {
				results[i] = l.parseFile(files[i], docsIn)
			}
		})
	}
	for i := range files {
		next <- i
	}
	close(next)
	parsed.Wait()
	close(docsIn)
	checked.Wait()
	return results
}

// collect adds the objects of the valid documents to set in order, counting every document; the
// first Agent wins (a second one is reported by the checks).
func (set *Set) collect(docs []*document) {
	for _, d := range docs {
		set.Documents++
		if !d.valid {
			continue
		}
		switch o := d.obj.(type) {
		case *Credential:
			set.Credentials = append(set.Credentials, o)
		case *TargetGroup:
			set.TargetGroups = append(set.TargetGroups, o)
		case *Job:
			set.Jobs = append(set.Jobs, o)
		case *Agent:
			if set.Agent == nil {
				set.Agent = o
			}
		}
	}
}

type loader struct {
	cwd     string
	exclude []string // gitignore patterns of paths to leave out under folder arguments
	limits  limits
	counted docCounter  // documents read in this run
	paths   *fieldPaths // the field paths of the documents read

	hidden                  []string // hidden files and folders left out, as displayed
	excluded, linkedFolders int      // paths left out by ignore patterns, links to folders not followed
}

// display returns the path to show in positions: relative to the current directory, slash-separated.
func (l *loader) display(p string) string {
	if l.cwd != "" {
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(l.cwd, p)
		}
		if rel, err := filepath.Rel(l.cwd, abs); err == nil {
			p = rel
		}
	}
	return filepath.ToSlash(p)
}

// ioReason returns the cause of a file system error without the path it names.
func ioReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}

// fileResult is what one file holds: its spec documents, the problems found outside them, and how
// many documents of other tools it holds.
type fileResult struct {
	docs    []*document
	diags   Diagnostics
	skipped int
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseFile reads one file and splits it into documents, which it hands to process.
func (l *loader) parseFile(f specFile, process chan<- *document) (r fileResult) {
	file := l.display(f.path)
	filePos := Pos{File: file}
	real, fi, err := f.tree.stat(f.path)
	switch {
	case errors.Is(err, errOutside):
		r.diags.Add(filePos, Error, CodeOutside, "%s", l.outside("file", f.tree))
		return r
	case err != nil:
		r.diags.Add(filePos, Error, CodeRead, "cannot read file: %s", ioReason(err))
		return r
	case !fi.Mode().IsRegular():
		// Opening a named pipe or a device could block or never end: report it unopened.
		r.diags.Add(filePos, Error, CodeRead, "cannot read file: %s", ErrNotRegular)
		return r
	case fi.Size() > MaxFileSize:
		r.diags.Add(filePos, Error, CodeTooLarge, "file is %d bytes; spec files are limited to %d bytes", fi.Size(), MaxFileSize)
		return r
	}
	data, err := ReadFile(real, MaxFileSize)
	if err != nil {
		r.diags.Add(filePos, Error, CodeRead, "cannot read file: %s", ioReason(err))
		return r
	}
	return l.parseBytes(file, f, data, process)
}

// outside says that what resolves outside tree t.
func (l *loader) outside(what string, t *tree) string {
	folder := l.display(t.path)
	if folder == "." {
		folder = "the current folder"
	}
	return fmt.Sprintf("%s resolves to a path outside %s; ejops reads only files inside the folders it is given", what, folder)
}

// parseBytes splits one file's contents into documents and hands each spec to process; with a nil
// channel it checks them itself. Documents of other tools are counted and dropped; so is a file that
// cannot be parsed unless it looks like a spec.
func (l *loader) parseBytes(file string, f specFile, data []byte, process chan<- *document) (r fileResult) {
	if !utf8.Valid(data) {
		r.unparsed(data, invalidUTF8Pos(file, data), CodeEncoding, "file is not valid UTF-8")
		return r
	}
	lines := &lineIndex{data: data}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var empty []Pos
	unread := false // the limits left documents unread
	for read := 1; ; read++ {
		var n yaml.Node
		err := safeDecode(dec, &n)
		if err == io.EOF {
			break
		}
		if err != nil {
			d := syntaxError(file, data, err)
			r.unparsed(data, d.Pos, d.Code, d.Message)
			break
		}
		if !l.countDocument(read, Pos{File: file, Line: n.Line, Col: max(n.Column, 1)}, &r.diags) {
			unread = true
			break
		}
		if len(n.Content) == 0 || isEmpty(n.Content[0]) {
			empty = append(empty, Pos{File: file, Line: n.Line, Col: max(n.Column, 1)})
			continue
		}
		if !isSpec(n.Content[0]) {
			r.skipped++
			continue
		}
		d := &document{l: l, file: file, path: f.path, tree: f.tree, lines: lines, root: n.Content[0]}
		d.pos = nodePos(file, d.root)
		r.docs = append(r.docs, d)
		if process != nil {
			process <- d
		} else {
			l.process(d)
		}
	}
	// Stray separators in another tool's file are its business.
	if len(r.docs) > 0 || r.skipped == 0 {
		for _, p := range empty {
			r.diags.Add(p, Warning, CodeEmpty, "empty document")
		}
	}
	if len(r.docs) == 0 && len(r.diags) == 0 && r.skipped == 0 && !unread {
		r.diags.Add(Pos{File: file}, Warning, CodeEmpty, "file holds no documents")
	}
	return r
}

// unparsed reports an error that stops the parse of a file, at pos, when the file holds specs before
// it or looks like a spec; otherwise the rest of the file is counted as one skipped document.
func (r *fileResult) unparsed(data []byte, pos Pos, code, msg string) {
	if len(r.docs) > 0 || looksLikeSpec(data) {
		r.diags = append(r.diags, Diagnostic{Pos: pos, Severity: Error, Code: code, Message: msg})
		return
	}
	r.skipped++
}

// Errors of ReadFile.
var (
	ErrNotRegular = errors.New("not a regular file")
	ErrTooLarge   = errors.New("file is too large")
)

// tooLarge is ReadFile's error for a file of more than limit bytes.
type tooLarge struct{ limit int64 }

func (e tooLarge) Error() string        { return fmt.Sprintf("file is larger than %d bytes", e.limit) }
func (e tooLarge) Is(target error) bool { return target == ErrTooLarge }

// ReadFile reads a regular file of at most limit bytes. It stats the path before opening it, and
// opens it without blocking, so a named pipe, even one swapped in between, is refused
// (ErrNotRegular), not waited on; a larger file is refused with ErrTooLarge.
func ReadFile(path string, limit int64) ([]byte, error) {
	// A path that cannot be stated cannot be opened either: open says why.
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, ErrNotRegular
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, ErrNotRegular
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge{limit}
	}
	return data, nil
}

// safeDecode decodes the next document; a panic in the YAML parser becomes an error.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("yaml: cannot parse: %v", p)
		}
	}()
	return dec.Decode(n)
}

func isEmpty(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null" && (n.Value == "" || n.Value == "~" || n.Value == "null")
}

func invalidUTF8Pos(file string, data []byte) Pos {
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return Pos{File: file, Line: line, Col: col}
}

// syntaxError turns a YAML parser error into a positioned diagnostic, with a plainer message for tabs.
func syntaxError(file string, data []byte, err error) Diagnostic {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	pos := Pos{File: file}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		msg = m[2]
		pos.Line = n
		text := lineText(data, n)
		pos.Col = 1
		for i, r := range []rune(text) {
			if r != ' ' {
				pos.Col = i + 1
				break
			}
		}
		if i := strings.IndexByte(text, '\t'); i >= 0 && strings.TrimLeft(text[:i], " -") == "" {
			pos.Col = utf8.RuneCountInString(text[:i]) + 1
			msg = "tab character in indentation; YAML indents with spaces"
		}
	}
	if pos.Line == 0 {
		if i := bytes.IndexFunc(data, func(r rune) bool {
			return r < ' ' && r != '\t' && r != '\n' && r != '\r' || r == 0x7f
		}); i >= 0 {
			l, c := offsetLineCol(string(data), i)
			pos.Line, pos.Col = l, c
		}
	}
	return Diagnostic{Pos: pos, Severity: Error, Code: CodeSyntax, Message: "invalid YAML: " + msg}
}

// lineText returns line n (1-based) of data without its line break.
func lineText(data []byte, n int) string {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			return ""
		}
		data = data[j+1:]
	}
	if j := bytes.IndexByte(data, '\n'); j >= 0 {
		data = data[:j]
	}
	return strings.TrimRight(string(data), "\r")
}

func nodePos(file string, n *yaml.Node) Pos {
	return Pos{File: file, Line: n.Line, Col: n.Column}
}

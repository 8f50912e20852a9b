package spec

import (
	"fmt"
	"sync/atomic"
)

// Limits of the work one Load does and of the findings it lists, so that hostile input, such as a
// file of a million one-line documents, fails fast with a clear error instead of taking minutes
// and gigabytes.
const (
	MaxFileDocuments   = 10_000  // YAML documents read from one file
	MaxDocuments       = 100_000 // YAML documents read in one run
	MaxFileDiagnostics = 1_000   // diagnostics listed for one file (and checked in one document)
	MaxDiagnostics     = 10_000  // diagnostics listed in one run
)

// limits are the limits one loader applies; tests lower them.
type limits struct {
	fileDocs, docs, fileDiags, diags int
}

var defaultLimits = limits{MaxFileDocuments, MaxDocuments, MaxFileDiagnostics, MaxDiagnostics}

// docCounter counts the documents of one run across the files parsed in parallel.
type docCounter struct {
	n        atomic.Int64
	reported atomic.Bool
}

// countDocument counts one more document of a file that has read n so far and says whether the
// limits let it be read; when they do not, it reports why at pos, once per run for the run limit.
func (l *loader) countDocument(n int, pos Pos, ds *Diagnostics) bool {
	if n > l.limits.fileDocs {
		ds.Add(pos, Error, CodeLimit, "more than %d documents in this file; ejops reads at most %d per file, so the rest is not read: split the file", l.limits.fileDocs, l.limits.fileDocs)
		return false
	}
	if l.counted.n.Add(1) > int64(l.limits.docs) {
		if l.counted.reported.CompareAndSwap(false, true) {
			ds.Add(pos, Error, CodeLimit, "more than %d documents in all; ejops reads at most %d per run, so the rest is not read", l.limits.docs, l.limits.docs)
		}
		return false
	}
	return true
}

// Limited returns ds, which must be sorted, with at most MaxFileDiagnostics diagnostics for each
// file and MaxDiagnostics in all: the rest of a file's, or of the run's, are counted in one
// diagnostic at the position of the first one left out. Its severity is the highest of those it
// counts, so the exit status does not change. The errors that say why input was not read are always
// kept. Limiting a limited list again, with more diagnostics added, counts the earlier notes in.
func (ds Diagnostics) Limited() Diagnostics {
	return ds.limit(MaxFileDiagnostics, MaxDiagnostics)
}

// limit is Limited with the given limits.
func (ds Diagnostics) limit(perFile, total int) Diagnostics {
	var out Diagnostics
	var fold *omitted // the note of the diagnostics being left out, if any
	file, inFile, kept := "", 0, 0
	for _, d := range ds {
		if d.Pos.File != file && (fold == nil || !fold.run) {
			fold.flush(&out)
			fold, file, inFile = nil, d.Pos.File, 0
		}
		note, isNote := parseOmitted(d)
		switch {
		case d.Code == CodeLimit && !isNote:
			out = append(out, d) // why input was left unread is always listed
			continue
		case fold != nil:
			fold.add(d, note, isNote)
			continue
		case isNote:
			fold = &omitted{pos: d.Pos, run: note.run, perFile: perFile, total: total}
		case kept >= total:
			fold = &omitted{pos: d.Pos, run: true, perFile: perFile, total: total}
		case inFile >= perFile:
			fold = &omitted{pos: d.Pos, perFile: perFile, total: total}
		default:
			out = append(out, d)
			inFile++
			kept++
			continue
		}
		fold.add(d, note, isNote)
	}
	fold.flush(&out)
	out.Sort()
	return out
}

// omitted counts the diagnostics left out of a file, or of the rest of the run.
type omitted struct {
	pos                   Pos
	run                   bool
	errors, warnings, all int
	perFile, total        int
}

// add counts d, or the diagnostics that d, a note of earlier left-out ones, counts.
func (o *omitted) add(d Diagnostic, note omitted, isNote bool) {
	if !isNote {
		note = omitted{all: 1}
		switch d.Severity {
		case Error:
			note.errors = 1
		case Warning:
			note.warnings = 1
		}
	}
	o.errors += note.errors
	o.warnings += note.warnings
	o.all += note.all
}

// flush appends the note, if any, to out.
func (o *omitted) flush(out *Diagnostics) {
	if o == nil {
		return
	}
	sev := Info
	switch {
	case o.errors > 0:
		sev = Error
	case o.warnings > 0:
		sev = Warning
	}
	if o.run {
		out.Add(o.pos, sev, CodeLimit, omittedRun+"; ejops lists at most %d per run", o.all, o.errors, o.warnings, o.total)
	} else {
		out.Add(o.pos, sev, CodeLimit, omittedFile+"; ejops lists at most %d per file", o.all, o.errors, o.warnings, o.perFile)
	}
}

// The messages of the notes of omitted diagnostics, which parseOmitted reads back.
const (
	omittedFile = "%d more diagnostics in this file from here on (%d errors, %d warnings) are not listed"
	omittedRun  = "%d more diagnostics from here on (%d errors, %d warnings) are not listed"
)

// parseOmitted reads the counts of a note that an earlier limit wrote.
func parseOmitted(d Diagnostic) (omitted, bool) {
	if d.Code != CodeLimit {
		return omitted{}, false
	}
	var o omitted
	if _, err := fmt.Sscanf(d.Message, omittedFile, &o.all, &o.errors, &o.warnings); err == nil {
		return o, true
	}
	if _, err := fmt.Sscanf(d.Message, omittedRun, &o.all, &o.errors, &o.warnings); err == nil {
		o.run = true
		return o, true
	}
	return omitted{}, false
}

// Package view renders what the ejops commands print. Each command has a view built on a common
// View that holds the output streams, the colours and the form (text, JSON, …) chosen by --format;
// the command's constructor picks the form's implementation, so the commands only say what
// happened and never format output themselves.
package view

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ejops/ejops/spec"
)

// Format is the form of a command's output.
type Format string

// Forms of output. Each command accepts some of them.
const (
	Text   Format = "text"
	JSON   Format = "json"
	GitHub Format = "github" // GitHub Actions workflow commands
	SARIF  Format = "sarif"
)

// ParseFormat returns the form named by a --format value, which must be one of allowed.
func ParseFormat(s string, allowed ...Format) (Format, error) {
	f := Format(strings.ToLower(s))
	if slices.Contains(allowed, f) {
		return f, nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return "", fmt.Errorf("unknown --format %q; want %s", f, strings.Join(names, ", "))
}

// View is the base of every command's view: product output goes to Stdout, messages to Stderr.
type View struct {
	Stdout, Stderr io.Writer
	Format         Format
	Colors         Colors
	// Live allows progress lines redrawn in place on Stderr: it is a terminal that can do it.
	Live bool
}

// New returns a view writing to stdout and stderr in format, coloured when colour is set.
func New(stdout, stderr io.Writer, format Format, colour bool) *View {
	v := &View{Stdout: stdout, Stderr: stderr, Format: format}
	if colour {
		v.Colors = ANSI
	}
	return v
}

// Diagnostics lists spec diagnostics on stderr, one a line.
func (v *View) Diagnostics(ds spec.Diagnostics) {
	for _, d := range ds {
		fmt.Fprintln(v.Stderr, Escape(d.String()))
	}
}

// Escape makes text from specs or the job database safe to print on a terminal: control
// characters (ESC, CR, NUL, DEL, C1), format characters (bidirectional overrides, zero-width
// characters), line and paragraph separators and invalid UTF-8 become Go escapes such as \x1b,
// \r and \u202e, so the text can neither move the cursor nor reorder or forge what a reviewer
// sees. Newlines and tabs stay: use EscapeLine for text that must stay on one line.
func Escape(s string) string { return escape(s, false) }

// EscapeLine is Escape for text shown on one line: newlines and tabs are escaped too.
func EscapeLine(s string) string { return escape(s, true) }

func escape(s string, oneLine bool) string {
	unsafe := func(r rune) bool {
		if r == '\n' || r == '\t' {
			return oneLine
		}
		return r == utf8.RuneError || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
	}
	if !strings.ContainsFunc(s, unsafe) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafe(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// escaper escapes what is written through it, for output that holds no colour of its own.
type escaper struct{ w io.Writer }

func (e escaper) Write(p []byte) (int, error) {
	if _, err := io.WriteString(e.w, Escape(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Count says "1 word" or "n words".
func Count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

package view

import (
	"bytes"
	"testing"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1;\n\tGO":              "SELECT 1;\n\tGO",
		"\x1b[2J\x1b]0;owned\x07":      `\x1b[2J\x1b]0;owned\a`,
		"ok\rPlan: 0 to add\x00\x7f":   `ok\rPlan: 0 to add\x00\x7f`,
		"a\u202eb\u2066c\u0085d\u2028": `a\u202eb\u2066c\u0085d\u2028`,
		"zero\u200bwidth":              `zero\u200bwidth`,
		"naïve — 日本":                   "naïve — 日本",
		"bad \xff byte":                `bad \xff byte`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEscaperKeepsTheWriterContract(t *testing.T) {
	var b bytes.Buffer
	n, err := escaper{&b}.Write([]byte("x\x1by\n"))
	if n != 4 || err != nil || b.String() != `x\x1by`+"\n" {
		t.Fatalf("Write = %d, %v; wrote %q", n, err, b.String())
	}
}

func TestEscapeLine(t *testing.T) {
	if got, want := EscapeLine("two\nlines\tand\x1b"), `two\nlines\tand\x1b`; got != want {
		t.Errorf("EscapeLine = %q, want %q", got, want)
	}
}

package view

import (
	"bytes"
	"testing"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1;\n\tGO":              "SELECT 1;\n\tGO",
		"\x1b[2J\x1b]0;owned\x07":      `\x1b[2J\x1b]0;owned\x07`,
		"ok\rPlan: 0 to add\x00\x7f":   `ok\x0dPlan: 0 to add\x00\x7f`,
		"a\u202eb\u2066c\u0085d\u2028": `a\u202eb\u2066c\x85d\u2028`,
		"naïve — 日本":                   "naïve — 日本",
		"bad \xff byte":                `bad \ufffd byte`,
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

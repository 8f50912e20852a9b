package sqlval

import (
	"strings"
	"unicode/utf8"
)

// The job database's collation compares strings case-insensitively and ignores trailing spaces.

// FoldRune is the form of r that the collation compares.
func FoldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	return []rune(strings.ToLower(string(r)))[0]
}

// FoldKey is the form of s that the collation compares: two strings are equal exactly when their
// keys are.
func FoldKey(s string) string {
	return strings.Map(FoldRune, strings.TrimRight(s, " "))
}

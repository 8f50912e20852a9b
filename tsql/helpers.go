package tsql

import (
	"strings"
	"unicode/utf8"
)

// VarRef is a $(name) scripting variable found inside a token's text.
type VarRef struct {
	Name   string // the name between the parentheses
	Offset int    // byte offset of the $ in the token's Text
	Line   int    // position of the $ in the input, 1-based
	Col    int
}

// ScriptVars returns the $(name) references in a token's text: the token itself for a ScriptVar,
// and every reference inside a String, QuotedIdent or BracketIdent (substitution is textual).
func ScriptVars(t Token) []VarRef {
	var refs []VarRef
	s := t.Text
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "$(")
		if j < 0 {
			break
		}
		i += j
		end, ok := scriptVar(s, i)
		if !ok {
			i += 2
			continue
		}
		line, col := t.PosAt(i)
		refs = append(refs, VarRef{Name: s[i+2 : end-1], Offset: i, Line: line, Col: col})
		i = end
	}
	return refs
}

// PosAt returns the line and column of byte offset off inside the token's Text.
func (t Token) PosAt(off int) (line, col int) {
	line, col = t.Line, t.Col
	if off > len(t.Text) {
		off = len(t.Text)
	}
	s := t.Text[:off]
	if k := strings.LastIndexByte(s, '\n'); k >= 0 {
		line += strings.Count(s, "\n")
		col = 1
		s = s[k+1:]
	}
	return line, col + utf8.RuneCountInString(s)
}

// Trivia reports whether the token carries no meaning for the parser: whitespace, a line break or
// a comment.
func (t Token) Trivia() bool {
	switch t.Kind {
	case Whitespace, Newline, LineComment, BlockComment:
		return true
	}
	return false
}

// Is reports whether the token is the keyword or identifier kw (given in upper case).
func (t Token) Is(kw string) bool { return t.Kind == Ident && t.Upper == kw }

// IsPunct reports whether the token is the punctuation p.
func (t Token) IsPunct(p string) bool { return t.Kind == Punct && t.Text == p }

var kindNames = [...]string{"Whitespace", "Newline", "LineComment", "BlockComment", "String", "QuotedIdent",
	"BracketIdent", "Ident", "Variable", "SysVariable", "Number", "Binary", "Punct", "ScriptVar",
	"BatchSeparator", "SqlcmdCommand"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(?)"
}

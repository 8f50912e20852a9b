package tsql

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// LexOptions changes how the lexer reads the input.
type LexOptions struct {
	// QuotedIdentifierOff reads "..." as a string, as SET QUOTED_IDENTIFIER OFF does.
	QuotedIdentifierOff bool
}

// LexWith is Lex with options.
func LexWith(src string, opts LexOptions) []Token {
	l := lexer{src: src, line: 1, col: 1, opts: opts, lineStart: true}
	l.toks = make([]Token, 0, len(src)/4+1)
	for l.pos < len(src) {
		l.next()
	}
	return l.toks
}

// Scan lexes src like LexWith and passes each token to f instead of collecting them, so a caller
// that keeps only some tokens allocates nothing for the rest.
func Scan(src string, opts LexOptions, f func(Token)) {
	l := lexer{src: src, line: 1, col: 1, opts: opts, lineStart: true, sink: f}
	for l.pos < len(src) {
		l.next()
	}
}

func lex(src string) []Token { return LexWith(src, LexOptions{}) }

type lexer struct {
	src       string
	pos       int
	line, col int
	opts      LexOptions
	toks      []Token
	lineStart bool // only whitespace since the start of the line
	sink      func(Token)
	unicode   bool // the token being emitted is an N'…' string
}

// emit adds the token src[l.pos:end] and advances the position past it.
func (l *lexer) emit(kind Kind, end int, bad bool) {
	text := l.src[l.pos:end]
	t := Token{Kind: kind, Text: text, Offset: l.pos, Line: l.line, Col: l.col, Bad: bad}
	for i := 0; i < len(text); {
		c := text[i]
		if c == '\n' {
			l.line++
			l.col = 1
			i++
			continue
		}
		if c < utf8.RuneSelf {
			i++
		} else {
			_, n := utf8.DecodeRuneInString(text[i:])
			i += n
		}
		l.col++
	}
	t.EndLine, t.EndCol = l.line, l.col
	t.Unicode, l.unicode = l.unicode, false
	if kind == Ident {
		t.Upper = upper(text)
	}
	if l.sink != nil {
		l.sink(t)
	} else {
		l.toks = append(l.toks, t)
	}
	l.pos = end
	switch kind {
	case Newline:
		l.lineStart = true
	case Whitespace:
	default:
		l.lineStart = false
	}
}

// upper upper-cases ASCII quickly and falls back to strings.ToUpper.
func upper(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToUpper(s)
		}
		if 'a' <= c && c <= 'z' {
			return strings.ToUpper(s)
		}
	}
	return s
}

func (l *lexer) next() {
	src, i := l.src, l.pos
	c := src[i]
	switch {
	case c == '\n':
		l.emit(Newline, i+1, false)
		return
	case c == '\r':
		if i+1 < len(src) && src[i+1] == '\n' {
			l.emit(Newline, i+2, false)
		} else {
			l.emit(Whitespace, i+1, false)
		}
		return
	case c == ' ' || c == '\t' || c == '\f' || c == '\v':
		j := i + 1
		for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\f' || src[j] == '\v') {
			j++
		}
		l.emit(Whitespace, j, false)
		return
	}
	if l.lineStart {
		if end, ok, bad := goLine(src, i); ok {
			l.emit(BatchSeparator, end, bad)
			return
		}
		if c == ':' && i+1 < len(src) && isASCIILetter(src[i+1]) || c == '!' && strings.HasPrefix(src[i:], "!!") {
			l.emit(SqlcmdCommand, lineEnd(src, i), false)
			return
		}
	}
	switch {
	case c == '-' && i+1 < len(src) && src[i+1] == '-':
		l.emit(LineComment, lineEnd(src, i), false)
	case c == '/' && i+1 < len(src) && src[i+1] == '*':
		end, ok := blockComment(src, i)
		l.emit(BlockComment, end, !ok)
	case c == '\'':
		end, ok := quoted(src, i, '\'')
		l.emit(String, end, !ok)
	case (c == 'N' || c == 'n') && i+1 < len(src) && src[i+1] == '\'':
		end, ok := quoted(src, i+1, '\'')
		l.unicode = true
		l.emit(String, end, !ok)
	case c == '"':
		end, ok := quoted(src, i, '"')
		if l.opts.QuotedIdentifierOff {
			l.emit(String, end, !ok)
		} else {
			l.emit(QuotedIdent, end, !ok)
		}
	case c == '[':
		end, ok := quoted(src, i, ']')
		l.emit(BracketIdent, end, !ok)
	case c == '@':
		if i+1 < len(src) && src[i+1] == '@' {
			j := identRest(src, i+2)
			l.emit(SysVariable, j, false)
			return
		}
		j := identRest(src, i+1)
		if j == i+1 {
			l.emit(Punct, i+1, false)
			return
		}
		l.emit(Variable, j, false)
	case c == '$' && i+1 < len(src) && src[i+1] == '(':
		if end, ok := scriptVar(src, i); ok {
			l.emit(ScriptVar, end, false)
			return
		}
		l.emit(Punct, i+1, false)
	case c == '0' && i+1 < len(src) && (src[i+1] == 'x' || src[i+1] == 'X'):
		j := i + 2
		for j < len(src) && isHex(src[j]) {
			j++
		}
		l.emit(Binary, j, false)
	case isDigit(c) || c == '.' && i+1 < len(src) && isDigit(src[i+1]):
		l.emit(Number, number(src, i), false)
	case c == '_' || c == '#' || isASCIILetter(c):
		l.emit(Ident, identRest(src, i+1), false)
	case c >= utf8.RuneSelf:
		r, n := utf8.DecodeRuneInString(src[i:])
		if r != utf8.RuneError && unicode.IsLetter(r) {
			l.emit(Ident, identRest(src, i+n), false)
			return
		}
		if r != utf8.RuneError && unicode.IsSpace(r) {
			l.emit(Whitespace, i+n, false)
			return
		}
		l.emit(Punct, i+n, false)
	default:
		l.emit(Punct, punct(src, i), false)
	}
}

var twoCharOps = [...]string{"<>", "!=", ">=", "<=", "!<", "!>", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "::", "||"}

func punct(src string, i int) int {
	if i+1 < len(src) {
		two := src[i : i+2]
		for _, op := range twoCharOps {
			if two == op {
				return i + 2
			}
		}
	}
	return i + 1
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool       { return '0' <= c && c <= '9' }
func isHex(c byte) bool         { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// identRest returns the end of the identifier characters starting at i.
func identRest(src string, i int) int {
	for i < len(src) {
		c := src[i]
		if c < utf8.RuneSelf {
			if isASCIILetter(c) || isDigit(c) || c == '_' || c == '@' || c == '#' || c == '$' {
				i++
				continue
			}
			return i
		}
		r, n := utf8.DecodeRuneInString(src[i:])
		if r == utf8.RuneError || !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)) {
			return i
		}
		i += n
	}
	return i
}

func number(src string, i int) int {
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	if i < len(src) && src[i] == '.' {
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			i = j
		}
	}
	return i
}

// lineEnd returns the offset of the line break at or after i (not included in the line).
func lineEnd(src string, i int) int {
	j := strings.IndexByte(src[i:], '\n')
	if j < 0 {
		return len(src)
	}
	end := i + j
	if end > i && src[end-1] == '\r' {
		end--
	}
	return end
}

// blockComment returns the end of the nesting comment that starts at i, and whether it is closed.
func blockComment(src string, i int) (int, bool) {
	depth := 0
	for i < len(src) {
		if src[i] == '/' && i+1 < len(src) && src[i+1] == '*' {
			depth++
			i += 2
			continue
		}
		if src[i] == '*' && i+1 < len(src) && src[i+1] == '/' {
			depth--
			i += 2
			if depth == 0 {
				return i, true
			}
			continue
		}
		i++
	}
	return len(src), false
}

// quoted returns the end of the quoted text that starts at i with an opening delimiter; a doubled
// closing delimiter is an escape.
func quoted(src string, i int, closer byte) (int, bool) {
	i++
	for i < len(src) {
		j := strings.IndexByte(src[i:], closer)
		if j < 0 {
			return len(src), false
		}
		i += j + 1
		if i < len(src) && src[i] == closer {
			i++
			continue
		}
		return i, true
	}
	return len(src), false
}

func scriptVar(src string, i int) (int, bool) {
	j := i + 2
	for j < len(src) && (isASCIILetter(src[j]) || isDigit(src[j]) || src[j] == '_' || src[j] == '-') {
		j++
	}
	if j == i+2 || j >= len(src) || src[j] != ')' {
		return 0, false
	}
	return j + 1, true
}

// goLine reports whether a GO batch separator starts at i (the first non-blank character of a line),
// where its token ends (the line end, or the start of a /* comment that follows it), and whether
// the line is malformed (GO; or GO followed by other text).
func goLine(src string, i int) (end int, ok, bad bool) {
	if i+1 >= len(src) || src[i]|0x20 != 'g' || src[i+1]|0x20 != 'o' {
		return 0, false, false
	}
	j := i + 2
	if j < len(src) {
		c := src[j]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '-' && j+1 < len(src) && src[j+1] == '-':
		case c == '/' && j+1 < len(src) && src[j+1] == '*':
		default:
			return 0, false, false
		}
	}
	end = lineEnd(src, i)
	rest := src[j:end]
	k := 0
	for k < len(rest) && (rest[k] == ' ' || rest[k] == '\t') {
		k++
	}
	word := 0 // end of GO and its count in rest
	if k < len(rest) && isDigit(rest[k]) && k > 0 {
		for k < len(rest) && isDigit(rest[k]) {
			k++
		}
		word = k
		for k < len(rest) && (rest[k] == ' ' || rest[k] == '\t') {
			k++
		}
	}
	if strings.HasPrefix(rest[k:], "/*") {
		// the token ends before the comment, which is lexed on its own and may span lines
		return j + word, true, false
	}
	if k < len(rest) && !strings.HasPrefix(rest[k:], "--") {
		bad = true
	}
	return end, true, bad
}

// GoCount returns the repeat count of a BatchSeparator token ("GO 3" is 3) and 1 when none is given.
func GoCount(t Token) int {
	if t.Kind != BatchSeparator || len(t.Text) < 2 {
		return 1
	}
	s := strings.TrimLeft(t.Text[2:], " \t")
	n, digits := 0, 0
	for digits < len(s) && isDigit(s[digits]) && n < 1<<30 {
		n = n*10 + int(s[digits]-'0')
		digits++
	}
	if digits == 0 {
		return 1
	}
	return n
}

func value(t Token) string {
	s := t.Text
	switch t.Kind {
	case String:
		if t.Unicode && len(s) > 0 {
			s = s[1:]
		}
		if len(s) == 0 {
			return ""
		}
		q := s[0]
		return unquote(s, q, q)
	case QuotedIdent:
		return unquote(s, '"', '"')
	case BracketIdent:
		return unquote(s, '[', ']')
	}
	return s
}

// unquote strips the delimiters of s (the closing one may be missing) and undoes doubled closers.
func unquote(s string, open, closer byte) string {
	if len(s) == 0 || s[0] != open {
		return s
	}
	s = s[1:]
	if len(s) > 0 && s[len(s)-1] == closer && !endsInEscape(s, closer) {
		s = s[:len(s)-1]
	}
	if strings.IndexByte(s, closer) < 0 {
		return s
	}
	dbl := string([]byte{closer, closer})
	return strings.ReplaceAll(s, dbl, string(closer))
}

// endsInEscape reports whether the trailing run of closers in s (delimiter included) has even
// length, meaning the token was unterminated and its last closers are escapes.
func endsInEscape(s string, closer byte) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == closer; i-- {
		n++
	}
	return n%2 == 0
}

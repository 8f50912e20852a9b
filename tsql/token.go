package tsql

// Kind is the kind of a token.
type Kind int

// Token kinds: the lexical elements of T-SQL, and the sqlcmd lines (GO, :setvar, :r, !!) that
// scripts mix into it.
const (
	Whitespace     Kind = iota // spaces and tabs
	Newline                    // \n or \r\n
	LineComment                // -- to end of line
	BlockComment               // /* ... */, nesting
	String                     // '...' or N'...'
	QuotedIdent                // "..."
	BracketIdent               // [...]
	Ident                      // keyword or identifier, including #temp and ##temp
	Variable                   // @x
	SysVariable                // @@x
	Number                     // 12, 1.5, 1e3
	Binary                     // 0x0A
	Punct                      // operators and punctuation: ( ) , ; . = <> >= += etc.
	ScriptVar                  // $(name)
	BatchSeparator             // a whole GO line (without its newline)
	SqlcmdCommand              // a whole :setvar / :r / !! line (without its newline)
)

// Token is one lexeme. Concatenating the Text of every token reproduces the input.
type Token struct {
	Kind    Kind
	Text    string // raw text
	Offset  int    // byte offset in the input
	Line    int    // 1-based
	Col     int    // 1-based, in runes
	EndLine int    // position just after the token
	EndCol  int
	Upper   string // upper-cased Text for Ident, empty otherwise
	Unicode bool   // String with an N prefix
	// Bad marks an unterminated string, comment or identifier, or a malformed GO line ("GO;").
	Bad bool
}

// Value returns a String's content with doubled quotes undone, or a quoted or bracketed
// identifier's name with its escapes undone; other tokens return their Text.
func (t Token) Value() string {
	return value(t)
}

// Lex splits src into tokens. It never fails: bad input becomes tokens with Bad set.
func Lex(src string) []Token {
	return lex(src)
}

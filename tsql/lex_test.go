package tsql

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// brief renders the non-trivia tokens as Kind:text, with ! for Bad and N for Unicode strings.
func brief(toks []Token) string {
	var parts []string
	for _, t := range toks {
		if t.Kind == Whitespace || t.Kind == Newline {
			continue
		}
		s := fmt.Sprintf("%s:%s", t.Kind, t.Text)
		if t.Bad {
			s += "!"
		}
		if t.Unicode {
			s += "N"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " | ")
}

func TestLexCases(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"nested comment hides GO", "/* a\n/* b\nGO\n*/ c */\nSELECT 1",
			"BlockComment:/* a\n/* b\nGO\n*/ c */ | Ident:SELECT | Number:1"},
		{"bracket with quote then GO", "SELECT [it's]\nGO\nSELECT 2",
			"Ident:SELECT | BracketIdent:[it's] | BatchSeparator:GO | Ident:SELECT | Number:2"},
		{"escaped quote in N string", "N'don''t'", "String:N'don''t'N"},
		{"quoted ident escape", `"q""id"`, `QuotedIdent:"q""id"`},
		{"GO with comment", "GO -- done\nx", "BatchSeparator:GO -- done | Ident:x"},
		{"GO count", "go 2\r\n", "BatchSeparator:go 2"},
		{"GO then block comment", "GO /* old code:\nDROP TABLE dbo.T;\n*/\nSELECT 1", "BatchSeparator:GO | BlockComment:/* old code:\nDROP TABLE dbo.T;\n*/ | Ident:SELECT | Number:1"},
		{"GO count then block comment", "GO 2/* x */", "BatchSeparator:GO 2 | BlockComment:/* x */"},
		{"GO glued to block comment", "GO/* x\n*/", "BatchSeparator:GO | BlockComment:/* x\n*/"},
		{"GO semicolon", "GO;", "BatchSeparator:GO;!"},
		{"GO with text", "  GO foo", "BatchSeparator:GO foo!"},
		{"GOTO is not GO", "GOTO lbl", "Ident:GOTO | Ident:lbl"},
		{"GO not at line start", "SELECT 1 GO", "Ident:SELECT | Number:1 | Ident:GO"},
		{"go inside string", "SELECT 'a\n  go\nb'", "Ident:SELECT | String:'a\n  go\nb'"},
		{"script var in string", "SELECT '$(job_id)'", "Ident:SELECT | String:'$(job_id)'"},
		{"script var", "FROM $(Schema).T", "Ident:FROM | ScriptVar:$(Schema) | Punct:. | Ident:T"},
		{"unterminated nested comment", "/* /* */", "BlockComment:/* /* */!"},
		{"unterminated string", "SELECT 'abc", "Ident:SELECT | String:'abc!"},
		{"unterminated bracket", "[a b", "BracketIdent:[a b!"},
		{"bracket escape", "[a]]b]", "BracketIdent:[a]]b]"},
		{"bracket holds comment and GO", "[x -- y\nGO]", "BracketIdent:[x -- y\nGO]"},
		{"sqlcmd setvar", ":setvar Schema dbo\nSELECT 1", "SqlcmdCommand::setvar Schema dbo | Ident:SELECT | Number:1"},
		{"sqlcmd shell", "  !!dir\n", "SqlcmdCommand:!!dir"},
		{"label is not sqlcmd", "lbl:\nGOTO lbl", "Ident:lbl | Punct:: | Ident:GOTO | Ident:lbl"},
		{"variables", "@x @@ROWCOUNT @", "Variable:@x | SysVariable:@@ROWCOUNT | Punct:@"},
		{"temp tables", "#t ##g", "Ident:#t | Ident:##g"},
		{"numbers", "1 1.5 .5 1e3 2E-2 0x0A 0x", "Number:1 | Number:1.5 | Number:.5 | Number:1e3 | Number:2E-2 | Binary:0x0A | Binary:0x"},
		{"operators", "a<>b>=c+=1", "Ident:a | Punct:<> | Ident:b | Punct:>= | Ident:c | Punct:+= | Number:1"},
		{"line comment", "SELECT 1 -- x 'y\nSELECT 2", "Ident:SELECT | Number:1 | LineComment:-- x 'y | Ident:SELECT | Number:2"},
		{"N ident vs N string", "Name N'x' n'y'", "Ident:Name | String:N'x'N | String:n'y'N"},
		{"unicode ident", "SELECT Größe", "Ident:SELECT | Ident:Größe"},
		{"quotes in comment", "/* it's */ 'a'", "BlockComment:/* it's */ | String:'a'"},
		{"dollar without paren", "$12 $(", "Punct:$ | Number:12 | Punct:$ | Punct:("},
		{"GO at EOF", "SELECT 1\nGO", "Ident:SELECT | Number:1 | BatchSeparator:GO"},
		{"go column", "SELECT go.x", "Ident:SELECT | Ident:go | Punct:. | Ident:x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toks := Lex(tt.src)
			if got := brief(toks); got != tt.want {
				t.Errorf("Lex(%q)\n got: %s\nwant: %s", tt.src, got, tt.want)
			}
			checkInvariants(t, tt.src, toks)
		})
	}
}

func TestQuotedIdentifierOff(t *testing.T) {
	toks := LexWith(`SELECT "it""s"`, LexOptions{QuotedIdentifierOff: true})
	if got := brief(toks); got != `Ident:SELECT | String:"it""s"` {
		t.Fatalf("got %s", got)
	}
	if v := toks[2].Value(); v != `it"s` {
		t.Fatalf("Value = %q", v)
	}
}

func TestPositions(t *testing.T) {
	toks := Lex("SELECT 'é\nx' AS [a]\r\n  FROM t")
	type pos struct{ line, col, endLine, endCol int }
	want := map[string]pos{
		"SELECT": {1, 1, 1, 7},
		"'é\nx'": {1, 8, 2, 3},
		"AS":     {2, 4, 2, 6},
		"[a]":    {2, 7, 2, 10},
		"\r\n":   {2, 10, 3, 1},
		"FROM":   {3, 3, 3, 7},
		"t":      {3, 8, 3, 9},
	}
	seen := 0
	for _, tok := range toks {
		if w, ok := want[tok.Text]; ok {
			seen++
			if got := (pos{tok.Line, tok.Col, tok.EndLine, tok.EndCol}); got != w {
				t.Errorf("%q at %v, want %v", tok.Text, got, w)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("saw %d of %d tokens", seen, len(want))
	}
}

func TestValue(t *testing.T) {
	tests := []struct{ src, want string }{
		{"N'don''t'", "don't"},
		{"'a'", "a"},
		{"''", ""},
		{"'abc", "abc"},
		{"'ab''", "ab'"},
		{`"q""id"`, `q"id`},
		{"[a]]b]", "a]b"},
		{"[x", "x"},
		{"abc", "abc"},
	}
	for _, tt := range tests {
		toks := Lex(tt.src)
		if len(toks) != 1 {
			t.Fatalf("Lex(%q) = %d tokens", tt.src, len(toks))
		}
		if got := toks[0].Value(); got != tt.want {
			t.Errorf("Value(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestScriptVars(t *testing.T) {
	toks := Lex("SELECT N'run $(job_execution_id)\n at $(job_name)', $(x)")
	var got []string
	for _, tok := range toks {
		for _, r := range ScriptVars(tok) {
			got = append(got, fmt.Sprintf("%s@%d:%d", r.Name, r.Line, r.Col))
		}
	}
	want := "job_execution_id@1:14 job_name@2:5 x@2:19"
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("got %s, want %s", s, want)
	}
}

func TestGoCount(t *testing.T) {
	for src, want := range map[string]int{"GO": 1, "GO 3": 3, "go  12 -- x": 12, "GO;": 1} {
		toks := Lex(src)
		if got := GoCount(toks[0]); got != want {
			t.Errorf("GoCount(%q) = %d, want %d", src, got, want)
		}
	}
}

// checkInvariants verifies the round trip, progress, offsets and monotonic positions.
func checkInvariants(t *testing.T, src string, toks []Token) {
	t.Helper()
	var b strings.Builder
	line, col, off := 1, 1, 0
	for i, tok := range toks {
		if tok.Text == "" {
			t.Fatalf("token %d is empty", i)
		}
		if tok.Offset != off {
			t.Fatalf("token %d offset %d, want %d", i, tok.Offset, off)
		}
		if tok.Line != line || tok.Col != col {
			t.Fatalf("token %d %q at %d:%d, want %d:%d", i, tok.Text, tok.Line, tok.Col, line, col)
		}
		if tok.EndLine < tok.Line || tok.EndLine == tok.Line && tok.EndCol <= tok.Col {
			t.Fatalf("token %d %q ends at %d:%d before its start %d:%d", i, tok.Text, tok.EndLine, tok.EndCol, tok.Line, tok.Col)
		}
		if (tok.Kind == BatchSeparator || tok.Kind == SqlcmdCommand) && tok.Col != 1 && i > 0 && toks[i-1].Kind != Whitespace {
			t.Fatalf("line token %d %q not at line start", i, tok.Text)
		}
		b.WriteString(tok.Text)
		off += len(tok.Text)
		line, col = tok.EndLine, tok.EndCol
		_ = tok.Value()
	}
	if b.String() != src {
		t.Fatalf("round trip failed:\n got %q\nwant %q", b.String(), src)
	}
	if utf8.ValidString(src) {
		wantLine := 1 + strings.Count(src, "\n")
		if len(toks) > 0 && line != wantLine {
			t.Fatalf("end line %d, want %d", line, wantLine)
		}
	}
}

func FuzzLex(f *testing.F) {
	f.Add("SELECT 1\nGO\n")
	f.Add("/* /* GO */ */ N'don''t' [it's] \"q\"\"id\" $(job_id) :setvar x 1")
	f.Fuzz(func(t *testing.T, src string) {
		checkInvariants(t, src, Lex(src))
		checkInvariants(t, src, LexWith(src, LexOptions{QuotedIdentifierOff: true}))
		checkScan(t, src)
	})
}

// checkScan asserts that Scan yields exactly the tokens of Lex.
func checkScan(t *testing.T, src string) {
	t.Helper()
	want := Lex(src)
	var got []Token
	Scan(src, LexOptions{}, func(tk Token) { got = append(got, tk) })
	if len(got) != len(want) {
		t.Fatalf("Scan: %d tokens, Lex: %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("Scan token %d = %+v, Lex = %+v", i, got[i], want[i])
		}
	}
}

func TestScan(t *testing.T) {
	for _, src := range []string{"", "SELECT N'x', 'y'\nGO\n", "N'a' n'b' [c] \"d\" -- e\n/* f */"} {
		checkScan(t, src)
	}
}

func BenchmarkLex(b *testing.B) {
	src := strings.Repeat("IF OBJECT_ID(N'dbo.Audit', N'U') IS NULL\n    CREATE TABLE [dbo].[Audit] (Id int NOT NULL); -- note\n", 100)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		Lex(src)
	}
}

package jobdb

import (
	"errors"
	"strings"
	"testing"
)

func TestQuoting(t *testing.T) {
	cases := map[string][2]string{
		"plain":    {"[plain]", "N'plain'"},
		"br]ack[":  {"[br]]ack[]", "N'br]ack['"},
		"it's; --": {"[it's; --]", "N'it''s; --'"},
		"日本":       {"[日本]", "N'日本'"},
	}
	for in, want := range cases {
		if got := QuoteName(in); got != want[0] {
			t.Errorf("QuoteName(%q) = %s, want %s", in, got, want[0])
		}
		if got := QuoteString(in); got != want[1] {
			t.Errorf("QuoteString(%q) = %s, want %s", in, got, want[1])
		}
	}
}

func TestOpenKeepsPasswordsOutOfErrors(t *testing.T) {
	_, err := Open("sqlserver://user:Sup3rSecret@host:notaport?database=jobdb", nil)
	if err == nil {
		t.Fatal("an address with a bad port was accepted")
	}
	if strings.Contains(err.Error(), "Sup3rSecret") {
		t.Fatalf("error shows the password: %v", err)
	}
	if _, err := Open("mysql://x", nil); err == nil || !strings.Contains(err.Error(), "sqlserver://") {
		t.Fatalf("unknown scheme: %v", err)
	}
	if _, err := Open("", nil); err == nil {
		t.Fatal("embedded without an opener must fail")
	}
	if got := redact(errors.New("bad user:pw in sqlserver://user:pw@h"), "sqlserver://user:pw@h"); strings.Contains(got.Error(), "pw") {
		t.Fatalf("redact left the password: %v", got)
	}
}

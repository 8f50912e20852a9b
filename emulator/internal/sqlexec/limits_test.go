package sqlexec

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// terms is "1+1+…+1" with n terms.
func terms(n int) string { return "1" + strings.Repeat("+1", n-1) }

// within runs f and fails the test when it takes longer than d (a bound far above the expected
// time, far below the time of the quadratic or unbounded behaviour it guards against).
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s still running after %v", what, d)
	}
}

// A long chain of operators is evaluated in linear time: 20,000 terms took 45 s when every
// operator typed its whole left operand again.
func TestLongExpressionIsLinear(t *testing.T) {
	s := newSession(t)
	var got string
	within(t, 10*time.Second, "SELECT of 20,000 terms", func() {
		got = render(s.Batch(context.Background(), "SELECT "+terms(20000)+"; SELECT "+terms(20000)+" - 1"))
	})
	if got != "[][20000];[][19999];" {
		t.Fatalf("got %s", got)
	}
}

// Past maxOperators in one statement, a batch is refused before it runs (error 8632); the
// count starts again at every statement.
func TestOperatorLimit(t *testing.T) {
	s := newSession(t)
	const msg = "Internal error: An expression services limit has been reached. Please look for potentially complex expressions in your query, and try to simplify them."
	want := fmt.Sprintf("ERR 8632 %q line 2", msg)
	for name, sql := range map[string]string{
		"arithmetic": "PRINT 'not run'\nSELECT " + terms(maxOperators+2),
		"conditions": "PRINT 'not run'\nIF 1 = 1" + strings.Repeat(" AND 1 = 1", maxOperators/2) + strings.Repeat(" OR 1 = 1", maxOperators/2+1) + " PRINT 'x'",
		"unary":      "PRINT 'not run'\nSELECT " + strings.Repeat("-(", 40) + terms(maxOperators-38) + strings.Repeat(")", 40),
	} {
		if got := render(s.Batch(context.Background(), sql)); got != want {
			t.Errorf("%s: got %.200s", name, got)
		}
	}
	at := "SELECT " + terms(maxOperators+1)
	if got := render(s.Batch(context.Background(), at+"; "+at)); got != fmt.Sprintf("[][%d];[][%d];", maxOperators+1, maxOperators+1) {
		t.Errorf("two statements at the limit: %.200s", got)
	}
}

// A running statement stops soon after its request is canceled (an ATTENTION, the client gone,
// the server closing) instead of running to its end.
func TestCancelStopsARunningStatement(t *testing.T) {
	s := newSession(t)
	ctx := context.Background()
	setup := "CREATE TABLE dbo.t (n int NOT NULL)"
	for i := range 10 {
		var rows []string
		for k := range 100 {
			rows = append(rows, fmt.Sprintf("(%d)", 100*i+k))
		}
		setup += "; INSERT INTO dbo.t (n) VALUES " + strings.Join(rows, ", ")
	}
	if got := render(s.Batch(ctx, "SET NOCOUNT ON; "+setup)); got != "" {
		t.Fatalf("setup: %s", got)
	}
	// A million pairs, each testing a condition of 5,000 operators: minutes of work.
	slow := "SELECT COUNT(*) FROM dbo.t a JOIN dbo.t b ON a.n + b.n + 0 * (" + terms(5000) + ") < 0"
	ctx, cancel := context.WithCancel(ctx)
	var got string
	within(t, 10*time.Second, "the canceled statement", func() {
		time.AfterFunc(200*time.Millisecond, cancel)
		got = render(s.Batch(ctx, slow))
	})
	if got != `ERR 3617 "Query was canceled by user." line 1` {
		t.Fatalf("got %s", got)
	}
}

// The "column = constant" conjuncts of a WHERE clause reach the model, which seeks rows by them.
func TestWhereEqualities(t *testing.T) {
	s := newSession(t)
	stmts, perr := Parse("DELETE FROM t WHERE a = 1 AND @v + N'x' = b AND c > 2 AND d = e AND f = UPPER('x') AND (g = 3 OR g = 4) AND h = NULL AND i = CAST(@v AS int)")
	if perr != nil {
		t.Fatal(perr)
	}
	b := s.newBatch()
	b.s.start(context.Background())
	b.declare(map[string]sqlval.Column{"@v": {Type: sqlval.NVarChar, Size: 10}})
	b.vars["@v"].val = "7"
	var cols []sqlval.Column
	for _, n := range "abcdefghi" {
		cols = append(cols, sqlval.Column{Name: string(n), Type: sqlval.Int})
	}
	del := stmts[0].(*DeleteStmt)
	m, err := b.match(cols, del.Table, del.Where)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(m.Equal); got != "map[0:1 1:7x 8:7]" {
		t.Fatalf("equalities = %s", got)
	}
}

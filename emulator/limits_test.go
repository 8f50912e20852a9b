package emulator

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"
)

// slowQuery is a statement of minutes over slowTable: a million pairs of rows, each testing a
// condition of 5,000 operators.
const slowTable = `CREATE TABLE dbo.t (n int NOT NULL)`

func slowQuery(t *testing.T, db *sql.DB) string {
	t.Helper()
	var rows []string
	for i := range 1000 {
		rows = append(rows, fmt.Sprintf("(%d)", i))
	}
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, slowTable); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(rows); i += 100 {
		if _, err := db.ExecContext(ctx, "INSERT INTO dbo.t (n) VALUES "+strings.Join(rows[i:i+100], ", ")); err != nil {
			t.Fatal(err)
		}
	}
	return "SELECT COUNT(*) FROM dbo.t a JOIN dbo.t b ON a.n + b.n + 0 * (1" + strings.Repeat("+1", 4999) + ") < 0"
}

// closeWithin closes the emulator and fails the test when that takes longer than d.
func closeWithin(t *testing.T, e *Emulator, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- e.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(d):
		t.Fatalf("Close still waiting after %v: the canceled statement runs on", d)
	}
}

// A client that gives up on a statement (its context canceled: an ATTENTION, then the connection
// closed) stops the work on the server.
func TestSlowStatementStopsWhenClientGivesUp(t *testing.T) {
	e, db := start(t, Options{})
	slow := slowQuery(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := db.ExecContext(ctx, slow); err == nil {
		t.Fatal("the slow statement succeeded")
	}
	db.Close()
	closeWithin(t, e, 10*time.Second)
}

// Closing the emulator stops a running statement instead of waiting for it.
func TestSlowStatementStopsWhenServerCloses(t *testing.T) {
	e, db := start(t, Options{})
	slow := slowQuery(t, db)
	failed := make(chan error, 1)
	go func() {
		_, err := db.ExecContext(context.Background(), slow)
		failed <- err
	}()
	time.Sleep(200 * time.Millisecond)
	closeWithin(t, e, 10*time.Second)
	if err := <-failed; err == nil {
		t.Fatal("the slow statement succeeded")
	}
}

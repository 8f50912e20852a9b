package jobstore

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

var testNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// named builds named arguments from name/value pairs; a name ending in " out" is an OUTPUT arg.
func named(kv ...any) []Arg {
	var args []Arg
	for i := 0; i+1 < len(kv); i += 2 {
		n := kv[i].(string)
		a := Arg{Name: n, Value: kv[i+1]}
		if strings.HasSuffix(n, " out") {
			a.Name, a.Output = strings.TrimSuffix(n, " out"), true
		}
		args = append(args, a)
	}
	return args
}

func mustCall(t testing.TB, s *Session, proc string, kv ...any) CallResult {
	t.Helper()
	res, err := s.Call(context.Background(), proc, named(kv...))
	if err != nil {
		t.Fatalf("%s: %v", proc, err)
	}
	return res
}

func callErr(t testing.TB, s *Session, proc string, kv ...any) *sqlval.Error {
	t.Helper()
	_, err := s.Call(context.Background(), proc, named(kv...))
	if err == nil {
		t.Fatalf("%s %v: no error", proc, kv)
	}
	return err
}

func wantErr(t testing.TB, err *sqlval.Error, number int32, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want error %d %q, got none", number, msg)
	}
	if err.Number != number || err.Message != msg {
		t.Fatalf("error mismatch:\n got %d %q\nwant %d %q", err.Number, err.Message, number, msg)
	}
}

func rel(t testing.TB, s *Session, name string) *Relation {
	t.Helper()
	r, err := s.Relation(name)
	if err != nil {
		t.Fatalf("Relation(%s): %v", name, err)
	}
	return r
}

// rowsOf renders selected columns of a relation as strings for compact comparisons.
func rowsOf(t testing.TB, r *Relation, cols ...string) []string {
	t.Helper()
	idx := make([]int, len(cols))
	for i, c := range cols {
		idx[i] = -1
		for j, rc := range r.Columns {
			if rc.Name == c {
				idx[i] = j
			}
		}
		if idx[i] < 0 {
			t.Fatalf("no column %s", c)
		}
	}
	out := []string{}
	for _, row := range r.Rows {
		var parts []string
		for _, i := range idx {
			parts = append(parts, show(row[i]))
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

func show(v sqlval.Value) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return x.Format("2006-01-02T15:04:05.9999999")
	case sqlval.UUID:
		return x.String()
	}
	return fmt.Sprint(v)
}

func eq(t testing.TB, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("mismatch:\n got %#v\nwant %#v", got, want)
	}
}

// fixture creates a target group G with one database member and a job J.
func fixture(t testing.TB, s *Session) {
	t.Helper()
	mustCall(t, s, "jobs.sp_add_target_group", "target_group_name", "G")
	mustCall(t, s, "jobs.sp_add_target_group_member", "target_group_name", "G", "target_type", "SqlDatabase",
		"server_name", "srv.database.windows.net", "database_name", "db1")
	mustCall(t, s, "jobs.sp_add_job", "job_name", "J")
}

func addStep(t testing.TB, s *Session, job, name string, kv ...any) CallResult {
	t.Helper()
	args := append([]any{"job_name", job, "step_name", name, "command", "SELECT 1", "target_group_name", "G", "job_version out", nil}, kv...)
	return mustCall(t, s, "jobs.sp_add_jobstep", args...)
}

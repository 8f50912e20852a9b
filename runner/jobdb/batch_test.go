package jobdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator"
)

// packed returns the batches pack makes of groups, as the (group, call) of each unit.
func packed(t *testing.T, groups [][]Call) [][][2]int {
	t.Helper()
	var out [][][2]int
	err := pack(groups, func(b *batch) error {
		if len(b.args) > MaxBatchParams && len(b.units) > 1 {
			t.Errorf("a batch of %d calls has %d parameters", len(b.units), len(b.args))
		}
		var units [][2]int
		for _, u := range b.units {
			units = append(units, [2]int{u.call.group, u.call.index})
		}
		out = append(out, units)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// uniqueCalls returns a group of n calls with params distinct parameters each.
func uniqueCalls(group, n, params int) []Call {
	var calls []Call
	for c := range n {
		call := Call{Proc: "jobs.sp_x"}
		for p := range params {
			call.Args = append(call.Args, sql.Named(fmt.Sprintf("a%d", p), fmt.Sprintf("g%d c%d p%d", group, c, p)))
		}
		calls = append(calls, call)
	}
	return calls
}

func TestPackKeepsGroupsTogetherWithinTheLimits(t *testing.T) {
	// Three groups of 700 parameters: two fit in a batch, the third starts the next.
	groups := [][]Call{uniqueCalls(0, 7, 100), uniqueCalls(1, 7, 100), uniqueCalls(2, 7, 100)}
	got := packed(t, groups)
	if len(got) != 2 || len(got[0]) != 14 || len(got[1]) != 7 || got[1][0] != [2]int{2, 0} {
		t.Fatalf("batches %v, want groups 0 and 1, then group 2", got)
	}
	// A group larger than a batch goes on its own, split where it must be, after the batch before it.
	groups = [][]Call{uniqueCalls(0, 1, 10), uniqueCalls(1, 30, 100), uniqueCalls(2, 1, 10)}
	got = packed(t, groups)
	if len(got) != 3 || len(got[0]) != 1 || len(got[1]) != 20 || len(got[2]) != 11 || got[2][10] != [2]int{2, 0} {
		t.Fatalf("batches of sizes %d, want 1, 20, 11: %v", len(got), got)
	}
	// Values repeated are one parameter: a thousand calls of the same values fit in one batch.
	same := make([]Call, 1000)
	for i := range same {
		same[i] = Call{Proc: "jobs.sp_x", Args: []sql.NamedArg{sql.Named("a", "same"), sql.Named("b", int64(7))}}
	}
	if got := packed(t, [][]Call{same}); len(got) != 1 {
		t.Fatalf("a thousand calls of the same two values took %d batches", len(got))
	}
	// The size bound splits calls of long values: three of a quarter of it fit with their text.
	long := []Call{}
	for i := range 10 {
		long = append(long, Call{Proc: "jobs.sp_x", Args: []sql.NamedArg{sql.Named("command", strings.Repeat(fmt.Sprint(i), MaxBatchChars/4))}})
	}
	if got := packed(t, [][]Call{long}); len(got) != 4 {
		t.Fatalf("ten values of a quarter of a batch's size took %d batches, want 4", len(got))
	}
}

func TestBatchText(t *testing.T) {
	b := newBatch()
	version := int64(0)
	calls := []Call{
		{Proc: "jobs.sp_add_jobstep", Args: []sql.NamedArg{sql.Named("job_name", "j"), sql.Named("step_name", "s")}, Version: &version},
		{Insert: "t (a, b)", Values: []any{"j", nil}},
		{SQL: "UPDATE t SET b = @b WHERE a = @a AND @@ROWCOUNT >= 0 AND @local IS NULL", Args: []sql.NamedArg{sql.Named("a", "j"), sql.Named("b", int64(1))}},
		{Insert: "t (a, b)", Values: []any{"k", nil}},
		{SQL: "DROP DATABASE SCOPED CREDENTIAL [c@x]"},
	}
	for i, c := range calls {
		if err := b.add(0, i, c); err != nil {
			t.Fatal(err)
		}
	}
	text, reports := b.assemble()
	want := batchHeader +
		"EXEC jobs.sp_add_jobstep @job_name=@p1,@step_name=@p2,@job_version=@ejops_version OUTPUT;\nSELECT 1 AS ejops_call,@ejops_version AS job_version;\n" +
		"UPDATE t SET b = @p4 WHERE a = @p1 AND @@ROWCOUNT >= 0 AND @local IS NULL;\nSELECT 2 AS ejops_call;\n" +
		"DROP DATABASE SCOPED CREDENTIAL [c@x];\nSELECT 3 AS ejops_call;\n" +
		"INSERT INTO t (a, b) VALUES (@p1,@p3),(@p5,@p3);\nSELECT 4 AS ejops_call;\n"
	if text != want {
		t.Fatalf("batch text:\n%s\nwant:\n%s", text, want)
	}
	if fmt.Sprint(b.args) != "[j s <nil> 1 k]" {
		t.Fatalf("parameters %v", b.args)
	}
	if len(reports) != 4 || len(reports[3]) != 2 || reports[3][0].index != 1 || reports[3][1].index != 3 {
		t.Fatalf("reports %v", reports)
	}
	if err := newBatch().add(0, 0, Call{Proc: "jobs.sp_x; DROP TABLE t"}); err == nil {
		t.Fatal("a procedure name with a statement in it was accepted")
	}
	if err := newBatch().add(0, 0, Call{Proc: "jobs.sp_x", Args: []sql.NamedArg{sql.Named("a = 1; --", 1)}}); err == nil {
		t.Fatal("a parameter name with a statement in it was accepted")
	}
}

// openTestDB serves an emulator and opens it.
func openTestDB(t *testing.T) (*emulator.Emulator, *DB) {
	t.Helper()
	em, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { em.Close() })
	addr, err := em.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(em.DSN(addr), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return em, db
}

// jobGroups returns one group per job: sp_add_job and steps sp_add_jobstep calls, the version of
// each job's steps reported into versions.
func jobGroups(jobs, steps int, versions []int64) [][]Call {
	groups := [][]Call{{{Proc: "jobs.sp_add_target_group", Args: []sql.NamedArg{sql.Named("target_group_name", "tg")}}}}
	for j := range jobs {
		name := fmt.Sprintf("job-%d", j)
		g := []Call{{Proc: "jobs.sp_add_job", Args: []sql.NamedArg{sql.Named("job_name", name)}}}
		for s := range steps {
			g = append(g, Call{Proc: "jobs.sp_add_jobstep", Version: &versions[j], Args: []sql.NamedArg{
				sql.Named("job_name", name), sql.Named("step_name", fmt.Sprintf("s%d", s)),
				sql.Named("command", fmt.Sprintf("SELECT %d", j)), sql.Named("target_group_name", "tg")}})
		}
		groups = append(groups, g)
	}
	return groups
}

func countJobs(t *testing.T, db *DB) int {
	t.Helper()
	st, err := db.Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return len(st.Jobs)
}

// TestSendReportsEachCall: calls sent in batches report as they complete, in order, with the job
// version after each step call, and commit together.
func TestSendReportsEachCall(t *testing.T) {
	em, db := openTestDB(t)
	const jobs = 400
	versions := make([]int64, jobs)
	groups := jobGroups(jobs, 3, versions)
	em.ResetStats()
	tx, _, err := db.Begin(t.Context(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var order [][2]int
	if err := tx.Send(t.Context(), groups, func(g, c int) { order = append(order, [2]int{g, c}) }); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(order) != 1+4*jobs || order[0] != [2]int{0, 0} || order[len(order)-1] != [2]int{jobs, 3} {
		t.Fatalf("%d calls reported, first %v, last %v", len(order), order[0], order[len(order)-1])
	}
	for i := 1; i < len(order); i++ {
		if a, b := order[i-1], order[i]; b[0] < a[0] || b[0] == a[0] && b[1] != a[1]+1 {
			t.Fatalf("call %v reported after %v", b, a)
		}
	}
	for j, v := range versions {
		if v != 3 {
			t.Fatalf("job %d: version %d after three steps, want 3", j, v)
		}
	}
	if tx.Requests < 3 || int64(tx.Requests) != em.Stats().RoundTrips {
		t.Fatalf("the transaction counted %d requests, the emulator %d; want several batches", tx.Requests, em.Stats().RoundTrips)
	}
	if n := countJobs(t, db); n != jobs {
		t.Fatalf("%d jobs committed, want %d", n, jobs)
	}
}

// TestSendNamesTheFailingCall: the first failing call stops its batch, is named by a *CallError
// and dooms the transaction: nothing is applied, and the lock is free at once.
func TestSendNamesTheFailingCall(t *testing.T) {
	_, db := openTestDB(t)
	const jobs = 400
	versions := make([]int64, jobs)
	for _, bad := range [][2]int{{1, 0}, {jobs - 7, 2}} {
		groups := jobGroups(jobs, 3, versions)
		groups[bad[0]][bad[1]].Args[0] = sql.Named("job_name", "no such job")
		if bad[1] == 0 {
			groups[bad[0]][bad[1]] = Call{Proc: "jobs.sp_add_jobstep", Args: []sql.NamedArg{sql.Named("job_name", "no such job"),
				sql.Named("step_name", "s"), sql.Named("command", "SELECT 1"), sql.Named("target_group_name", "tg")}}
		}
		tx, _, err := db.Begin(t.Context(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		reported := 0
		err = tx.Send(t.Context(), groups, func(int, int) { reported++ })
		var ce *CallError
		if !errors.As(err, &ce) || ce.Group != bad[0] || ce.Call != bad[1] || !strings.Contains(err.Error(), "no such job") {
			t.Fatalf("failing call %v: %#v", bad, err)
		}
		if want := 1 + 4*(bad[0]-1) + bad[1]; reported != want {
			t.Errorf("failing call %v: %d calls reported before it, want %d", bad, reported, want)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if n := countJobs(t, db); n != 0 {
			t.Fatalf("failing call %v: %d jobs left behind", bad, n)
		}
		free, _, err := db.Begin(t.Context(), 0)
		if err != nil {
			t.Fatalf("the lock is still held after the failure: %v", err)
		}
		_ = free.Rollback()
	}
}

// TestBeginIsOneRequest: the transaction, the lock and the read under it are one request, and a
// held lock is reported after the wait.
func TestBeginIsOneRequest(t *testing.T) {
	em, db := openTestDB(t)
	countJobs(t, db) // log in
	em.ResetStats()
	tx, st, err := db.Begin(t.Context(), time.Second)
	if err != nil || st == nil {
		t.Fatal(err)
	}
	if n := em.Stats().RoundTrips; n != 1 {
		t.Fatalf("begin took %d round trips, want 1", n)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if _, _, err := db.Begin(ctx, 200*time.Millisecond); err == nil || !strings.Contains(err.Error(), "another apply still holds it after 200ms") {
		t.Fatalf("second begin: %v", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("the second begin gave up after %s, before its wait", d)
	}
	if err := tx.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	tx, _, err = db.Begin(t.Context(), 0)
	if err != nil {
		t.Fatalf("the lock after commit: %v", err)
	}
	_ = tx.Rollback()
}

// beginWithJobs begins a transaction and sends it the calls that add a target group and n jobs.
func beginWithJobs(t *testing.T, db *DB, n int) *Tx {
	t.Helper()
	tx, _, err := db.Begin(t.Context(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Send(t.Context(), jobGroups(n, 1, make([]int64, n)), func(int, int) {}); err != nil {
		t.Fatal(err)
	}
	return tx
}

// TestCloseRefusesLaterCommits: a transaction begun before Close cannot commit after it; nothing
// it sent is written, and the lock is free.
func TestCloseRefusesLaterCommits(t *testing.T) {
	em, db := openTestDB(t)
	addr, err := em.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	other := open(t, em.DSN(addr))
	tx := beginWithJobs(t, db, 2)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(t.Context()); !errors.Is(err, ErrClosed) {
		t.Fatalf("commit after Close: %v, want ErrClosed", err)
	}
	if n := countJobs(t, other); n != 0 {
		t.Fatalf("%d jobs written by a commit after Close", n)
	}
	free, _, err := other.Begin(t.Context(), 5*time.Second)
	if err != nil {
		t.Fatalf("the lock after the refused commit: %v", err)
	}
	_ = free.Rollback()
}

// TestBeginWaitsForTheLock: a Begin while another apply holds the lock waits in sp_getapplock, seen
// from the emulator, not guessed with a sleep; once the holder commits it takes the lock and reads
// what the holder wrote.
func TestBeginWaitsForTheLock(t *testing.T) {
	em, db := openTestDB(t)
	holder := beginWithJobs(t, db, 1)
	calls := em.Stats().Procs[getapplock]
	type begun struct {
		tx  *Tx
		st  *State
		err error
	}
	waiter := make(chan begun, 1)
	go func() {
		tx, st, err := db.Begin(t.Context(), time.Minute)
		waiter <- begun{tx, st, err}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := em.AwaitCalls(ctx, getapplock, calls+1); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-waiter:
		t.Fatalf("the second Begin returned while the lock was held: %v", b.err)
	default:
	}
	if err := holder.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	b := <-waiter
	if b.err != nil {
		t.Fatalf("the waiting Begin: %v", b.err)
	}
	defer b.tx.Rollback()
	if len(b.st.Jobs) != 1 {
		t.Fatalf("the waiting Begin read %d jobs, want the holder's 1", len(b.st.Jobs))
	}
}

// getapplock is how the emulator counts sp_getapplock calls.
const getapplock = "sys.sp_getapplock"

package jobstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

func TestTransactionCommitRollback(t *testing.T) {
	db := openTest(t)
	a, b := db.NewSession(), db.NewSession()
	ctx := context.Background()
	wantErr(t, a.Commit(ctx), 3902, "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.")
	wantErr(t, a.Rollback(ctx), 3903, "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.")

	if err := a.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	eq(t, a.TranCount(), 2)
	mustCall(t, a, "jobs.sp_add_job", "job_name", "J")
	eq(t, len(rel(t, a, "jobs.jobs").Rows), 1) // own writes visible
	eq(t, len(rel(t, b, "jobs.jobs").Rows), 0) // others see the committed state
	if err := a.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	eq(t, a.TranCount(), 1)
	eq(t, len(rel(t, b, "jobs.jobs").Rows), 0) // inner commit commits nothing
	if err := a.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	eq(t, a.TranCount(), 0)
	eq(t, len(rel(t, b, "jobs.jobs").Rows), 1)

	if err := a.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	mustCall(t, a, "jobs.sp_add_job", "job_name", "K")
	if err := a.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Rollback(ctx); err != nil { // rolls back everything
		t.Fatal(err)
	}
	eq(t, a.TranCount(), 0)
	eq(t, rowsOf(t, rel(t, a, "jobs.jobs"), "job_name"), []string{"J"})
}

func TestThrowDoomsTransaction(t *testing.T) {
	db := openTest(t)
	s := db.NewSession()
	ctx := context.Background()
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	mustCall(t, s, "jobs.sp_add_job", "job_name", "J")
	// A binding error does not doom the transaction.
	callErr(t, s, "jobs.sp_add_job", "nope", 1)
	eq(t, s.TranCount(), 1)
	eq(t, s.RolledBack(), false)
	// A THROW inside the procedure rolls back the whole transaction.
	wantErr(t, callErr(t, s, "jobs.sp_start_job", "job_name", "J"), 50000, "Job 'J' contains no steps.")
	eq(t, s.TranCount(), 0)
	eq(t, s.RolledBack(), true)
	eq(t, len(rel(t, s, "jobs.jobs").Rows), 0)
	mustCall(t, s, "jobs.sp_add_job", "job_name", "J")
	eq(t, s.RolledBack(), false)
	// A failing autocommitted call changes nothing.
	callErr(t, s, "jobs.sp_add_job", "job_name", "J")
	eq(t, len(rel(t, s, "jobs.jobs").Rows), 1)
}

func TestWriterIsolation(t *testing.T) {
	db := openTest(t)
	a, b := db.NewSession(), db.NewSession()
	ctx := context.Background()
	if err := a.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	mustCall(t, a, "jobs.sp_add_job", "job_name", "A")
	// b's write waits for a's transaction; a canceled context stops the wait.
	cctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	_, err := b.Call(cctx, "jobs.sp_add_job", named("job_name", "B"))
	if err == nil || err.Number != 3980 {
		t.Fatalf("want 3980 after cancel, got %v", err)
	}
	done := make(chan *sqlval.Error)
	go func() {
		_, err := b.Call(ctx, "jobs.sp_add_job", named("job_name", "A"))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("b did not wait: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	if err := a.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// b now sees A committed and hits the unique index.
	err = <-done
	if err == nil || err.Number != 2601 {
		t.Fatalf("want 2601, got %v", err)
	}
}

func TestFailNextCommit(t *testing.T) {
	db := openTest(t)
	s := db.NewSession()
	ctx := context.Background()
	boom := sqlval.Errorf(40197, "The service has encountered an error processing your request.")
	db.FailNextCommit(boom)
	_, err := s.Call(ctx, "jobs.sp_add_job", named("job_name", "J"))
	wantErr(t, err, boom.Number, boom.Message)
	eq(t, len(rel(t, s, "jobs.jobs").Rows), 0)
	mustCall(t, s, "jobs.sp_add_job", "job_name", "J") // only the next commit fails

	db.FailNextCommit(boom)
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	mustCall(t, s, "jobs.sp_add_job", "job_name", "K")
	wantErr(t, s.Commit(ctx), boom.Number, boom.Message)
	eq(t, s.TranCount(), 0)
	eq(t, s.RolledBack(), true)
	eq(t, rowsOf(t, rel(t, s, "jobs.jobs"), "job_name"), []string{"J"})

	// A transaction that only read fails its commit as well.
	db.FailNextCommit(boom)
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.Commit(ctx), boom.Number, boom.Message)
	eq(t, s.TranCount(), 0)
}

func TestSessionResetAndClose(t *testing.T) {
	db := openTest(t)
	a, b := db.NewSession(), db.NewSession()
	ctx := context.Background()
	if err := a.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	mustCall(t, a, "jobs.sp_add_job", "job_name", "J")
	a.Reset()
	eq(t, a.TranCount(), 0)
	mustCall(t, b, "jobs.sp_add_job", "job_name", "J") // the write lock was released, J rolled back
	if err := a.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	mustCall(t, a, "jobs.sp_add_job", "job_name", "K")
	a.Close()
	mustCall(t, b, "jobs.sp_add_job", "job_name", "K")
}

func TestExecutionAPI(t *testing.T) {
	db := openTest(t)
	s := db.NewSession()
	fixture(t, s)
	addStep(t, s, "J", "a")
	ctx := context.Background()
	jid := rel(t, s, "jobs.jobs").Rows[0][1].(sqlval.UUID)
	je, err := db.StartJob(ctx, jid)
	if err != nil {
		t.Fatal(err)
	}
	root := db.Executions(nil)[0]
	eq(t, root.ExecutionID, je)
	if _, err := db.AddExecution(ctx, Execution{Parent: 999, Lifecycle: Created}); err == nil {
		t.Fatal("orphan row accepted")
	}
	if _, err := db.AddExecution(ctx, Execution{Parent: root.Key, Lifecycle: "Running"}); err == nil {
		t.Fatal("bad lifecycle accepted")
	}
	k, err := db.AddExecution(ctx, Execution{Parent: root.Key, StepID: 1, StepName: "a", Lifecycle: InProgress, StartTime: testNow})
	if err != nil {
		t.Fatal(err)
	}
	step := db.Executions(func(e *Execution) bool { return e.Key == k })[0]
	eq(t, []any{step.ExecutionID, step.JobID, step.JobVersion, step.EndTime.IsZero()}, []any{je, jid, int64(1), true})
	if err := db.UpdateExecution(ctx, k, func(e *Execution) error {
		e.Lifecycle, e.CurrentAttempts, e.LastMessage = Succeeded, 1, "done"
		e.ExecutionID = sqlval.UUID{} // ignored
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	step = db.Executions(func(e *Execution) bool { return e.Key == k })[0]
	eq(t, []any{step.Lifecycle, step.EndTime, step.ExecutionID}, []any{Succeeded, testNow, je})
	if err := db.UpdateExecution(ctx, 12345, func(*Execution) error { return nil }); !errors.Is(err, ErrNoExecution) {
		t.Fatalf("want ErrNoExecution, got %v", err)
	}
	sentinel := errors.New("stop")
	if err := db.UpdateExecution(ctx, k, func(*Execution) error { return sentinel }); !errors.Is(err, sentinel) {
		t.Fatalf("want fn error, got %v", err)
	}
	long := strings.Repeat("s", 300)
	k2, err := db.AddExecution(ctx, Execution{Parent: k, Lifecycle: Skipped, TargetServer: long, TargetDatabase: long,
		StartTime: testNow.Add(123 * time.Nanosecond)})
	if err != nil {
		t.Fatal(err)
	}
	tgt := db.Executions(func(e *Execution) bool { return e.Key == k2 })[0]
	eq(t, []any{len(tgt.TargetServer), len(tgt.TargetDatabase), tgt.StartTime, tgt.EndTime}, []any{256, 128, testNow.Add(100 * time.Nanosecond), testNow})
	if err := db.SetJobEnabled(ctx, jid, true); err != nil {
		t.Fatal(err)
	}
	eq(t, rowsOf(t, rel(t, s, "jobs.jobs"), "enabled"), []string{"true"})
}

func TestDefaultKeyword(t *testing.T) {
	s := openTest(t).NewSession()
	ctx := context.Background()
	if _, err := s.Call(ctx, "jobs.sp_add_job", []Arg{{Value: "J"}, {Default: true}, {Value: int64(1)}}); err != nil {
		t.Fatal(err)
	}
	eq(t, rowsOf(t, rel(t, s, "jobs.jobs"), "job_name", "description", "enabled"), []string{"J||true"})
	_, err := s.Call(ctx, "jobs.sp_add_job", []Arg{{Default: true}})
	wantErr(t, err, 201, "Procedure or function 'sp_add_job' expects parameter '@job_name', which was not supplied.")
}

// TestConcurrentSessions runs writers (autocommit and transactions) and readers at once; every
// job ends up with exactly its steps and versions.
func TestConcurrentSessions(t *testing.T) {
	db := openTest(t)
	setup := db.NewSession()
	mustCall(t, setup, "jobs.sp_add_target_group", "target_group_name", "G")
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			s := db.NewSession()
			defer s.Close()
			for i := 0; i < 10; i++ {
				name := fmt.Sprintf("w%d-%d", w, i)
				tx := i%2 == 0
				if tx {
					if err := s.Begin(ctx); err != nil {
						t.Error(err)
						return
					}
				}
				if _, err := s.Call(ctx, "jobs.sp_add_job", named("job_name", name)); err != nil {
					t.Error(err)
					return
				}
				for k := 0; k < 2; k++ {
					if _, err := s.Call(ctx, "jobs.sp_add_jobstep", named("job_name", name, "step_name", fmt.Sprint(k), "command", "x", "target_group_name", "G")); err != nil {
						t.Error(err)
						return
					}
				}
				if tx {
					if err := s.Commit(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
		go func() {
			defer wg.Done()
			s := db.NewSession()
			for i := 0; i < 50; i++ {
				r, err := s.Relation("jobs.jobsteps")
				if err != nil {
					t.Error(err)
					return
				}
				// Readers never see a transaction half done: jobs of even i have both steps or none.
				counts := map[string]int{}
				for _, row := range r.Rows {
					counts[row[0].(string)]++
				}
				for name, n := range counts {
					var w, i int
					fmt.Sscanf(name, "w%d-%d", &w, &i)
					if i%2 == 0 && n != 2 {
						t.Errorf("%s: %d steps visible", name, n)
					}
				}
			}
		}()
	}
	wg.Wait()
	s := db.NewSession()
	eq(t, len(rel(t, s, "jobs.jobs").Rows), 40)
	eq(t, len(rel(t, s, "jobs.jobsteps").Rows), 80)
	for _, v := range rowsOf(t, rel(t, s, "jobs.jobs"), "job_version") {
		eq(t, v, "2")
	}
}

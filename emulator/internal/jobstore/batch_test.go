package jobstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

func TestExecutionBatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	db, err := Open(Options{Now: func() time.Time { return testNow }, StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := db.NewSession()
	defer s.Close()
	fixture(t, s)
	addStep(t, s, "J", "a")
	mustCall(t, s, "jobs.sp_start_job", "job_name", "J")
	root := db.Executions(nil)[0]
	ctx := context.Background()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	count := func() int { return len(db.Executions(nil)) }

	// Rows added in a batch are visible to the batch only, and committed in one write.
	var stepKey, tgtKey int64
	err = db.Batch(ctx, func(b *Batch) error {
		var err error
		if stepKey, err = b.AddExecution(Execution{Parent: root.Key, StepID: 1, StepName: "a", Lifecycle: InProgress}); err != nil {
			return err
		}
		if tgtKey, err = b.AddExecution(Execution{Parent: stepKey, StepID: 1, StepName: "a", Lifecycle: Created, TargetDatabase: "d"}); err != nil {
			return err
		}
		if _, err := b.AddExecution(Execution{Parent: 999, Lifecycle: Created}); err == nil {
			t.Error("orphan row accepted")
		}
		if err := b.UpdateExecution(12345, func(*Execution) error { return nil }); !errors.Is(err, ErrNoExecution) {
			t.Errorf("want ErrNoExecution, got %v", err)
		}
		if err := b.UpdateExecution(tgtKey, func(e *Execution) error { e.Lifecycle = "Running"; return nil }); err == nil {
			t.Error("bad lifecycle accepted")
		}
		if err := b.UpdateExecution(tgtKey, func(e *Execution) error { e.Lifecycle, e.LastMessage = Succeeded, "ok"; return nil }); err != nil {
			return err
		}
		if n := count(); n != 1 {
			t.Errorf("%d rows visible before the batch committed", n)
		}
		if now, _ := os.ReadFile(path); !bytes.Equal(now, before) {
			t.Error("state file written before the batch committed")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tgt := db.Executions(func(e *Execution) bool { return e.Key == tgtKey })
	if len(tgt) != 1 || tgt[0].Lifecycle != Succeeded || tgt[0].LastMessage != "ok" || tgt[0].EndTime != testNow || tgt[0].ExecutionID != root.ExecutionID {
		t.Fatalf("target row = %+v", tgt)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d rows after the batch, want 3", n)
	}

	// A batch whose function fails is discarded.
	sentinel := errors.New("stop")
	err = db.Batch(ctx, func(b *Batch) error {
		if _, err := b.AddExecution(Execution{Parent: stepKey, StepID: 1, Lifecycle: Created}); err != nil {
			t.Fatal(err)
		}
		return sentinel
	})
	if !errors.Is(err, sentinel) || count() != 3 {
		t.Fatalf("failed batch: err %v, %d rows", err, count())
	}

	// A batch that changes nothing commits nothing: the armed commit failure is still pending.
	db.FailNextCommit(sqlval.Errorf(3998, "injected"))
	if err := db.Batch(ctx, func(*Batch) error { return nil }); err != nil {
		t.Fatal(err)
	}
	err = db.Batch(ctx, func(b *Batch) error {
		_, err := b.AddExecution(Execution{Parent: stepKey, StepID: 1, Lifecycle: Created})
		return err
	})
	if err == nil || count() != 3 {
		t.Fatalf("batch over a failing commit: err %v, %d rows", err, count())
	}

	db.Close()
	db2, err := Open(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if n := len(db2.Executions(nil)); n != 3 {
		t.Fatalf("%d rows after reopening, want 3", n)
	}
}

package jobstore

import (
	"context"
	"testing"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// Changed's channel is closed by the next commit, not by a rollback or a failed commit.
func TestChangedClosesAtCommit(t *testing.T) {
	db := openTest(t)
	s := db.NewSession()
	ctx := context.Background()
	closed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	n, ch := db.Changed()
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	mustCall(t, s, "jobs.sp_add_job", "job_name", "A")
	if err := s.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	db.FailNextCommit(&sqlval.Error{Number: 3998, Message: "no"})
	callErr(t, s, "jobs.sp_add_job", "job_name", "B")
	if closed(ch) || db.Commits() != n {
		t.Fatal("a rollback or a failed commit counted as a change")
	}
	mustCall(t, s, "jobs.sp_add_job", "job_name", "C")
	if !closed(ch) || db.Commits() != n+1 {
		t.Fatal("a commit was not signalled")
	}
	if _, next := db.Changed(); closed(next) {
		t.Fatal("the next channel is already closed")
	}
}

//go:build unix

package agent

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/jobstore"
)

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIdleRun runs the agent simulation on the real clock, as `ejops emulator` does, over a
// job database of 10,000 jobs × 3 steps with nothing to run, and reports the CPU the process uses
// meanwhile (getrusage) as a percentage of one core, and the Steps it made, over 3 s per
// iteration.
func BenchmarkIdleRun(b *testing.B) {
	db, err := jobstore.Open(jobstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := db.NewSession()
	ctx := context.Background()
	call := func(proc string, args ...jobstore.Arg) {
		if _, err := s.Call(ctx, proc, args); err != nil {
			b.Fatal(proc, err)
		}
	}
	if err := s.Begin(ctx); err != nil {
		b.Fatal(err)
	}
	call("jobs.sp_add_target_group", jobstore.Arg{Name: "target_group_name", Value: "g"})
	for i := range 10000 {
		name := fmt.Sprintf("job-%05d", i)
		call("jobs.sp_add_job", jobstore.Arg{Name: "job_name", Value: name})
		for k := range 3 {
			call("jobs.sp_add_jobstep", jobstore.Arg{Name: "job_name", Value: name}, jobstore.Arg{Name: "step_name", Value: fmt.Sprint("s", k)},
				jobstore.Arg{Name: "command", Value: "SELECT 1"}, jobstore.Arg{Name: "target_group_name", Value: "g"})
		}
	}
	if err := s.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	s.Close()
	a := New(db, Options{})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { stop(); <-done }()
	time.Sleep(time.Second) // the first Steps read the 10,000 jobs
	for b.Loop() {
		wall, cpu, steps := time.Now(), cpuTime(b), a.stepCount()
		time.Sleep(3 * time.Second)
		b.ReportMetric(100*float64(cpuTime(b)-cpu)/float64(time.Since(wall)), "%cpu")
		b.ReportMetric(float64(a.stepCount()-steps), "steps/op")
	}
}

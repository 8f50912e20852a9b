//go:build unix

package runner_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator"
	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
)

// benchFleetEnv names the fleet file of an emulator the test binary serves in a child process,
// so that a benchmark's CPU time is the client's alone.
const benchFleetEnv = "EJOPS_BENCH_EMULATOR_FLEET"

func TestMain(m *testing.M) {
	if fleet := os.Getenv(benchFleetEnv); fleet != "" {
		os.Exit(serveBenchEmulator(fleet))
	}
	os.Exit(m.Run())
}

// serveBenchEmulator serves an emulator over fleet, prints its DSN, then answers "stats" on stdin
// with the round trips served since the last "reset"; it stops at the end of stdin.
func serveBenchEmulator(fleet string) int {
	em, err := emulator.New(emulator.Options{Password: "bench-pw", Fleet: fleet})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer em.Close()
	addr, err := em.Listen("127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(em.DSN(addr))
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "reset":
			em.ResetStats()
			fmt.Println("ok")
		case "stats":
			fmt.Println(em.Stats().RoundTrips)
		}
	}
	return 0
}

// benchChild is an emulator in a child process.
type benchChild struct {
	dsn string
	in  *os.File
	out *bufio.Scanner
}

func (c *benchChild) ask(tb testing.TB, cmd string) string {
	tb.Helper()
	fmt.Fprintln(c.in, cmd)
	if !c.out.Scan() {
		tb.Fatalf("the emulator process did not answer %q", cmd)
	}
	return c.out.Text()
}

func startBenchChild(tb testing.TB, fleet string) *benchChild {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "fleet.yaml")
	if err := os.WriteFile(path, []byte(fleet), 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchFleetEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	c := &benchChild{in: stdin.(*os.File), out: bufio.NewScanner(stdout)}
	if !c.out.Scan() {
		tb.Fatal("the emulator process printed no DSN")
	}
	c.dsn = c.out.Text()
	return c
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFollow measures one poll of a run over n target databases as Follow makes it: the
// tree read in one query, assembled, and compared with the previous read. The emulator runs in a
// child process, so client-cpu-ms/poll is the CPU time of this process alone.
func BenchmarkFollow(b *testing.B) {
	const n = 1000
	var fleet strings.Builder
	fleet.WriteString("authentication: ManagedIdentity\ndefaults: {duration: 1h}\nservers:\n  - name: s1.database.windows.net\n    databases:\n")
	for i := range n {
		fmt.Fprintf(&fleet, "      - t-%04d\n", i)
	}
	child := startBenchChild(b, fleet.String())
	raw, err := sql.Open("sqlserver", strings.Replace(child.dsn, "xxxxx", "bench-pw", 1))
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`EXEC jobs.sp_add_target_group @target_group_name = N'all';
EXEC jobs.sp_add_target_group_member @target_group_name = N'all', @target_type = N'SqlServer', @server_name = N's1.database.windows.net';
EXEC jobs.sp_add_job @job_name = N'bench', @description = N'bench';
EXEC jobs.sp_add_jobstep @job_name = N'bench', @step_name = N'stats', @command = N'SELECT 1;', @target_group_name = N'all';`); err != nil {
		b.Fatal(err)
	}
	db, err := jobdb.Open(child.dsn, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	id, err := db.StartJob(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	var prev *runner.Execution
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if prev, err = runner.ReadExecution(ctx, db, id); err != nil {
			b.Fatal(err)
		}
		if s := prev.Current(); s != nil && s.Count().Running == n {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the run never reached its databases")
		}
	}
	child.ask(b, "reset")
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		cur, err := runner.ReadExecution(ctx, db, id)
		if err != nil {
			b.Fatal(err)
		}
		runner.Transitions(prev, cur)
		prev = cur
	}
	b.StopTimer()
	cpu = cpuTime() - cpu
	trips, err := strconv.Atoi(child.ask(b, "stats"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "client-cpu-ms/poll")
	b.ReportMetric(float64(trips)/float64(b.N), "queries/poll")
}

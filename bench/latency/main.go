// Command latency measures the ejops binary's plan and apply against an in-process emulator behind
// a proxy that adds a round-trip time, and counts the requests each command makes at the emulator
// (emulator.Stats().RoundTrips). It prints a Markdown table and fits time ≈ a + b × round trips.
//
//	go run ./bench/latency -ejops PATH [-jobs 100,1000] [-rtt 0,5ms,20ms]
//	go run ./bench/latency proxy -listen 127.0.0.1:14330 -to 127.0.0.1:1433 -rtt 20ms
//
// bench/latency.sh builds the binary and runs it.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ejops/ejops/emulator"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "proxy" {
		runProxy(os.Args[2:])
		return
	}
	bin := flag.String("ejops", "", "the ejops binary to measure")
	jobList := flag.String("jobs", "100,1000", "numbers of jobs of 3 steps, comma-separated")
	rttList := flag.String("rtt", "0,5ms,20ms", "round-trip times the proxy adds, comma-separated")
	runs := flag.Int("runs", 5, "runs below 10,000 jobs, keeping each command's best time (one run from 10,000)")
	flag.Parse()
	var jobs []int
	for _, s := range strings.Split(*jobList, ",") {
		n, err := strconv.Atoi(s)
		check(err)
		jobs = append(jobs, n)
	}
	var rtts []time.Duration
	for _, s := range strings.Split(*rttList, ",") {
		if s == "0" {
			s = "0s"
		}
		d, err := time.ParseDuration(s)
		check(err)
		rtts = append(rtts, d)
	}
	if *bin == "" {
		check(fmt.Errorf("-ejops is required"))
	}
	var all []result
	for _, n := range jobs {
		// Each run measures every round-trip time in turn, so that the machine's load changes
		// touch them alike; each command keeps its best time.
		best := map[time.Duration][]result{}
		for run := 0; run < *runs || run == 0; run++ {
			for _, rtt := range rtts {
				rs, err := measure(*bin, n, rtt)
				check(err)
				if best[rtt] == nil {
					best[rtt] = rs
				}
				for i, r := range rs {
					fmt.Fprintf(os.Stderr, "%d jobs, RTT %s: %s in %s, %d requests, %d connections\n", n, rtt, r.command, r.took.Round(time.Millisecond), r.requests, r.conns)
					if r.took < best[rtt][i].took {
						best[rtt][i] = r
					}
				}
			}
			if n >= singleRun {
				break
			}
		}
		for _, rtt := range rtts {
			all = append(all, best[rtt]...)
		}
	}
	printTable(all, jobs, rtts)
	printFit(all)
}

// singleRun is the number of jobs from which each measure is made once: the fit leaves them out.
const singleRun = 10000

// result is one command's measure.
type result struct {
	jobs     int
	rtt      time.Duration
	command  string
	took     time.Duration
	requests int64 // at the emulator
	conns    int64 // connections opened, each a login of two more round trips
}

// commands are measured in this order, on one job database.
var commands = []struct {
	name        string
	description string // of every job, written to the specs before the command
	args        []string
	want        string // in the output
}{
	{"initial apply", "maintenance", []string{"apply", "--yes"}, "Apply complete"},
	{"plan, no changes", "maintenance", []string{"plan"}, "No changes."},
	{"one field changed in every job", "maintenance, changed", []string{"apply", "--yes"}, "Apply complete"},
	{"no-op apply", "maintenance, changed", []string{"apply", "--yes"}, "No changes."},
}

// measure runs the commands against a fresh emulator behind a proxy adding rtt.
func measure(bin string, jobs int, rtt time.Duration) ([]result, error) {
	em, err := emulator.New(emulator.Options{})
	if err != nil {
		return nil, err
	}
	defer em.Close()
	addr, err := em.Listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p, err := listenProxy("127.0.0.1:0", addr.String(), rtt)
	if err != nil {
		return nil, err
	}
	defer p.ln.Close()
	dir, err := os.MkdirTemp("", "ejops-latency-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var out []result
	for _, c := range commands {
		if err := writeSpecs(dir, jobs, c.description); err != nil {
			return nil, err
		}
		cmd := exec.Command(bin, append(c.args, dir)...)
		cmd.Env = append(os.Environ(), "EJOPS_JOB_DB="+em.DSN(p.ln.Addr()), "NO_COLOR=1")
		var output bytes.Buffer
		cmd.Stdout, cmd.Stderr = &output, &output
		em.ResetStats()
		p.conns.Store(0)
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		if err != nil || !strings.Contains(output.String(), c.want) {
			return nil, fmt.Errorf("%d jobs, RTT %s: ejops %s: %v\n%s", jobs, rtt, strings.Join(c.args, " "), err, output.String())
		}
		out = append(out, result{jobs, rtt, c.name, took, em.Stats().RoundTrips, p.conns.Load()})
	}
	return out, nil
}

// writeSpecs writes an agent, a target group and jobs of three steps, 100 to a file.
func writeSpecs(dir string, jobs int, description string) error {
	base := "apiVersion: ejops/v1\nkind: Agent\nmetadata: {name: bench}\nspec: {authentication: ManagedIdentity}\n---\n" +
		"apiVersion: ejops/v1\nkind: TargetGroup\nmetadata: {name: tenants}\nspec:\n  members:\n    - {server: t1.database.windows.net, database: a}\n"
	if err := os.WriteFile(filepath.Join(dir, "base.yaml"), []byte(base), 0o644); err != nil {
		return err
	}
	for f := 0; f*100 < jobs; f++ {
		var b strings.Builder
		for i := f * 100; i < min(jobs, (f+1)*100); i++ {
			fmt.Fprintf(&b, "---\napiVersion: ejops/v1\nkind: Job\nmetadata: {name: job-%05d}\nspec:\n  description: %q\n  steps:\n", i, description)
			for s := range 3 {
				fmt.Fprintf(&b, "    - name: step-%d\n      targetGroup: tenants\n      command: |\n        IF OBJECT_ID(N'dbo.t%d', N'U') IS NULL CREATE TABLE dbo.t%d (id int NOT NULL CONSTRAINT PK_t%d PRIMARY KEY);\n", s, s, s, s)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("jobs-%04d.yaml", f)), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// roundTrips counts a command's requests and the two of each login (prelogin, login).
func (r result) roundTrips() int64 { return r.requests + 2*r.conns }

func printTable(all []result, jobs []int, rtts []time.Duration) {
	fmt.Print("| jobs × 3 steps | command | requests | connections |")
	for _, rtt := range rtts {
		fmt.Printf(" RTT %s |", ms(rtt))
	}
	fmt.Print("\n|---|---|---|---|")
	for range rtts {
		fmt.Print("---|")
	}
	fmt.Println()
	for _, n := range jobs {
		for _, c := range commands {
			var line []result
			for _, r := range all {
				if r.jobs == n && r.command == c.name {
					line = append(line, r)
				}
			}
			fmt.Printf("| %d | %s | %d | %d |", n, c.name, line[0].requests, line[0].conns)
			for _, r := range line {
				fmt.Printf(" %.2f s |", r.took.Seconds())
			}
			fmt.Println()
		}
	}
}

// printFit fits time ≈ a + k × RTT × round trips over the commands and sizes measured several
// times: a is each command's own work at a size (its mean over the round-trip times), k one factor
// for all, by least squares. k is 1 when a round trip costs exactly the time the proxy adds.
func printFit(all []result) {
	rows := map[string][]result{}
	for _, r := range all {
		if r.jobs < singleRun {
			key := fmt.Sprint(r.jobs, r.command)
			rows[key] = append(rows[key], r)
		}
	}
	var num, den float64
	for _, rs := range rows {
		var mx, my float64
		for _, r := range rs {
			mx += r.rtt.Seconds() * float64(r.roundTrips()) / float64(len(rs))
			my += r.took.Seconds() / float64(len(rs))
		}
		for _, r := range rs {
			x := r.rtt.Seconds()*float64(r.roundTrips()) - mx
			num += x * (r.took.Seconds() - my)
			den += x * x
		}
	}
	if den == 0 {
		return
	}
	fmt.Printf("\ntime ≈ a + %.2f × RTT × round trips (least squares below %d jobs; a is each command's own work, round trips = requests + 2 per connection)\n",
		num/den, singleRun)
}

// ms shows a duration in milliseconds: "20 ms".
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', -1, 64) + " ms"
}

// runProxy runs the proxy on its own until interrupted.
func runProxy(args []string) {
	fs := flag.NewFlagSet("proxy", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:14330", "address to listen on")
	to := fs.String("to", "127.0.0.1:1433", "address to forward to")
	rtt := fs.Duration("rtt", 20*time.Millisecond, "round-trip time to add")
	check(fs.Parse(args))
	p, err := listenProxy(*listen, *to, *rtt)
	check(err)
	fmt.Fprintf(os.Stderr, "forwarding %s to %s with %s added per round trip\n", p.ln.Addr(), *to, *rtt)
	select {}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
}

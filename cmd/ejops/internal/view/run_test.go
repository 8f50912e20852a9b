package view

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/runner"
)

var runT0 = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)

func runTarget(db, lifecycle string, attempts int, secs float64, msg string) *runner.TargetExecution {
	t := &runner.TargetExecution{Type: "SqlDatabase", Server: "s1.database.windows.net", Database: db, Lifecycle: lifecycle,
		Attempts: attempts, Started: runT0, LastMessage: msg, Active: lifecycle == runner.LifecycleInProgress}
	if !t.Active {
		t.Ended = runT0.Add(time.Duration(secs * float64(time.Second)))
	}
	return t
}

// runFixture is a failed execution: one database retried into success, one failed with a
// message that tries to drive the terminal, one timed out, and an enumeration.
func runFixture() *runner.Execution {
	return &runner.Execution{ID: "6F9619FF-8B86-D011-B42D-00C04FC964FF", Job: "nightly", JobVersion: 3,
		Lifecycle: runner.LifecycleFailed, Created: runT0, Started: runT0, Ended: runT0.Add(4200 * time.Millisecond),
		LastMessage: "Step 1 (stats): The step failed on 2 of 3 target(s).",
		Steps: []*runner.StepExecution{{ID: 1, Name: "stats", TargetGroup: "tenants", Lifecycle: runner.LifecycleFailed,
			Started: runT0, Ended: runT0.Add(4 * time.Second), LastMessage: "The step failed on 2 of 3 target(s).",
			Targets: []*runner.TargetExecution{
				{Type: "SqlServer", Server: "s1.database.windows.net", Lifecycle: runner.LifecycleSucceeded, Attempts: 1,
					Started: runT0, Ended: runT0, LastMessage: "Enumerated 3 database(s)."},
				runTarget("broken", runner.LifecycleFailed, 3, 2.5, "Msg 208: \x1b[2Jgone\nforged line"),
				runTarget("flaky", runner.LifecycleSucceeded, 3, 1.25, ""),
				runTarget("slow", runner.LifecycleTimedOut, 1, 1, "The step timed out after 1 seconds."),
			}}}}
}

func TestRunTextSummary(t *testing.T) {
	var b bytes.Buffer
	RunText(&b, runFixture(), runT0.Add(time.Hour))
	out := b.String()
	for _, want := range []string{
		"Job nightly, execution 6F9619FF-8B86-D011-B42D-00C04FC964FF: Failed after 4.2s\n",
		"step 1 stats (target group tenants): Failed: The step failed on 2 of 3 target(s).\n",
		"Succeeded  s1.database.windows.net (server enumeration)  1 attempt   0s    Enumerated 3 database(s).\n",
		"  Failed     s1.database.windows.net/broken                3 attempts  2.5s  Msg 208: \\x1b[2Jgone\\nforged line\n",
		"  Succeeded  s1.database.windows.net/flaky                 3 attempts  1.3s\n",
		"  TimedOut   s1.database.windows.net/slow                  1 attempt   1s    The step timed out after 1 seconds.\n",
		"Failed on 2 targets:\n  s1.database.windows.net/broken (step 1 stats): Failed\n  s1.database.windows.net/slow (step 1 stats): TimedOut\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\r") || strings.Contains(out, "\nforged") {
		t.Errorf("summary carries terminal control from the job database:\n%q", out)
	}
}

func TestRunTextVerdicts(t *testing.T) {
	skipped := &runner.Execution{ID: "X", Job: "nightly", Lifecycle: runner.LifecycleSucceededWithSkipped,
		Steps: []*runner.StepExecution{{ID: 1, Name: "stats", Lifecycle: runner.LifecycleSucceededWithSkipped, Targets: []*runner.TargetExecution{
			runTarget("a", runner.LifecycleSucceeded, 1, 1, ""),
			runTarget("b", runner.LifecycleSkipped, 0, 0, "Skipped: another execution of this job step is already running on this target."),
		}}}}
	noTarget := &runner.Execution{ID: "X", Job: "nightly", Lifecycle: runner.LifecycleFailed, LastMessage: "Step 1 (stats): The step's target group does not exist.",
		Steps: []*runner.StepExecution{{ID: 1, Name: "stats", Lifecycle: runner.LifecycleFailed}}}
	running := &runner.Execution{ID: "X", Job: "nightly", Lifecycle: runner.LifecycleWaitingForChildren, Active: true}
	cases := map[string]struct {
		e    *runner.Execution
		want string
	}{
		"skipped databases are named with the reason": {skipped, "Succeeded with 1 database skipped:\n  s1.database.windows.net/b (step 1 stats): Skipped: Skipped: another execution of this job step is already running on this target.\n"},
		"a failure without a failing target":          {noTarget, "Failed: Step 1 (stats): The step's target group does not exist.\n"},
		"still running":                               {running, "Still WaitingForChildJobExecutions: the execution has not ended.\n"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			RunText(&b, c.e, runT0)
			if !strings.HasSuffix(b.String(), c.want) {
				t.Errorf("summary ends:\n%s\nwant the end:\n%s", b.String(), c.want)
			}
		})
	}
}

func TestRunProgress(t *testing.T) {
	prev := runFixture()
	prev.Lifecycle, prev.Active = runner.LifecycleWaitingForChildren, true
	prev.LastMessage, prev.Ended = "", time.Time{}
	prev.Steps[0] = &runner.StepExecution{ID: 1, Name: "stats", TargetGroup: "tenants", Lifecycle: runner.LifecycleWaitingForChildren,
		Active: true, Started: runT0, Targets: []*runner.TargetExecution{prev.Steps[0].Targets[0],
			runTarget("broken", runner.LifecycleWaitingForRetry, 1, 0, "Msg 208: \x1b[2Jgone"),
			runTarget("flaky", runner.LifecycleInProgress, 3, 0, ""),
			runTarget("slow", runner.LifecycleInProgress, 1, 0, "")}}
	cur := runFixture()
	changes := runner.Transitions(prev, cur)

	t.Run("plain", func(t *testing.T) {
		var b bytes.Buffer
		p := NewRunProgress(&b, false)
		p.Update(prev, runner.Transitions(nil, prev), 1500*time.Millisecond)
		p.Update(cur, changes, 65*time.Second)
		p.Clear()
		out := b.String()
		for _, want := range []string{
			"[0:01] job nightly: WaitingForChildJobExecutions\n",
			"[0:01] s1.database.windows.net/broken (step 1 stats): WaitingForRetry, attempt 1: Msg 208: \\x1b[2Jgone\n",
			"[1:05] s1.database.windows.net/broken (step 1 stats): Failed, attempt 3: Msg 208: \\x1b[2Jgone\\nforged line\n",
			"[1:05] job nightly: Failed: Step 1 (stats): The step failed on 2 of 3 target(s).\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("progress lacks %q:\n%s", want, out)
			}
		}
		for _, r := range out {
			if r < ' ' && r != '\n' || r == 0x7f {
				t.Fatalf("plain progress holds control character %q:\n%q", r, out)
			}
		}
	})
	t.Run("terminal", func(t *testing.T) {
		var b bytes.Buffer
		p := NewRunProgress(&b, true)
		p.Update(prev, runner.Transitions(nil, prev), time.Second)
		p.Update(prev, nil, 2*time.Second)
		first := b.String()
		if strings.Contains(first, "\n") || strings.Count(first, "\r") != 2 {
			t.Fatalf("two polls without failures should redraw one line in place: %q", first)
		}
		if !strings.HasSuffix(first, "\r0:02 nightly step 1 stats: 0 ok, 0 failed, 2 running, 1 retrying\x1b[K") {
			t.Fatalf("progress line: %q", first)
		}
		p.Update(cur, changes, 3*time.Second)
		p.Clear()
		rest := b.String()[len(first):]
		want := "\r\x1b[K[0:03] s1.database.windows.net/broken (step 1 stats): Failed, attempt 3: Msg 208: \\x1b[2Jgone\\nforged line\n" +
			"[0:03] s1.database.windows.net/slow (step 1 stats): TimedOut: The step timed out after 1 seconds.\n" +
			"\r0:03 nightly step 1 stats: 1 ok, 2 failed, 0 running, 0 retrying\x1b[K\r\x1b[K"
		if rest != want {
			t.Fatalf("failures are printed above the redrawn line:\n got %q\nwant %q", rest, want)
		}
	})
	t.Run("long names are cut, the counts stay", func(t *testing.T) {
		e := runFixture()
		e.Job = strings.Repeat("j", 200)
		line := runProgressLine(e, "0:01")
		if n := len([]rune(line)); n > runProgressWidth || !strings.HasSuffix(line, "1 ok, 2 failed, 0 running, 0 retrying") {
			t.Fatalf("line of %d runes: %q", n, line)
		}
	})
}

// runKeys returns the keys of every object in a JSON document, by path ("steps[].targets[].type").
func runKeys(t *testing.T, data []byte) []string {
	t.Helper()
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				seen[prefix+k] = true
				walk(prefix+k+".", c)
			}
		case []any:
			for _, c := range x {
				walk(strings.TrimSuffix(prefix, ".")+"[].", c)
			}
		}
	}
	walk("", doc)
	var out []string
	for k := range seen {
		if !strings.HasPrefix(k, "targetCounts.") {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// runDocumentedKeys is the shape of the run document that the README documents.
var runDocumentedKeys = strings.Fields(`active createTime durationSeconds endTime executionId formatVersion job jobVersion
lastMessage lifecycle startTime steps steps[].active steps[].durationSeconds steps[].endTime steps[].lastMessage
steps[].lifecycle steps[].startTime steps[].stepId steps[].stepName steps[].targetGroup steps[].targets
steps[].targets[].active steps[].targets[].attempts steps[].targets[].database steps[].targets[].durationSeconds
steps[].targets[].endTime steps[].targets[].lastMessage steps[].targets[].lifecycle steps[].targets[].nextAttemptTime
steps[].targets[].server steps[].targets[].startTime steps[].targets[].type succeeded targetCounts`)

func TestRunJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := RunJSON(&b, runFixture(), runT0); err != nil {
		t.Fatal(err)
	}
	got := runKeys(t, b.Bytes())
	if strings.Join(got, " ") != strings.Join(runDocumentedKeys, " ") {
		t.Fatalf("keys:\n%v\nwant:\n%v", got, runDocumentedKeys)
	}
	var doc struct {
		FormatVersion string
		TargetCounts  map[string]int
		Steps         []struct {
			Targets []struct{ LastMessage string }
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FormatVersion != RunFormatVersion || doc.TargetCounts["Failed"] != 1 || doc.TargetCounts["Succeeded"] != 1 ||
		doc.Steps[0].Targets[1].LastMessage != "Msg 208: \x1b[2Jgone\nforged line" {
		t.Fatalf("document: %+v", doc)
	}
}

func TestRunJUnitCounts(t *testing.T) {
	e := runFixture()
	e.Steps = append(e.Steps, &runner.StepExecution{ID: 2, Name: "later", Lifecycle: runner.LifecycleInProgress, Active: true,
		Targets: []*runner.TargetExecution{runTarget("a", runner.LifecycleInProgress, 1, 0, ""), runTarget("b", runner.LifecycleSkipped, 0, 0, "busy")}},
		&runner.StepExecution{ID: 3, Name: "nogroup", Lifecycle: runner.LifecycleFailed, LastMessage: "The step's target group does not exist."})
	var b bytes.Buffer
	if err := RunJUnit(&b, e, runT0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	type counts struct{ tests, failures, errors, skipped int }
	got := []counts{{doc.Tests, doc.Failures, doc.Errors, doc.Skipped}}
	for _, s := range doc.Suites {
		got = append(got, counts{s.Tests, s.Failures, s.Errors, s.Skipped})
	}
	want := []counts{{6, 3, 1, 1}, {3, 2, 0, 0}, {2, 0, 1, 1}, {1, 1, 0, 0}}
	if len(got) != len(want) {
		t.Fatalf("counts %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("counts %v, want %v", got, want)
		}
	}
	broken := doc.Suites[0].Cases[0]
	if broken.Name != "s1.database.windows.net/broken" || broken.Failure == nil || broken.Failure.Type != "Failed" ||
		!strings.HasPrefix(broken.Failure.Message, "Msg 208: \uFFFD[2Jgone") {
		t.Fatalf("failing case: %+v", broken)
	}
	if bytes.ContainsRune(b.Bytes(), 0x1b) {
		t.Fatal("the report holds a character XML 1.0 forbids")
	}
}

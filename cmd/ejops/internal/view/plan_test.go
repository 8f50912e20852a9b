package view

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

// step, job, owned and diff build plans as the runner's own tests do.

func step(name, cmd string) runner.DesiredStep {
	return runner.DesiredStep{Name: name, Command: cmd, TargetGroup: "tg", InitialRetrySecs: 1, MaxRetrySecs: 120,
		BackoffMultiplier: 2, RetryAttempts: 10, TimeoutSecs: 43200}
}

func job(name string, steps ...runner.DesiredStep) runner.DesiredJob {
	return runner.DesiredJob{Name: name, IntervalType: "Once", IntervalCount: 1, Start: runner.ScheduleMinStart, End: runner.ScheduleMaxEnd, Steps: steps}
}

// applied is a desired job as the job database holds it once applied (steps without output).
func applied(j runner.DesiredJob) jobdb.Job {
	live := jobdb.Job{Name: j.Name, IntervalType: j.IntervalType, IntervalCount: j.IntervalCount, Start: j.Start, End: j.End}
	for _, s := range j.Steps {
		live.Steps = append(live.Steps, jobdb.Step{Name: s.Name, Command: s.Command, TargetGroup: s.TargetGroup,
			InitialRetrySecs: s.InitialRetrySecs, MaxRetrySecs: s.MaxRetrySecs, BackoffMultiplier: s.BackoffMultiplier,
			RetryAttempts: s.RetryAttempts, TimeoutSecs: s.TimeoutSecs})
	}
	return live
}

func owned(scope, kind, name string) jobdb.Owned {
	return jobdb.Owned{Scope: scope, Kind: kind, Name: name}
}

func diff(t *testing.T, d *runner.Desired, live *jobdb.State, prune bool) *runner.Plan {
	t.Helper()
	secret := func(spec.SecretRef) (string, error) { return "s3cret", nil }
	p, err := runner.Diff(d, live, runner.Options{Scope: "default", Prune: prune, Secret: secret, Now: time.Now()})
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	return p
}

func TestPlanText(t *testing.T) {
	fp, _ := runner.Fingerprint("old")
	live := &jobdb.State{
		Credentials: []jobdb.Credential{{Name: "cred", Identity: "u"}},
		Jobs:        []jobdb.Job{applied(job("nightly", step("a", "SELECT 1;\nSELECT 2;\n")))},
		Inventory: []jobdb.Owned{{Scope: "default", Kind: runner.KindCredential, Name: "cred", SecretFingerprint: fp},
			owned("default", runner.KindJob, "nightly"), owned("default", runner.KindJob, "old")},
	}
	live.Jobs = append(live.Jobs, applied(job("old")), applied(job("handmade")))
	want := job("nightly", step("a", "SELECT 1;\nSELECT 3;\n"), step("b", "SELECT 4;"))
	want.Steps[0].TimeoutSecs = 300
	d := &runner.Desired{Jobs: []runner.DesiredJob{want}, Credentials: []runner.DesiredCredential{{Name: "cred", Identity: "u", SecretFrom: spec.SecretRef{Env: "X"}}}}
	p := diff(t, d, live, false)
	var b bytes.Buffer
	writePlanText(&b, p, Colors{})
	golden := `ejops will perform these actions (scope "default"):

  ~ credential cred
      secret: (sensitive) -> (sensitive)

  ~ job nightly
      ~ step a
          command:
              @@ -1,2 +1,2 @@
               SELECT 1;
              -SELECT 2;
              +SELECT 3;
          timeout: 12h -> 5m
      + step b (position 2)
          targetGroup: "tg"
          command:
              SELECT 4;
          timeout: 12h
          retry: 10 attempts, 1s initial, 2m max, x2

Objects in the job database that this scope does not manage (left alone):
  job handmade

Objects this scope applied that left the specs (kept; apply with --prune to delete):
  job old

Plan: 0 to add, 2 to change, 0 to destroy.
`
	if b.String() != golden {
		t.Fatalf("writePlanText mismatch\n--- got\n%s\n--- want\n%s", b.String(), golden)
	}
	if strings.Contains(b.String(), "s3cret") {
		t.Fatal("the secret is shown")
	}
	b.Reset()
	if err := writePlanJSON(&b, p); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FormatVersion string         `json:"formatVersion"`
		Summary       map[string]int `json:"summary"`
		Changes       []struct {
			Kind, Name, Action string
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FormatVersion != "2" || doc.Summary["change"] != 2 || len(doc.Changes) != 2 || doc.Changes[1].Action != "update" {
		t.Fatalf("JSON plan: %+v", doc)
	}
}

func TestPlanQuotesUnprintableNames(t *testing.T) {
	evil := "evil\nPlan: 0 to add\x1b[2J"
	p := diff(t, &runner.Desired{Jobs: []runner.DesiredJob{job(evil, step("s\x1b[31m", "SELECT 1;"))}}, &jobdb.State{}, false)
	var b bytes.Buffer
	writePlanText(&b, p, Colors{})
	if strings.Contains(b.String(), "\x1b") || strings.Contains(b.String(), "\nPlan: 0 to add") {
		t.Fatalf("a name forged plan output:\n%s", b.String())
	}
	if !strings.Contains(b.String(), `+ job "evil\nPlan: 0 to add\x1b[2J"`) {
		t.Fatalf("the name is not shown quoted:\n%s", b.String())
	}
}

// TestPlanUnverified: credentials a preview could not check are listed in the plan and warned of
// on stderr, with their spec position; the JSON plan lists them too.
func TestPlanUnverified(t *testing.T) {
	p := &runner.Plan{Scope: "default", Changes: []runner.Change{}, Unverified: []runner.Unverified{
		{Name: "c", Reason: "secret not checked: EJ_JOB_SECRET is not set", Pos: "specs/cred.yaml:6:21: spec.secretFrom.env"}}}
	var out, errOut bytes.Buffer
	if err := NewPlan(New(&out, &errOut, Text, false)).Plan(p); err != nil {
		t.Fatal(err)
	}
	want := `Credentials this plan could not check (apply checks them, and needs every secret):
  credential c: secret not checked: EJ_JOB_SECRET is not set

No changes. The job database matches the specs, apart from the credentials that could not be checked.
`
	if out.String() != want {
		t.Errorf("stdout:\n%s\nwant\n%s", out.String(), want)
	}
	if got := errOut.String(); got != "ejops: warning: specs/cred.yaml:6:21: spec.secretFrom.env: credential \"c\": secret not checked: EJ_JOB_SECRET is not set\n" {
		t.Errorf("stderr: %q", got)
	}
	out.Reset()
	if err := NewPlan(New(&out, io.Discard, JSON, false)).Plan(p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"unverified": [
    {
      "name": "c",
      "reason": "secret not checked: EJ_JOB_SECRET is not set",
      "position": "specs/cred.yaml:6:21: spec.secretFrom.env"`) {
		t.Errorf("JSON plan:\n%s", out.String())
	}
}

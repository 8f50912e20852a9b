package runner

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/runner/jobdb"
)

// saved plans desired against live and saves the plan through a plan file, as plan --out does.
func saved(t *testing.T, desired *Desired, live *jobdb.State, opt Options) *PlanFile {
	t.Helper()
	p, err := Diff(desired, live, opt)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := NewPlanFile(p, desired, live, opt)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WritePlanFile(&b, pf); err != nil {
		t.Fatal(err)
	}
	if pf, err = ReadPlanFile(&b); err != nil {
		t.Fatal(err)
	}
	return pf
}

// credentialLive is a job database holding credential c, applied with secret "s1", and job j.
func credentialLive(t *testing.T) (*Desired, *jobdb.State) {
	fp, err := Fingerprint("s1")
	if err != nil {
		t.Fatal(err)
	}
	d := &Desired{Credentials: []DesiredCredential{cred("c", "C", "a.yaml:6:21: spec.secretFrom.env")},
		Jobs: []DesiredJob{job("j", step("a", "SELECT 1;"))}}
	live := &jobdb.State{Server: "jobs-east", Database: "jobdb", Credentials: []jobdb.Credential{{Name: "c", Identity: "u"}},
		Inventory: []jobdb.Owned{{Scope: "default", Kind: KindCredential, Name: "c", SpecHash: specHash(d.Credentials[0]), SecretFingerprint: fp}}}
	return d, live
}

func TestSavedPlanIsBinding(t *testing.T) {
	d, live := credentialLive(t)
	opt := Options{Scope: "default", Secret: envSecrets(map[string]string{"C": "s1"}), Now: time.Now()}
	pf := saved(t, d, live, opt)
	if len(pf.Operations) != 2 || pf.Operations[0].Change != `create job "j"` || pf.Operations[1].Change != `record job "j"` {
		t.Fatalf("operations: %+v", pf.Operations)
	}
	if len(pf.Secrets) != 1 || !VerifyFingerprint("s1", pf.Secrets[0].Fingerprint) {
		t.Fatalf("secrets: %+v", pf.Secrets)
	}
	p, err := pf.Diff(live, opt)
	if err != nil || len(p.Changes) != 1 {
		t.Fatalf("the same job database, state and secrets: %v %v", err, p)
	}

	other := *live
	other.Server, other.Database = "jobs-west", "jobs"
	_, err = pf.Diff(&other, opt)
	if err == nil || err.Error() != "the plan was made for server jobs-east database jobdb; this is server jobs-west database jobs" {
		t.Errorf("another job database: %v", err)
	}
	moved := *live
	moved.Jobs = []jobdb.Job{applied(job("meanwhile"))}
	if _, err := pf.Diff(&moved, opt); !errors.Is(err, ErrStale) {
		t.Errorf("live state moved: %v", err)
	}
	opt.Secret = envSecrets(map[string]string{"C": "s2"})
	_, err = pf.Diff(live, opt)
	var oe *OperationsError
	if !errors.As(err, &oe) || err.Error() != `the plan's operations differ from what apply would do now: the secret of credential "c" is not the one the plan was made with; run plan again` {
		t.Errorf("rotated secret: %v", err)
	}
	opt.Secret = envSecrets(nil)
	var ce *CredentialsError
	if _, err := pf.Diff(live, opt); !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), "a.yaml:6:21: spec.secretFrom.env: ") {
		t.Errorf("missing secret: %v", err)
	}
}

// TestSavedPlanOnceScheduleCrossesNow: a Once job the agent disabled is drift until its start
// time, not after: a plan saved before the start no longer holds after it.
func TestSavedPlanOnceScheduleCrossesNow(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	j := job("once", step("a", "SELECT 1;"))
	j.Enabled, j.Start = true, now.Add(time.Hour)
	d := &Desired{Jobs: []DesiredJob{j}}
	lj := applied(j)
	lj.Enabled = false
	live := &jobdb.State{Server: "s", Database: "d", Jobs: []jobdb.Job{lj},
		Inventory: []jobdb.Owned{{Scope: "default", Kind: KindJob, Name: "once", SpecHash: specHash(j)}}}
	opt := Options{Scope: "default", Secret: noSecret, Now: now}
	pf := saved(t, d, live, opt)
	opt.Now = now.Add(2 * time.Hour)
	_, err := pf.Diff(live, opt)
	if err == nil || err.Error() != `the plan's operations differ from what apply would do now: update job "once" is no longer needed; run plan again` {
		t.Fatalf("once schedule crossed now: %v", err)
	}
}

func TestOperationsDigestEveryArgument(t *testing.T) {
	base := &Plan{Changes: []Change{{Kind: KindJob, Name: "j", Action: Update, Ops: []Op{
		{Proc: "jobs.sp_update_job", Args: []Arg{{"job_name", "j"}, {"enabled", true}, {"schedule_interval_count", int64(1)}}}}}}}
	digestOf := func(p *Plan) string { return operations(p, nil)[0].Digest }
	want := digestOf(base)
	for name, edit := range map[string]func(op *Op){
		"procedure":  func(op *Op) { op.Proc = "jobs.sp_add_job" },
		"value":      func(op *Op) { op.Args[0].Value = "k" },
		"value type": func(op *Op) { op.Args[2].Value = "1" },
		"arg name":   func(op *Op) { op.Args[1].Name = "enable" },
		"arg gone":   func(op *Op) { op.Args = op.Args[:2] },
		"boundaries": func(op *Op) { op.Args[0] = Arg{"job_nam", "ej"} },
	} {
		p := &Plan{Changes: []Change{{Kind: KindJob, Name: "j", Action: Update, Ops: []Op{{Proc: "jobs.sp_update_job",
			Args: append([]Arg(nil), base.Changes[0].Ops[0].Args...)}}}}}
		edit(&p.Changes[0].Ops[0])
		if digestOf(p) == want {
			t.Errorf("%s: the digest did not change", name)
		}
	}
}

func TestPlanFileNeedsEveryCredentialChecked(t *testing.T) {
	d, live := credentialLive(t)
	opt := Options{Scope: "default", Secret: envSecrets(nil), Now: time.Now(), Preview: true}
	p, err := Diff(d, live, opt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewPlanFile(p, d, live, opt); err == nil || !strings.Contains(err.Error(), `the secret of credential "c" could not be read`) {
		t.Errorf("unverified secret: %v", err)
	}
	live.CredentialsHidden = true
	if p, err = Diff(d, live, opt); err != nil {
		t.Fatal(err)
	}
	if _, err := NewPlanFile(p, d, live, opt); err == nil || !strings.Contains(err.Error(), "cannot read sys.database_scoped_credentials") {
		t.Errorf("hidden credentials: %v", err)
	}
}

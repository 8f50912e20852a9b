package runner

import (
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

func step(name, cmd string) DesiredStep {
	return DesiredStep{Name: name, Command: cmd, TargetGroup: "tg", InitialRetrySecs: 1, MaxRetrySecs: 120,
		BackoffMultiplier: 2, RetryAttempts: 10, TimeoutSecs: 43200}
}

func job(name string, steps ...DesiredStep) DesiredJob {
	return DesiredJob{Name: name, IntervalType: "Once", IntervalCount: 1, Start: ScheduleMinStart, End: ScheduleMaxEnd, Steps: steps}
}

// applied is a desired job as the job database holds it once applied.
func applied(j DesiredJob) jobdb.Job {
	live := jobdb.Job{Name: j.Name, Description: j.Description, Enabled: j.Enabled, IntervalType: j.IntervalType,
		IntervalCount: j.IntervalCount, Start: j.Start, End: j.End}
	for _, s := range j.Steps {
		ls := jobdb.Step{Name: s.Name, Command: s.Command, Credential: s.Credential, TargetGroup: s.TargetGroup,
			InitialRetrySecs: s.InitialRetrySecs, MaxRetrySecs: s.MaxRetrySecs, BackoffMultiplier: s.BackoffMultiplier,
			RetryAttempts: s.RetryAttempts, TimeoutSecs: s.TimeoutSecs, MaxParallelism: s.MaxParallelism}
		if o := s.Output; o != nil {
			ls.Output = &jobdb.Output{Server: o.Server, Database: o.Database, Schema: o.Schema, Table: o.Table, Credential: o.Credential}
		}
		live.Steps = append(live.Steps, ls)
	}
	return live
}

func owned(scope, kind, name string) jobdb.Owned {
	return jobdb.Owned{Scope: scope, Kind: kind, Name: name}
}

func noSecret(spec.SecretRef) (string, error) { return "s3cret", nil }

func diff(t *testing.T, d *Desired, live *jobdb.State, prune bool) *Plan {
	t.Helper()
	p, err := Diff(d, live, Options{Scope: "default", Prune: prune, Secret: noSecret, Now: time.Now()})
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	return p
}

func procs(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		for _, op := range c.Ops {
			if op.Cred != nil {
				out = append(out, op.Cred.Verb+" CREDENTIAL")
			} else {
				out = append(out, op.Proc)
			}
		}
	}
	return out
}

func TestDiffOneCallPerFieldChange(t *testing.T) {
	base := func() DesiredJob { return job("j", step("a", "SELECT 1;"), step("b", "SELECT 2;")) }
	cases := map[string]struct {
		edit  func(j *DesiredJob)
		proc  string
		field string
	}{
		"description": {func(j *DesiredJob) { j.Description = "x" }, "jobs.sp_update_job", "description"},
		"enabled":     {func(j *DesiredJob) { j.Enabled = true }, "jobs.sp_update_job", "enabled"},
		"interval":    {func(j *DesiredJob) { j.IntervalType, j.IntervalCount = "Days", 1 }, "jobs.sp_update_job", "schedule"},
		"command":     {func(j *DesiredJob) { j.Steps[1].Command = "SELECT 3;" }, "jobs.sp_update_jobstep", "command"},
		"timeout":     {func(j *DesiredJob) { j.Steps[0].TimeoutSecs = 60 }, "jobs.sp_update_jobstep", "timeout"},
		"attempts":    {func(j *DesiredJob) { j.Steps[0].RetryAttempts = 0 }, "jobs.sp_update_jobstep", "retry.attempts"},
		"multiplier":  {func(j *DesiredJob) { j.Steps[0].BackoffMultiplier = 1.5 }, "jobs.sp_update_jobstep", "retry.backoffMultiplier"},
		"parallelism": {func(j *DesiredJob) { j.Steps[0].MaxParallelism = 4 }, "jobs.sp_update_jobstep", "maxParallelism"},
		"target":      {func(j *DesiredJob) { j.Steps[0].TargetGroup = "other" }, "jobs.sp_update_jobstep", "targetGroup"},
		"credential":  {func(j *DesiredJob) { j.Steps[0].Credential = "c" }, "jobs.sp_update_jobstep", "credential"},
		"output": {func(j *DesiredJob) {
			j.Steps[0].Output = &DesiredOutput{Server: "s", Database: "d", Schema: "dbo", Table: "t"}
		}, "jobs.sp_update_jobstep", "output"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			want := base()
			tc.edit(&want)
			live := &jobdb.State{Jobs: []jobdb.Job{applied(base())}, Inventory: []jobdb.Owned{owned("default", KindJob, "j")}}
			p := diff(t, &Desired{Jobs: []DesiredJob{want}}, live, false)
			got := procs(p)
			if len(got) != 1 || got[0] != tc.proc {
				t.Fatalf("calls = %v, want exactly [%s]", got, tc.proc)
			}
			c := p.Changes[0]
			var fields []Field
			fields = append(fields, c.Fields...)
			for _, s := range c.Subs {
				fields = append(fields, s.Fields...)
			}
			if len(fields) != 1 || fields[0].Name != tc.field {
				t.Fatalf("fields = %+v, want one %q", fields, tc.field)
			}
		})
	}
}

func TestDiffNoChanges(t *testing.T) {
	j := job("Nightly", step("a", "SELECT 1;\r\n"))
	live := &jobdb.State{
		Jobs:         []jobdb.Job{applied(j)},
		TargetGroups: []jobdb.TargetGroup{{Name: "tg", Members: []jobdb.Member{{TargetID: "x", Membership: "Include", Type: "SqlServer", Server: "S1"}}}},
		Inventory:    []jobdb.Owned{owned("default", KindJob, "nightly"), owned("default", KindTargetGroup, "tg")},
	}
	want := job("nightly", step("a", "SELECT 1;\n"))
	d := &Desired{Jobs: []DesiredJob{want}, TargetGroups: []DesiredTargetGroup{{Name: "TG", Members: []DesiredMember{{Membership: "Include", Type: "SqlServer", Server: "s1"}}}}}
	live.Inventory[0].SpecHash = specHash(want)
	live.Inventory[1].SpecHash = specHash(d.TargetGroups[0])
	p := diff(t, d, live, false)
	if !p.Empty() || len(p.Inventory) != 0 {
		t.Fatalf("plan not empty: %+v inventory %+v", p.Changes, p.Inventory)
	}
}

func TestDiffOnceJobDisabledByAgentIsNotDrift(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	want := job("j")
	want.Enabled, want.Start = true, start
	have := want
	have.Enabled = false
	inv := []jobdb.Owned{{Scope: "default", Kind: KindJob, Name: "j", SpecHash: specHash(want)}}
	p := diff(t, &Desired{Jobs: []DesiredJob{want}}, &jobdb.State{Jobs: []jobdb.Job{applied(have)}, Inventory: inv}, false)
	if !p.Empty() {
		t.Fatalf("plan = %v, want no changes", procs(p))
	}
	// A spec that was applied disabled and now says enabled is a real change.
	inv[0].SpecHash = specHash(have)
	p = diff(t, &Desired{Jobs: []DesiredJob{want}}, &jobdb.State{Jobs: []jobdb.Job{applied(have)}, Inventory: inv}, false)
	if got := procs(p); len(got) != 1 {
		t.Fatalf("calls = %v, want one sp_update_job", got)
	}
}

func TestDiffOwnership(t *testing.T) {
	live := &jobdb.State{
		Jobs: []jobdb.Job{applied(job("mine")), applied(job("theirs")), applied(job("handmade"))},
		Inventory: []jobdb.Owned{
			owned("default", KindJob, "mine"), owned("other", KindJob, "theirs"),
		},
	}
	p := diff(t, &Desired{}, live, false)
	if len(p.Changes) != 0 || len(p.Kept) != 1 || p.Kept[0].Name != "mine" || len(p.Unmanaged) != 2 {
		t.Fatalf("without prune: changes %v kept %v unmanaged %v", procs(p), p.Kept, p.Unmanaged)
	}
	p = diff(t, &Desired{}, live, true)
	if got := procs(p); len(got) != 1 || got[0] != "jobs.sp_delete_job" || p.Changes[0].Name != "mine" {
		t.Fatalf("with prune: %v %+v", got, p.Changes)
	}
	_, err := Diff(&Desired{Jobs: []DesiredJob{job("theirs")}}, live, Options{Scope: "default", Secret: noSecret})
	if err == nil || !strings.Contains(err.Error(), `owned by scope "other"`) {
		t.Fatalf("claiming another scope's job: err = %v", err)
	}
	p = diff(t, &Desired{Jobs: []DesiredJob{job("handmade")}}, live, false)
	if len(p.Adopt) != 1 || !p.Empty() || len(p.Inventory) != 1 {
		t.Fatalf("adopting: adopt %v changes %v inventory %v", p.Adopt, procs(p), p.Inventory)
	}
}

func TestDiffMembers(t *testing.T) {
	live := &jobdb.State{TargetGroups: []jobdb.TargetGroup{{Name: "g", Members: []jobdb.Member{
		{TargetID: "1", Membership: "Include", Type: "SqlServer", Server: "a"},
		{TargetID: "2", Membership: "Include", Type: "SqlDatabase", Server: "a", Database: "x"},
	}}}}
	d := &Desired{TargetGroups: []DesiredTargetGroup{{Name: "g", Members: []DesiredMember{
		{Membership: "Include", Type: "SqlServer", Server: "a"},
		{Membership: "Exclude", Type: "SqlDatabase", Server: "a", Database: "x"},
	}}}}
	got := procs(diff(t, d, live, false))
	want := []string{"jobs.sp_delete_target_group_member", "jobs.sp_add_target_group_member"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("calls = %v, want %v", got, want)
	}
}

func TestDiffSecretChange(t *testing.T) {
	fp, err := Fingerprint("old")
	if err != nil {
		t.Fatal(err)
	}
	live := &jobdb.State{Credentials: []jobdb.Credential{{Name: "c", Identity: "u"}},
		Inventory: []jobdb.Owned{{Scope: "default", Kind: KindCredential, Name: "c", SecretFingerprint: fp}}}
	d := &Desired{Credentials: []DesiredCredential{{Name: "c", Identity: "u", SecretFrom: spec.SecretRef{Env: "X"}}}}
	p := diff(t, d, live, false) // noSecret returns "s3cret"
	if got := procs(p); len(got) != 1 || got[0] != "ALTER CREDENTIAL" {
		t.Fatalf("calls = %v, want ALTER", got)
	}
	if f := p.Changes[0].Fields; len(f) != 1 || !f[0].Sensitive || strings.Contains(f[0].Old+f[0].New, "s3cret") {
		t.Fatalf("fields = %+v", f)
	}
	live.Inventory[0].SecretFingerprint, _ = Fingerprint("s3cret")
	live.Inventory[0].SpecHash = specHash(d.Credentials[0])
	if p := diff(t, d, live, false); !p.Empty() || len(p.Inventory) != 0 {
		t.Fatalf("same secret: %v %v", procs(p), p.Inventory)
	}
}

// simulate runs step calls the way the job database does: deletes close gaps, @new_id moves, and
// inserts at @step_id shift the rest.
func simulate(t *testing.T, have []DesiredStep, ops []Op) []DesiredStep {
	t.Helper()
	cur := append([]DesiredStep(nil), have...)
	find := func(name string) int {
		for i, s := range cur {
			if sameName(s.Name, name) {
				return i
			}
		}
		t.Fatalf("step %q not found in %v", name, names(cur))
		return -1
	}
	arg := func(op Op, name string) (any, bool) {
		for _, a := range op.Args {
			if a.Name == name {
				return a.Value, true
			}
		}
		return nil, false
	}
	for _, op := range ops {
		switch op.Proc {
		case "jobs.sp_delete_jobstep":
			n, _ := arg(op, "step_name")
			i := find(n.(string))
			cur = append(cur[:i], cur[i+1:]...)
		case "jobs.sp_update_jobstep":
			n, _ := arg(op, "step_name")
			i := find(n.(string))
			s := cur[i]
			if v, ok := arg(op, "command"); ok {
				s.Command = v.(string)
			}
			if v, ok := arg(op, "new_name"); ok {
				s.Name = v.(string)
			}
			cur[i] = s
			if v, ok := arg(op, "new_id"); ok {
				pos := int(v.(int64))
				if pos < 1 || pos > len(cur) {
					t.Fatalf("@new_id %d out of range 1..%d", pos, len(cur))
				}
				cur = append(cur[:i], cur[i+1:]...)
				cur = append(cur[:pos-1], append([]DesiredStep{s}, cur[pos-1:]...)...)
			}
		case "jobs.sp_add_jobstep":
			n, _ := arg(op, "step_name")
			c, _ := arg(op, "command")
			s := step(n.(string), c.(string))
			pos := len(cur) + 1
			if v, ok := arg(op, "step_id"); ok {
				pos = int(v.(int64))
			}
			if pos < 1 || pos > len(cur)+1 {
				t.Fatalf("@step_id %d out of range", pos)
			}
			cur = append(cur[:pos-1], append([]DesiredStep{s}, cur[pos-1:]...)...)
		default:
			t.Fatalf("unexpected call %s", op.Proc)
		}
	}
	return cur
}

func names(steps []DesiredStep) string {
	var out []string
	for _, s := range steps {
		out = append(out, s.Name+"="+s.Command)
	}
	return strings.Join(out, ",")
}

func TestDiffStepsExamples(t *testing.T) {
	a, b, c, d := step("a", "1"), step("b", "2"), step("c", "3"), step("d", "4")
	cases := map[string]struct {
		have, want []DesiredStep
		calls      int
	}{
		"move last to first": {[]DesiredStep{a, b, c, d}, []DesiredStep{d, a, b, c}, 1},
		"move first to last": {[]DesiredStep{a, b, c, d}, []DesiredStep{b, c, d, a}, 1},
		"swap":               {[]DesiredStep{a, b}, []DesiredStep{b, a}, 1},
		"rename":             {[]DesiredStep{a, b}, []DesiredStep{a, step("b2", "2")}, 1},
		"insert middle":      {[]DesiredStep{a, c}, []DesiredStep{a, b, c}, 1},
		"delete middle":      {[]DesiredStep{a, b, c}, []DesiredStep{a, c}, 1},
		"reverse":            {[]DesiredStep{a, b, c, d}, []DesiredStep{d, c, b, a}, 3},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, ops := diffSteps("j", tc.want, tc.have)
			if len(ops) != tc.calls {
				t.Errorf("%d calls, want %d", len(ops), tc.calls)
			}
			if got := simulate(t, tc.have, ops); names(got) != names(tc.want) {
				t.Errorf("result %s, want %s", names(got), names(tc.want))
			}
		})
	}
}

// TestDiffStepsProperty applies random edits to random step lists: after the planned calls the
// steps equal the desired ones.
func TestDiffStepsProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for iter := 0; iter < 3000; iter++ {
		var have []DesiredStep
		for i := 0; i < rng.Intn(7); i++ {
			have = append(have, step(string(rune('a'+i)), string(rune('A'+i))))
		}
		want := append([]DesiredStep(nil), have...)
		for e := 0; e < rng.Intn(5); e++ {
			switch k := rng.Intn(5); {
			case k == 0 && len(want) > 0: // delete
				i := rng.Intn(len(want))
				want = append(want[:i], want[i+1:]...)
			case k == 1: // insert
				i := rng.Intn(len(want) + 1)
				s := step("n"+string(rune('a'+e)), "new"+string(rune('0'+e)))
				want = append(want[:i], append([]DesiredStep{s}, want[i:]...)...)
			case k == 2 && len(want) > 1: // move
				i, j := rng.Intn(len(want)), rng.Intn(len(want))
				s := want[i]
				want = append(want[:i], want[i+1:]...)
				want = append(want[:j], append([]DesiredStep{s}, want[j:]...)...)
			case k == 3 && len(want) > 0: // rename
				i := rng.Intn(len(want))
				want[i].Name = "r" + want[i].Name
			case k == 4 && len(want) > 0: // edit command
				i := rng.Intn(len(want))
				want[i].Command += "!"
			}
		}
		_, ops := diffSteps("j", want, have)
		if got := simulate(t, have, ops); names(got) != names(want) {
			t.Fatalf("iteration %d: from %s to %s: got %s with %d calls", iter, names(have), names(want), names(got), len(ops))
		}
		if names(want) == names(have) && len(ops) != 0 {
			t.Fatalf("no edit but %d calls", len(ops))
		}
	}
}

func TestDiffForgetsOwnedObjectsDeletedOutsideEjops(t *testing.T) {
	live := &jobdb.State{Inventory: []jobdb.Owned{owned("default", KindJob, "gone"), owned("other", KindJob, "theirs")}}
	if p := diff(t, &Desired{}, live, false); len(p.Inventory) != 0 {
		t.Fatalf("without prune: inventory ops %+v", p.Inventory)
	}
	p := diff(t, &Desired{}, live, true)
	if len(p.Inventory) != 1 || !p.Inventory[0].Remove || p.Inventory[0].Name != "gone" || !p.Empty() {
		t.Fatalf("with prune: inventory ops %+v, changes %v", p.Inventory, procs(p))
	}
}

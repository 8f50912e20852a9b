package runner

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

// Action is what a plan does to an object.
type Action string

// Actions, in the order a plan lists them.
const (
	Create Action = "create"
	Update Action = "update"
	Delete Action = "delete"
)

// Kinds of objects.
const (
	KindCredential  = "Credential"
	KindTargetGroup = "TargetGroup"
	KindJob         = "Job"
)

// Field is one changed field; Old and New are display strings ("(sensitive)" for secrets).
type Field struct {
	Name      string `json:"field"`
	Old       string `json:"old"`
	New       string `json:"new"`
	Sensitive bool   `json:"sensitive,omitempty"`
}

// SubChange is a change to a step or a target group member within an object.
type SubChange struct {
	Action   Action  `json:"action"`
	Name     string  `json:"name"`
	NewName  string  `json:"newName,omitempty"`
	Position int     `json:"position,omitempty"` // new step position, when added or moved
	Fields   []Field `json:"fields,omitempty"`
}

// Change is one object to create, update or delete.
type Change struct {
	Kind   string      `json:"kind"`
	Name   string      `json:"name"`
	Action Action      `json:"action"`
	Fields []Field     `json:"fields,omitempty"`
	Subs   []SubChange `json:"subchanges,omitempty"`
	Ops    []Op        `json:"-"`
}

// Ref names an object that the plan leaves alone, with its owning scope if any.
type Ref struct {
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	Scope string `json:"scope,omitempty"`
}

// Op is one call the apply makes: a procedure with named arguments, or a credential statement
// whose secret is resolved at apply time.
type Op struct {
	Object string // "job nightly" for error messages
	Proc   string
	Args   []Arg
	Cred   *CredOp
}

// Arg is a named procedure argument.
type Arg struct {
	Name  string
	Value any
}

// CredOp is a CREATE, ALTER or DROP DATABASE SCOPED CREDENTIAL.
type CredOp struct {
	Verb       string // CREATE, ALTER, DROP
	Name       string
	Identity   string
	SecretFrom spec.SecretRef
}

// InventoryOp records (Hash set) or forgets an owned object in the inventory.
type InventoryOp struct {
	Kind, Name  string
	Hash        string
	Secret      *spec.SecretRef // credentials: fingerprint this secret
	Fingerprint string          // credentials adopted or unchanged: keep this fingerprint
	Exists      bool            // the row exists: update rather than insert
	Remove      bool
}

// Plan is the difference between the specs and the live job database, with the calls that close it.
type Plan struct {
	Scope     string        `json:"scope"`
	Changes   []Change      `json:"changes"`
	Adopt     []Ref         `json:"adopt"`     // in the specs and live, not yet owned: recorded on apply
	Kept      []Ref         `json:"kept"`      // owned, left the specs; deleted only with prune
	Unmanaged []Ref         `json:"unmanaged"` // live, never applied by this scope
	Inventory []InventoryOp `json:"-"`
	LiveHash  string        `json:"liveHash"`
}

// Counts returns how many objects the plan adds, changes and destroys.
func (p *Plan) Counts() (add, change, destroy int) {
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			add++
		case Update:
			change++
		case Delete:
			destroy++
		}
	}
	return
}

// Empty reports whether the plan changes nothing in the job database (adoption aside).
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Writes reports whether apply has anything to write, the inventory included.
func (p *Plan) Writes() bool { return len(p.Changes) > 0 || len(p.Inventory) > 0 }

// Options steer Diff.
type Options struct {
	Scope string
	Prune bool
	// Secret resolves a secret reference; the value is used only to compare fingerprints.
	Secret func(spec.SecretRef) (string, error)
	Now    time.Time
}

// ConflictError says the specs claim objects another scope owns.
type ConflictError struct{ Refs []Ref }

func (e *ConflictError) Error() string {
	var b strings.Builder
	for i, r := range e.Refs {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %q is owned by scope %q", KindWord(r.Kind), r.Name, r.Scope)
	}
	return b.String() + " (apply it from that scope, or delete it there first)"
}

type owner struct {
	scope string
	row   jobdb.Owned
}

// Diff computes the plan that makes live equal desired. It does no I/O besides opt.Secret.
func Diff(d *Desired, live *jobdb.State, opt Options) (*Plan, error) {
	p := &Plan{Scope: opt.Scope, LiveHash: live.Hash(), Changes: []Change{}, Adopt: []Ref{}, Kept: []Ref{}, Unmanaged: []Ref{}}
	owners := map[string]owner{}
	for _, o := range live.Inventory {
		k := key(o.Kind, o.Name)
		if cur, ok := owners[k]; !ok || o.Scope == opt.Scope || cur.scope != opt.Scope {
			owners[k] = owner{o.Scope, o}
		}
	}
	var conflicts []Ref
	// claim classifies a desired object that exists live; it returns the inventory row of this scope.
	claim := func(kind, name string) (jobdb.Owned, bool) {
		o, ok := owners[key(kind, name)]
		switch {
		case !ok:
			p.Adopt = append(p.Adopt, Ref{Kind: kind, Name: name})
			return jobdb.Owned{}, false
		case o.scope != opt.Scope:
			conflicts = append(conflicts, Ref{Kind: kind, Name: name, Scope: o.scope})
			return jobdb.Owned{}, false
		}
		return o.row, true
	}
	// leftover classifies a live object that no spec declares and reports whether to delete it.
	leftover := func(kind, name string) bool {
		o, ok := owners[key(kind, name)]
		switch {
		case !ok:
			p.Unmanaged = append(p.Unmanaged, Ref{Kind: kind, Name: name})
		case o.scope != opt.Scope:
			p.Unmanaged = append(p.Unmanaged, Ref{Kind: kind, Name: name, Scope: o.scope})
		case opt.Prune:
			return true
		default:
			p.Kept = append(p.Kept, Ref{Kind: kind, Name: name, Scope: o.scope})
		}
		return false
	}
	// record makes the inventory entry of a desired object; Exists says this scope already has a
	// row for it, which is also the case when the object was deleted by hand and is created again.
	record := func(kind, name string, v any) InventoryOp {
		o, ok := owners[key(kind, name)]
		return InventoryOp{Kind: kind, Name: name, Hash: hashOf(v), Exists: ok && o.scope == opt.Scope}
	}

	// settle adds what an object that exists live needs: its change when it has calls to make, and
	// its inventory row when it changed, is adopted, or its spec's hash moved.
	settle := func(c Change, inv InventoryOp, row jobdb.Owned, owned bool) {
		switch {
		case len(c.Ops) > 0:
			p.Changes = append(p.Changes, c)
			p.Inventory = append(p.Inventory, inv)
		case !owned || row.SpecHash != inv.Hash:
			p.Inventory = append(p.Inventory, inv)
		}
	}
	// drops plans the deletion of the live objects no spec declares (names) that may go: owned by
	// this scope, with prune.
	drops := func(kind string, names []string, del func(name string) Op) []Change {
		var out []Change
		for _, n := range names {
			if leftover(kind, n) {
				out = append(out, Change{Kind: kind, Name: n, Action: Delete, Ops: []Op{del(n)}})
			}
		}
		return out
	}

	// Credentials.
	liveCreds := map[string]jobdb.Credential{}
	for _, c := range live.Credentials {
		liveCreds[strings.ToLower(c.Name)] = c
	}
	for _, c := range d.Credentials {
		secretRef := c.SecretFrom
		// Every secret must resolve at plan time, so a missing one fails before anything is applied.
		secret, err := opt.Secret(secretRef)
		if err != nil {
			if c.SecretPos != "" {
				return nil, fmt.Errorf("%s: credential %q: %w", c.SecretPos, c.Name, err)
			}
			return nil, fmt.Errorf("credential %q: %w", c.Name, err)
		}
		l, exists := liveCreds[strings.ToLower(c.Name)]
		delete(liveCreds, strings.ToLower(c.Name))
		// The hash leaves out where the secret comes from: the fingerprint tracks the secret itself.
		inv := record(KindCredential, c.Name, c.Credential)
		inv.Secret = &secretRef
		if !exists {
			p.Changes = append(p.Changes, Change{Kind: KindCredential, Name: c.Name, Action: Create,
				Fields: []Field{{Name: "identity", New: c.Identity}, {Name: "secret", New: "(sensitive)", Sensitive: true}},
				Ops:    []Op{{Object: "credential " + c.Name, Cred: &CredOp{Verb: "CREATE", Name: c.Name, Identity: c.Identity, SecretFrom: secretRef}}}})
			p.Inventory = append(p.Inventory, inv)
			continue
		}
		row, owned := claim(KindCredential, c.Name)
		secretChanged := owned && row.SecretFingerprint != "" && !VerifyFingerprint(secret, row.SecretFingerprint)
		var fields []Field
		if l.Identity != c.Identity {
			fields = append(fields, Field{Name: "identity", Old: l.Identity, New: c.Identity})
		}
		if secretChanged {
			fields = append(fields, Field{Name: "secret", Old: "(sensitive)", New: "(sensitive)", Sensitive: true})
		}
		ch := Change{Kind: KindCredential, Name: c.Name, Action: Update, Fields: fields}
		switch {
		case len(fields) > 0:
			ch.Ops = []Op{{Object: "credential " + c.Name, Cred: &CredOp{Verb: "ALTER", Name: c.Name, Identity: c.Identity, SecretFrom: secretRef}}}
		case owned:
			inv.Secret, inv.Fingerprint = nil, row.SecretFingerprint
		}
		// An adopted credential's live secret cannot be read back: its fingerprint is taken from
		// the spec's secret, so later changes of that secret are detected.
		settle(ch, inv, row, owned)
	}
	credDeletes := drops(KindCredential, sortedNames(liveCreds, func(c jobdb.Credential) string { return c.Name }), func(n string) Op {
		return Op{Object: "credential " + n, Cred: &CredOp{Verb: "DROP", Name: n}}
	})

	// Target groups.
	liveGroups := map[string]jobdb.TargetGroup{}
	for _, g := range live.TargetGroups {
		liveGroups[strings.ToLower(g.Name)] = g
	}
	for _, g := range d.TargetGroups {
		l, exists := liveGroups[strings.ToLower(g.Name)]
		delete(liveGroups, strings.ToLower(g.Name))
		inv := record(KindTargetGroup, g.Name, g)
		if !exists {
			c := Change{Kind: KindTargetGroup, Name: g.Name, Action: Create,
				Ops: []Op{{Object: "target group " + g.Name, Proc: "jobs.sp_add_target_group", Args: []Arg{{"target_group_name", g.Name}}}}}
			for _, m := range g.Members {
				c.Subs = append(c.Subs, SubChange{Action: Create, Name: memberString(m)})
				c.Ops = append(c.Ops, addMember(g.Name, m))
			}
			p.Changes = append(p.Changes, c)
			p.Inventory = append(p.Inventory, inv)
			continue
		}
		row, owned := claim(KindTargetGroup, g.Name)
		c := Change{Kind: KindTargetGroup, Name: g.Name, Action: Update}
		want := map[string]bool{}
		for _, m := range g.Members {
			want[memberKey(m)] = true
		}
		have := map[string]bool{}
		for _, m := range l.Members {
			have[memberKey(m)] = true
			if !want[memberKey(m)] {
				c.Subs = append(c.Subs, SubChange{Action: Delete, Name: memberString(m)})
				c.Ops = append(c.Ops, Op{Object: "target group " + g.Name, Proc: "jobs.sp_delete_target_group_member",
					Args: []Arg{{"target_group_name", l.Name}, {"target_id", m.TargetID}}})
			}
		}
		for _, m := range g.Members {
			if !have[memberKey(m)] {
				c.Subs = append(c.Subs, SubChange{Action: Create, Name: memberString(m)})
				c.Ops = append(c.Ops, addMember(l.Name, m))
			}
		}
		settle(c, inv, row, owned)
	}
	groupDeletes := drops(KindTargetGroup, sortedNames(liveGroups, func(g jobdb.TargetGroup) string { return g.Name }), func(n string) Op {
		return Op{Object: "target group " + n, Proc: "jobs.sp_delete_target_group", Args: []Arg{{"target_group_name", n}}}
	})

	// Jobs.
	liveJobs := map[string]jobdb.Job{}
	for _, j := range live.Jobs {
		liveJobs[strings.ToLower(j.Name)] = j
	}
	for _, j := range d.Jobs {
		l, exists := liveJobs[strings.ToLower(j.Name)]
		delete(liveJobs, strings.ToLower(j.Name))
		inv := record(KindJob, j.Name, j)
		if !exists {
			p.Changes = append(p.Changes, createJob(j))
			p.Inventory = append(p.Inventory, inv)
			continue
		}
		row, owned := claim(KindJob, j.Name)
		settle(updateJob(j, l, opt.Now, owned && row.SpecHash == inv.Hash), inv, row, owned)
	}
	jobDeletes := drops(KindJob, sortedNames(liveJobs, func(j jobdb.Job) string { return j.Name }), func(n string) Op {
		return Op{Object: "job " + n, Proc: "jobs.sp_delete_job", Args: []Arg{{"job_name", n}}}
	})
	if len(conflicts) > 0 {
		return nil, &ConflictError{Refs: conflicts}
	}
	// Deletes in reverse dependency order: jobs, target groups, credentials.
	for _, dels := range [][]Change{jobDeletes, groupDeletes, credDeletes} {
		for _, c := range dels {
			p.Changes = append(p.Changes, c)
			p.Inventory = append(p.Inventory, InventoryOp{Kind: c.Kind, Name: c.Name, Remove: true})
		}
	}
	// Owned rows whose object vanished from the job database are forgotten when pruning.
	if opt.Prune {
		inLive, inSpecs := liveNames(live), desiredNames(d)
		for _, o := range live.Inventory {
			if k := key(o.Kind, o.Name); o.Scope == opt.Scope && !inLive[k] && !inSpecs[k] {
				p.Inventory = append(p.Inventory, InventoryOp{Kind: o.Kind, Name: o.Name, Remove: true})
			}
		}
	}
	return p, nil
}

func key(kind, name string) string { return kind + "\x00" + strings.ToLower(name) }

// sortedNames returns the names of the objects left in m, in the order plans list them.
func sortedNames[T any](m map[string]T, name func(T) string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, name(v))
	}
	sort.Slice(out, func(a, b int) bool { return lessName(out[a], out[b]) })
	return out
}

// liveNames and desiredNames list the objects of each kind, keyed by key(kind, name).
func liveNames(s *jobdb.State) map[string]bool {
	names := map[string]bool{}
	for _, c := range s.Credentials {
		names[key(KindCredential, c.Name)] = true
	}
	for _, g := range s.TargetGroups {
		names[key(KindTargetGroup, g.Name)] = true
	}
	for _, j := range s.Jobs {
		names[key(KindJob, j.Name)] = true
	}
	return names
}

func desiredNames(d *Desired) map[string]bool {
	names := map[string]bool{}
	for _, c := range d.Credentials {
		names[key(KindCredential, c.Name)] = true
	}
	for _, g := range d.TargetGroups {
		names[key(KindTargetGroup, g.Name)] = true
	}
	for _, j := range d.Jobs {
		names[key(KindJob, j.Name)] = true
	}
	return names
}

func memberKey(m jobdb.Member) string {
	return strings.ToLower(strings.Join([]string{m.Membership, m.Type, m.Server, m.Database, m.ElasticPool, m.RefreshCredential}, "\x00"))
}

func memberString(m jobdb.Member) string {
	s := m.Membership + " " + m.Type + " " + m.Server
	switch {
	case m.Database != "":
		s += "/" + m.Database
	case m.ElasticPool != "":
		s += " pool " + m.ElasticPool
	}
	if m.RefreshCredential != "" {
		s += " (refresh credential " + m.RefreshCredential + ")"
	}
	return s
}

func addMember(group string, m jobdb.Member) Op {
	args := []Arg{{"target_group_name", group}, {"membership_type", m.Membership}, {"target_type", m.Type}, {"server_name", m.Server}}
	if m.Database != "" {
		args = append(args, Arg{"database_name", m.Database})
	}
	if m.ElasticPool != "" {
		args = append(args, Arg{"elastic_pool_name", m.ElasticPool})
	}
	if m.RefreshCredential != "" {
		args = append(args, Arg{"refresh_credential_name", m.RefreshCredential})
	}
	return Op{Object: "target group " + group, Proc: "jobs.sp_add_target_group_member", Args: args}
}

func createJob(j jobdb.Job) Change {
	c := Change{Kind: KindJob, Name: j.Name, Action: Create}
	c.Fields = jobFields(jobdb.Job{}, j, true)
	c.Ops = append(c.Ops, Op{Object: "job " + j.Name, Proc: "jobs.sp_add_job", Args: []Arg{
		{"job_name", j.Name}, {"description", j.Description}, {"enabled", j.Enabled},
		{"schedule_interval_type", j.IntervalType}, {"schedule_interval_count", int64(j.IntervalCount)},
		{"schedule_start_time", j.Start}, {"schedule_end_time", j.End},
	}})
	for i, s := range j.Steps {
		c.Subs = append(c.Subs, SubChange{Action: Create, Name: s.Name, Position: i + 1, Fields: stepFields(jobdb.Step{}, s, true)})
		c.Ops = append(c.Ops, addStep(j.Name, s, 0))
	}
	return c
}

func jobFields(old, new jobdb.Job, all bool) []Field {
	var fs []Field
	add := func(name, o, n string) {
		if all || o != n {
			fs = append(fs, Field{Name: name, Old: o, New: n})
		}
	}
	add("description", old.Description, new.Description)
	add("enabled", strconv.FormatBool(old.Enabled), strconv.FormatBool(new.Enabled))
	add("schedule", schedString(old), schedString(new))
	add("start", timeString(old.Start), timeString(new.Start))
	add("end", timeString(old.End), timeString(new.End))
	return fs
}

func schedString(j jobdb.Job) string {
	if j.IntervalType == "" {
		return ""
	}
	if j.IntervalType == "Once" {
		return "Once"
	}
	return fmt.Sprintf("every %d%s", j.IntervalCount, intervalUnit[j.IntervalType])
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// updateJob plans the calls that make a live job equal the desired one. unchangedSpec says the spec
// is the one last applied.
func updateJob(want, have jobdb.Job, now time.Time, unchangedSpec bool) Change {
	c := Change{Kind: KindJob, Name: want.Name, Action: Update}
	// The agent disables a Once job after running it: with the spec unchanged since it was applied
	// enabled, that is not drift (re-enabling would run it again).
	if unchangedSpec && want.IntervalType == "Once" && have.IntervalType == "Once" && want.Enabled && !have.Enabled &&
		want.Start.Equal(have.Start) && want.Start.Before(now) {
		have.Enabled = true
	}
	args := []Arg{{"job_name", have.Name}}
	if want.Description != have.Description {
		args = append(args, Arg{"description", want.Description})
	}
	if want.Enabled != have.Enabled {
		args = append(args, Arg{"enabled", want.Enabled})
	}
	if want.IntervalType != have.IntervalType {
		args = append(args, Arg{"schedule_interval_type", want.IntervalType})
	}
	if want.IntervalCount != have.IntervalCount {
		args = append(args, Arg{"schedule_interval_count", int64(want.IntervalCount)})
	}
	if !want.Start.Equal(have.Start) {
		args = append(args, Arg{"schedule_start_time", want.Start})
	}
	if !want.End.Equal(have.End) {
		args = append(args, Arg{"schedule_end_time", want.End})
	}
	if len(args) > 1 {
		c.Fields = jobFields(have, want, false)
		c.Ops = append(c.Ops, Op{Object: "job " + want.Name, Proc: "jobs.sp_update_job", Args: args})
	}
	subs, ops := diffSteps(have.Name, want.Steps, have.Steps)
	c.Subs, c.Ops = subs, append(c.Ops, ops...)
	return c
}

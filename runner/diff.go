package runner

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ejops/ejops/runner/jobdb"
)

// Diff computes the plan that makes live equal desired. It does no I/O besides opt.Secret.
func Diff(d *Desired, live *jobdb.State, opt Options) (*Plan, error) {
	df := newDiffer(live, opt)
	credDeletes := df.credentials(d.Credentials, live)
	groupDeletes := df.targetGroups(d.TargetGroups, live.TargetGroups)
	jobDeletes := df.jobs(d.Jobs, live.Jobs)
	if !opt.saved {
		df.localRows(d.Jobs)
	}
	if len(df.errs) > 0 {
		return nil, errors.Join(df.errs...)
	}
	if len(df.problems) > 0 {
		return nil, &CredentialsError{Problems: df.problems}
	}
	if len(df.conflicts) > 0 {
		return nil, &ConflictError{Refs: df.conflicts}
	}
	p := df.plan
	// Deletes in reverse dependency order: jobs, target groups, credentials.
	for _, dels := range [][]Change{jobDeletes, groupDeletes, credDeletes} {
		for _, c := range dels {
			p.Changes = append(p.Changes, c)
			p.Inventory = append(p.Inventory, InventoryOp{Kind: c.Kind, Name: c.Name, Remove: true})
			if c.Kind == KindJob && df.liveRow(c.Name) != nil {
				p.LocalRows = append(p.LocalRows, LocalRowOp{Job: df.liveRow(c.Name).Job})
			}
		}
	}
	// Owned rows whose object vanished from the job database are forgotten when pruning (not
	// credentials the login cannot see).
	if opt.Prune {
		inLive, inSpecs := liveNames(live), desiredNames(d)
		for _, o := range live.Inventory {
			hidden := live.CredentialsHidden && o.Kind == KindCredential
			if k := key(o.Kind, o.Name); o.Scope == opt.Scope && !inLive[k] && !inSpecs[k] && !hidden {
				p.Inventory = append(p.Inventory, InventoryOp{Kind: o.Kind, Name: o.Name, Remove: true})
			}
		}
	}
	return p, nil
}

// differ builds one plan. Each kind of object has its method; they share the bookkeeping of
// ownership (claim, leftover, record) and the planners of updates (settle) and deletes (drops).
type differ struct {
	opt       Options
	plan      *Plan
	owners    map[string]owner // by key(kind, name); this scope's row wins over another scope's
	conflicts []Ref            // desired objects another scope owns
	problems  []string         // credentials that cannot be checked (see CredentialsError)
	errs      []error          // schedules in local time that cannot be compiled
	live      *jobdb.State
}

type owner struct {
	scope string
	row   jobdb.Owned
}

func newDiffer(live *jobdb.State, opt Options) *differ {
	df := &differ{opt: opt, owners: map[string]owner{}, live: live,
		plan: &Plan{Scope: opt.Scope, LiveHash: live.Hash(), Changes: []Change{}, Adopt: []Ref{}, Kept: []Ref{}, Unmanaged: []Ref{},
			Unverified: []Unverified{}}}
	for _, o := range live.Inventory {
		k := key(o.Kind, o.Name)
		if cur, ok := df.owners[k]; !ok || o.Scope == opt.Scope || cur.scope != opt.Scope {
			df.owners[k] = owner{o.Scope, o}
		}
	}
	return df
}

// claim classifies a desired object that exists live; it returns the inventory row of this scope.
func (df *differ) claim(kind, name string) (jobdb.Owned, bool) {
	o, ok := df.owners[key(kind, name)]
	switch {
	case !ok:
		df.plan.Adopt = append(df.plan.Adopt, Ref{Kind: kind, Name: name})
		return jobdb.Owned{}, false
	case o.scope != df.opt.Scope:
		df.conflicts = append(df.conflicts, Ref{Kind: kind, Name: name, Scope: o.scope})
		return jobdb.Owned{}, false
	}
	return o.row, true
}

// leftover classifies a live object that no spec declares and reports whether to delete it.
func (df *differ) leftover(kind, name string) bool {
	p := df.plan
	o, ok := df.owners[key(kind, name)]
	switch {
	case !ok:
		p.Unmanaged = append(p.Unmanaged, Ref{Kind: kind, Name: name})
	case o.scope != df.opt.Scope:
		p.Unmanaged = append(p.Unmanaged, Ref{Kind: kind, Name: name, Scope: o.scope})
	case df.opt.Prune:
		return true
	default:
		p.Kept = append(p.Kept, Ref{Kind: kind, Name: name, Scope: o.scope})
	}
	return false
}

// record makes the inventory entry of a desired object; Exists says this scope already has a row
// for it, which is also the case when the object was deleted by hand and is created again.
func (df *differ) record(kind, name string, v any) InventoryOp {
	o, ok := df.owners[key(kind, name)]
	return InventoryOp{Kind: kind, Name: name, Hash: specHash(v), Exists: ok && o.scope == df.opt.Scope}
}

// create adds an object that does not exist live, with its inventory row.
func (df *differ) create(c Change, inv InventoryOp) {
	df.plan.Changes = append(df.plan.Changes, c)
	df.plan.Inventory = append(df.plan.Inventory, inv)
}

// settle adds what an object that exists live needs: its change when it has calls to make, and
// its inventory row when it changed, is adopted, or its spec's hash moved.
func (df *differ) settle(c Change, inv InventoryOp, row jobdb.Owned, owned bool) {
	switch {
	case len(c.Ops) > 0:
		df.create(c, inv)
	case !owned || row.SpecHash != inv.Hash:
		df.plan.Inventory = append(df.plan.Inventory, inv)
	}
}

// drops plans the deletion of the live objects no spec declares (what is left in have) that may
// go: owned by this scope, with prune.
func drops[T any](df *differ, kind string, have map[string]T, name func(T) string, del func(name string) Op) []Change {
	var out []Change
	for _, n := range sortedNames(have, name) {
		if df.leftover(kind, n) {
			out = append(out, Change{Kind: kind, Name: n, Action: Delete, Ops: []Op{del(n)}})
		}
	}
	return out
}

// byName indexes live objects by lower-case name; take removes the ones the specs declare, so
// what is left is what no spec declares.
func byName[T any](items []T, name func(T) string) map[string]T {
	m := make(map[string]T, len(items))
	for _, v := range items {
		m[strings.ToLower(name(v))] = v
	}
	return m
}

func take[T any](m map[string]T, name string) (T, bool) {
	k := strings.ToLower(name)
	v, ok := m[k]
	delete(m, k)
	return v, ok
}

// credentials plans the credentials and returns the deletes of those no spec declares.
func (df *differ) credentials(want []DesiredCredential, live *jobdb.State) []Change {
	if live.CredentialsHidden {
		df.hiddenCredentials(want, live.Inventory)
		return nil
	}
	credName := func(c jobdb.Credential) string { return c.Name }
	have := byName(live.Credentials, credName)
	for _, c := range want {
		l, exists := take(have, c.Name)
		df.credential(c, l, exists)
	}
	return drops(df, KindCredential, have, credName, func(n string) Op {
		return Op{Object: "credential " + n, Cred: &CredOp{Verb: "DROP", Name: n}}
	})
}

// errCredentialsHidden is the problem of every credential when the login cannot read them.
var errCredentialsHidden = errors.New("the login cannot read sys.database_scoped_credentials (it needs CONTROL on the job database)")

// hiddenCredentials plans the credentials when the login cannot read them: none can be checked,
// nor, when pruning, can this scope's credentials that left the specs.
func (df *differ) hiddenCredentials(want []DesiredCredential, inventory []jobdb.Owned) {
	const reason = "not verifiable (the login cannot read sys.database_scoped_credentials)"
	wanted := map[string]bool{}
	for _, c := range want {
		wanted[strings.ToLower(c.Name)] = true
		df.cannotCheck(c.Name, c.SecretPos, reason, errCredentialsHidden)
	}
	for _, o := range inventory {
		if df.opt.Prune && o.Scope == df.opt.Scope && o.Kind == KindCredential && !wanted[strings.ToLower(o.Name)] {
			df.cannotCheck(o.Name, "", reason, errCredentialsHidden)
		}
	}
}

// cannotCheck records a credential that cannot be checked: unverified in a preview, a problem
// otherwise.
func (df *differ) cannotCheck(name, pos, reason string, err error) {
	if df.opt.Preview {
		df.plan.Unverified = append(df.plan.Unverified, Unverified{Name: name, Reason: reason, Pos: pos})
		return
	}
	df.problem(name, pos, err)
}

func (df *differ) problem(name, pos string, err error) {
	msg := fmt.Sprintf("credential %q: %v", name, err)
	if pos != "" {
		msg = pos + ": " + msg
	}
	df.problems = append(df.problems, msg)
}

func (df *differ) credential(c DesiredCredential, l jobdb.Credential, exists bool) {
	secretRef := c.SecretFrom
	// Every secret must resolve before anything is applied; a preview goes on without those that
	// are not there.
	secret, err := df.opt.Secret(secretRef)
	checked := err == nil
	switch {
	case checked:
	case errors.Is(err, ErrSecretUnavailable):
		df.cannotCheck(c.Name, c.SecretPos, "secret not checked: "+unavailableReason(secretRef), err)
	default:
		df.problem(c.Name, c.SecretPos, err)
	}
	inv := df.record(KindCredential, c.Name, c)
	inv.Secret = &secretRef
	if !exists {
		df.create(Change{Kind: KindCredential, Name: c.Name, Action: Create,
			Fields: []Field{{Name: "identity", New: c.Identity}, {Name: "secret", New: "(sensitive)", Sensitive: true}},
			Ops:    []Op{{Object: "credential " + c.Name, Cred: &CredOp{Verb: "CREATE", Name: c.Name, Identity: c.Identity, SecretFrom: secretRef}}}}, inv)
		return
	}
	row, owned := df.claim(KindCredential, c.Name)
	secretChanged := checked && owned && row.SecretFingerprint != "" && !VerifyFingerprint(secret, row.SecretFingerprint)
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
	// An adopted credential's live secret cannot be read back: its fingerprint is taken from the
	// spec's secret, so later changes of that secret are detected.
	df.settle(ch, inv, row, owned)
}

// targetGroups plans the target groups and their members and returns the deletes of the groups
// no spec declares.
func (df *differ) targetGroups(want []DesiredTargetGroup, live []jobdb.TargetGroup) []Change {
	groupName := func(g jobdb.TargetGroup) string { return g.Name }
	have := byName(live, groupName)
	for _, g := range want {
		l, exists := take(have, g.Name)
		inv := df.record(KindTargetGroup, g.Name, g)
		if !exists {
			c := Change{Kind: KindTargetGroup, Name: g.Name, Action: Create,
				Ops: []Op{{Object: "target group " + g.Name, Proc: "jobs.sp_add_target_group", Args: []Arg{{"target_group_name", g.Name}}}}}
			for _, m := range g.Members {
				c.Subs = append(c.Subs, SubChange{Action: Create, Name: memberString(m)})
				c.Ops = append(c.Ops, addMember(g.Name, m))
			}
			df.create(c, inv)
			continue
		}
		row, owned := df.claim(KindTargetGroup, g.Name)
		df.settle(updateMembers(g, l), inv, row, owned)
	}
	return drops(df, KindTargetGroup, have, groupName, func(n string) Op {
		return Op{Object: "target group " + n, Proc: "jobs.sp_delete_target_group", Args: []Arg{{"target_group_name", n}}}
	})
}

// updateMembers plans the member calls that make a live target group's members the desired ones:
// members are matched on every field, so a changed member is deleted and added again.
func updateMembers(want DesiredTargetGroup, have jobdb.TargetGroup) Change {
	c := Change{Kind: KindTargetGroup, Name: want.Name, Action: Update}
	wanted := map[string]bool{}
	for _, m := range want.Members {
		wanted[memberKey(m)] = true
	}
	present := map[string]bool{}
	for _, lm := range have.Members {
		m := liveMember(lm)
		present[memberKey(m)] = true
		if !wanted[memberKey(m)] {
			c.Subs = append(c.Subs, SubChange{Action: Delete, Name: memberString(m)})
			c.Ops = append(c.Ops, Op{Object: "target group " + want.Name, Proc: "jobs.sp_delete_target_group_member",
				Args: []Arg{{"target_group_name", have.Name}, {"target_id", lm.TargetID}}})
		}
	}
	for _, m := range want.Members {
		if !present[memberKey(m)] {
			c.Subs = append(c.Subs, SubChange{Action: Create, Name: memberString(m)})
			c.Ops = append(c.Ops, addMember(have.Name, m))
		}
	}
	return c
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
	addNames(names, KindCredential, s.Credentials, func(c jobdb.Credential) string { return c.Name })
	addNames(names, KindTargetGroup, s.TargetGroups, func(g jobdb.TargetGroup) string { return g.Name })
	addNames(names, KindJob, s.Jobs, func(j jobdb.Job) string { return j.Name })
	return names
}

func desiredNames(d *Desired) map[string]bool {
	names := map[string]bool{}
	addNames(names, KindCredential, d.Credentials, func(c DesiredCredential) string { return c.Name })
	addNames(names, KindTargetGroup, d.TargetGroups, func(g DesiredTargetGroup) string { return g.Name })
	addNames(names, KindJob, d.Jobs, func(j DesiredJob) string { return j.Name })
	return names
}

func addNames[T any](names map[string]bool, kind string, items []T, name func(T) string) {
	for _, v := range items {
		names[key(kind, name(v))] = true
	}
}

func memberKey(m DesiredMember) string {
	return strings.ToLower(strings.Join([]string{m.Membership, m.Type, m.Server, m.Database, m.ElasticPool, m.RefreshCredential}, "\x00"))
}

func memberString(m DesiredMember) string {
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

func addMember(group string, m DesiredMember) Op {
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

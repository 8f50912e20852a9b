package runner

import (
	"fmt"
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
	// Reach is what a job or target group created or updated reaches now (plan --targets).
	Reach *Reach `json:"reach,omitempty"`
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

// LocalRowOp writes a job's row of ejops.job_schedules: Row replaces it (nil deletes it).
type LocalRowOp struct {
	Job string
	Row *jobdb.LocalSchedule
}

// Plan is the difference between the specs and the live job database, with the calls that close it.
type Plan struct {
	Scope     string   `json:"scope"`
	Changes   []Change `json:"changes"`
	Adopt     []Ref    `json:"adopt"`     // in the specs and live, not yet owned: recorded on apply
	Kept      []Ref    `json:"kept"`      // owned, left the specs; deleted only with prune
	Unmanaged []Ref    `json:"unmanaged"` // live, never applied by this scope
	// Credentials a preview could not check (Options.Preview); apply checks them.
	Unverified []Unverified  `json:"unverified"`
	Inventory  []InventoryOp `json:"-"`
	// LocalRows record (Row set) or forget the schedules in local time of this scope's jobs.
	LocalRows []LocalRowOp `json:"-"`
	LiveHash  string       `json:"liveHash"`
	// The jobs whose schedule is in local time, in name order, changed or not.
	Schedules []LocalSchedule `json:"schedules,omitempty"`
}

// Unverified is a credential a preview could not check: its secret is not available, or the login
// cannot read the credentials. What the plan shows of it may not be what apply does.
type Unverified struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`             // "secret not checked: EJ_JOB_SECRET is not set"
	Pos    string `json:"position,omitempty"` // where the spec names the secret: "file:line:col: field"
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

// Reapply returns when the specs must next be applied again for the schedules in local time to
// keep their time of day (the earliest LocalSchedule.Reapply), or the zero time when never.
func (p *Plan) Reapply() time.Time {
	var first time.Time
	for _, s := range p.Schedules {
		if !s.Reapply.IsZero() && (first.IsZero() || s.Reapply.Before(first)) {
			first = s.Reapply
		}
	}
	return first
}

// Writes reports whether apply has anything to write, the inventory included.
func (p *Plan) Writes() bool {
	return len(p.Changes) > 0 || len(p.Inventory) > 0 || len(p.LocalRows) > 0
}

// Options steer Diff.
type Options struct {
	Scope string
	Prune bool
	// Secret resolves a secret reference; the value is used only to compare fingerprints.
	Secret func(spec.SecretRef) (string, error)
	// Now is the time the plan is made at: it decides the UTC start time of schedules in local
	// time, and whether a Once job has run.
	Now time.Time
	// Preview makes a plan to show rather than to apply, as plan does: a credential whose secret
	// is not available (ErrSecretUnavailable), or that the login cannot read, is listed in
	// Plan.Unverified instead of failing. Without it Diff fails with a *CredentialsError naming
	// every credential it cannot check.
	Preview bool
	// saved plans a saved plan, whose jobs come compiled without the schedules in local time they
	// came from: the plan leaves their ejops.job_schedules rows alone.
	saved bool
}

// CredentialsError lists every credential Diff could not check, each line starting with where
// its spec names the secret when that is known.
type CredentialsError struct{ Problems []string }

func (e *CredentialsError) Error() string {
	if len(e.Problems) == 1 {
		return e.Problems[0]
	}
	return fmt.Sprintf("%d credentials cannot be checked; nothing was changed:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
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

// Reach is what a job or a target group of a plan reaches now, filled by plan --targets: the
// databases its target groups resolve to, and what could not be resolved.
type Reach struct {
	Databases []jobdb.TargetDatabase `json:"databases"`
	Servers   int                    `json:"servers"`
	Pools     int                    `json:"elasticPools"` // elastic pools the listed databases are in
	// Problems are the members that could not be enumerated, one sentence each: the databases
	// may be more than listed.
	Problems []string `json:"problems,omitempty"`
}

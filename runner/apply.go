package runner

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

// ErrStale is returned when the live state moved since the plan was made and cannot be planned
// again.
var ErrStale = errors.New("the job database changed since this plan was made; run plan again")

// ApplyOptions steer Apply.
type ApplyOptions struct {
	Secret    func(spec.SecretRef) (string, error)
	AppliedBy string        // recorded in the inventory, e.g. a git commit
	LockWait  time.Duration // how long to wait for another apply to finish
	Now       func() time.Time
	// Progress, when set, is told how many of the plan's calls have completed, as each one does.
	Progress func(done, total int)
	// Replan makes a fresh plan from the live state read under the lock when it differs from the
	// plan's; nil refuses with ErrStale instead (saved plans, plans the user confirmed).
	Replan func(live *jobdb.State) (*Plan, error)
}

// Report says what an apply did.
type Report struct {
	Added, Changed, Destroyed int
	Calls                     int       // procedure calls and statements sent
	Applied                   []Applied // one per applied change, in order
	// Replanned is set when the live state moved since the plan was made and the apply planned
	// again under the lock (ApplyOptions.Replan): Applied then follows the new plan.
	Replanned bool
	// Plan is the plan carried out (or attempted, when Apply fails): the one given, or the new
	// one when Replanned.
	Plan     *Plan
	Duration time.Duration // from the start of Apply to the commit, the wait for the lock included
}

// Applied is one change an apply made.
type Applied struct {
	Action  Action
	Kind    string
	Name    string
	Calls   int
	Version int64 // the job's version after its step calls; -1 when no step changed
}

// Apply executes p in one transaction with XACT_ABORT ON under the apply lock. It refuses with
// ErrStale when the live state read under the lock differs from the one the plan was made against.
// Any error rolls everything back.
//
// The lock and the read under it are one request; the calls then travel in batches
// (jobdb.Tx.Send), each change's calls with its inventory row, and COMMIT is the last request.
func Apply(ctx context.Context, db *jobdb.DB, p *Plan, opt ApplyOptions) (Report, error) {
	rep := Report{Plan: p}
	if !p.Writes() {
		return rep, nil
	}
	start := time.Now()
	if opt.Now == nil {
		opt.Now = time.Now
	}
	tx, live, err := db.Begin(ctx, opt.LockWait)
	if err != nil {
		return rep, err
	}
	defer func() { _ = tx.Rollback() }() // a no-op once committed
	if live.Hash() != p.LiveHash {
		if opt.Replan == nil {
			return rep, ErrStale
		}
		// Someone (the agent disabling a Once job, another tool) changed the job database since
		// the plan was shown: plan again under the lock.
		if p, err = opt.Replan(live); err != nil {
			return rep, err
		}
		rep.Replanned, rep.Plan = true, p
	}
	w, err := newWrites(p, live, opt)
	if err != nil {
		return rep, err
	}
	done := 0
	progress := func(group, call int) {
		if w.labels[group][call].op {
			if done++; opt.Progress != nil {
				opt.Progress(done, w.ops)
			}
		}
	}
	if err := tx.Send(ctx, w.groups, progress); err != nil {
		return rep, w.explain(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, err
	}
	for i, c := range p.Changes {
		rep.Applied = append(rep.Applied, Applied{Action: c.Action, Kind: c.Kind, Name: c.Name, Calls: len(c.Ops), Version: w.versions[i]})
	}
	rep.Added, rep.Changed, rep.Destroyed = p.Counts()
	rep.Calls = tx.Calls
	rep.Duration = time.Since(start)
	return rep, nil
}

// writes are the calls of an apply in groups sent together when they fit in a batch: first the
// inventory table when it is missing, then each change's calls with its inventory row, then the
// inventory rows of objects no call changes.
type writes struct {
	groups   [][]jobdb.Call
	labels   [][]callLabel
	versions []int64 // per change: the job version its last step call returned, -1 when none
	ops      int     // the plan's calls, as progress counts them
}

// callLabel says what a call is for, to name it in an error.
type callLabel struct {
	object string // "job nightly step a", "inventory"
	what   string // the procedure or statement; empty for inventory rows
	cred   bool   // a credential statement
	op     bool   // one of the plan's calls rather than the inventory's
}

func (w *writes) add(calls []jobdb.Call, labels []callLabel) {
	if len(calls) > 0 {
		w.groups, w.labels = append(w.groups, calls), append(w.labels, labels)
	}
}

func newWrites(p *Plan, live *jobdb.State, opt ApplyOptions) (*writes, error) {
	w := &writes{versions: make([]int64, len(p.Changes))}
	inv := inventoryWriter{p: p, opt: opt, now: opt.Now().UTC(), fps: map[string]string{}}
	w.add(inventoryDDL(p, live))
	locals := map[string][]jobdb.Call{} // job_schedules rows by job
	for _, l := range p.LocalRows {
		locals[key(KindJob, l.Job)] = append(locals[key(KindJob, l.Job)], localRowCall(p.Scope, l))
	}
	rows := map[string][]int{} // inventory rows by object
	for i, o := range p.Inventory {
		rows[key(o.Kind, o.Name)] = append(rows[key(o.Kind, o.Name)], i)
	}
	recorded := make([]bool, len(p.Inventory))
	for i, c := range p.Changes {
		w.versions[i] = -1
		var calls []jobdb.Call
		var labels []callLabel
		for _, op := range c.Ops {
			call, label, err := opCall(op, opt.Secret, inv.fps, &w.versions[i])
			if err != nil {
				return nil, fmt.Errorf("%s: %w (nothing was applied)", op.Object, err)
			}
			calls, labels = append(calls, call), append(labels, label)
		}
		w.ops += len(c.Ops)
		for _, r := range rows[key(c.Kind, c.Name)] {
			call, err := inv.call(p.Inventory[r])
			if err != nil {
				return nil, fmt.Errorf("inventory: %w (nothing was applied)", err)
			}
			calls, labels, recorded[r] = append(calls, call), append(labels, callLabel{object: "inventory"}), true
		}
		for _, call := range locals[key(c.Kind, c.Name)] {
			calls, labels = append(calls, call), append(labels, callLabel{object: "job schedules"})
		}
		delete(locals, key(c.Kind, c.Name))
		w.add(calls, labels)
	}
	var calls []jobdb.Call
	var labels []callLabel
	for r, o := range p.Inventory {
		if recorded[r] {
			continue
		}
		call, err := inv.call(o)
		if err != nil {
			return nil, fmt.Errorf("inventory: %w (nothing was applied)", err)
		}
		calls, labels = append(calls, call), append(labels, callLabel{object: "inventory"})
	}
	for _, l := range p.LocalRows {
		if _, left := locals[key(KindJob, l.Job)]; left {
			calls, labels = append(calls, localRowCall(p.Scope, l)), append(labels, callLabel{object: "job schedules"})
		}
	}
	w.add(calls, labels)
	return w, nil
}

// explain names the call a *jobdb.CallError failed on.
func (w *writes) explain(err error) error {
	var ce *jobdb.CallError
	if !errors.As(err, &ce) {
		return fmt.Errorf("%w (nothing was applied)", err)
	}
	l := w.labels[ce.Group][ce.Call]
	err = ce.Err
	if l.cred && jobdb.ErrorNumber(err) == 15581 {
		err = fmt.Errorf("%w (the job database needs a master key first: CREATE MASTER KEY)", err)
	}
	if l.what != "" {
		err = fmt.Errorf("%s: %w", l.what, err)
	}
	return fmt.Errorf("%s: %w (nothing was applied)", l.object, err)
}

// opCall makes the call of one op. Step procedures report the job's new version through
// @job_version OUTPUT into version. A credential's fingerprint goes into fps for its inventory row.
func opCall(op Op, secret func(spec.SecretRef) (string, error), fps map[string]string, version *int64) (jobdb.Call, callLabel, error) {
	if c := op.Cred; c != nil {
		label := callLabel{object: op.Object, what: c.Verb + " DATABASE SCOPED CREDENTIAL", cred: true, op: true}
		if c.Verb == "DROP" {
			return jobdb.Call{SQL: "DROP DATABASE SCOPED CREDENTIAL " + jobdb.QuoteName(c.Name)}, label, nil
		}
		s, err := secret(c.SecretFrom)
		if err != nil {
			return jobdb.Call{}, label, err
		}
		fp, err := Fingerprint(s)
		if err != nil {
			return jobdb.Call{}, label, err
		}
		fps[strings.ToLower(c.Name)] = fp
		// CREATE and ALTER DATABASE SCOPED CREDENTIAL take no parameters: the secret is a quoted
		// literal of the batch, which is never logged.
		stmt := fmt.Sprintf("%s DATABASE SCOPED CREDENTIAL %s WITH IDENTITY = %s, SECRET = %s",
			c.Verb, jobdb.QuoteName(c.Name), jobdb.QuoteString(c.Identity), jobdb.QuoteString(s))
		return jobdb.Call{SQL: stmt}, label, nil
	}
	call := jobdb.Call{Proc: op.Proc, Args: make([]sql.NamedArg, len(op.Args))}
	for i, a := range op.Args {
		call.Args[i] = sql.Named(a.Name, a.Value)
	}
	if strings.HasSuffix(op.Proc, "_jobstep") {
		call.Version = version
	}
	return call, callLabel{object: op.Object, what: op.Proc, op: true}, nil
}

// inventoryDDL creates what the plan writes to and is missing of ejops' tables: the inventory, the
// schedules in local time. CREATE SCHEMA must be alone in its batch, so each statement runs through
// sp_executesql.
func inventoryDDL(p *Plan, live *jobdb.State) ([]jobdb.Call, []callLabel) {
	inv, locals := len(p.Inventory) > 0, len(p.LocalRows) > 0
	var calls []jobdb.Call
	var labels []callLabel
	for _, ddl := range []struct {
		missing bool
		stmt    string
	}{
		{(inv || locals) && !live.HasSchema, jobdb.InventoryDDL[0]},
		{inv && !live.HasInventory, jobdb.InventoryDDL[1]},
		{locals && !live.HasSchedules, jobdb.SchedulesDDL},
	} {
		if ddl.missing {
			calls = append(calls, jobdb.Call{SQL: "EXEC sp_executesql " + jobdb.QuoteString(ddl.stmt)})
			labels = append(labels, callLabel{object: "inventory"})
		}
	}
	return calls, labels
}

const (
	localRowDelete  = "DELETE FROM ejops.job_schedules WHERE scope = @scope AND job = @job"
	localRowColumns = "ejops.job_schedules (scope, job, at, time_zone, start_time)"
)

// localRowCall writes a job's row of ejops.job_schedules: a delete, and for a row an insert after
// it in the same call, the statement and its parameters bound.
func localRowCall(scope string, l LocalRowOp) jobdb.Call {
	del := jobdb.Call{SQL: localRowDelete, Args: []sql.NamedArg{sql.Named("scope", scope), sql.Named("job", l.Job)}}
	if l.Row == nil {
		return del
	}
	var start any
	if !l.Row.Start.IsZero() {
		start = l.Row.Start
	}
	del.SQL += "; INSERT INTO " + localRowColumns + " VALUES (@scope, @job, @at, @tz, @start)"
	del.Args = append(del.Args, sql.Named("at", l.Row.At), sql.Named("tz", l.Row.TimeZone), sql.Named("start", start))
	return del
}

// inventoryWriter makes the statements of inventory rows.
type inventoryWriter struct {
	p   *Plan
	opt ApplyOptions
	now time.Time
	fps map[string]string // fingerprints of the credentials the apply creates or alters
}

const (
	inventoryDelete  = "DELETE FROM ejops.inventory WHERE scope = @scope AND kind = @kind AND name = @name"
	inventoryColumns = "ejops.inventory (scope, kind, name, spec_hash, secret_fingerprint, applied_at, applied_by)"
	inventoryUpdate  = "UPDATE ejops.inventory SET name = @name, spec_hash = @hash, secret_fingerprint = @fp, applied_at = @at, applied_by = @by WHERE scope = @scope AND kind = @kind AND name = @name"
)

func (iw inventoryWriter) call(o InventoryOp) (jobdb.Call, error) {
	args := []sql.NamedArg{sql.Named("scope", iw.p.Scope), sql.Named("kind", o.Kind), sql.Named("name", o.Name)}
	if o.Remove {
		return jobdb.Call{SQL: inventoryDelete, Args: args}, nil
	}
	var fp any
	switch {
	case iw.fps[strings.ToLower(o.Name)] != "" && o.Kind == KindCredential:
		fp = iw.fps[strings.ToLower(o.Name)]
	case o.Secret != nil:
		s, err := iw.opt.Secret(*o.Secret)
		if err != nil {
			return jobdb.Call{}, fmt.Errorf("credential %q: %w", o.Name, err)
		}
		if fp, err = Fingerprint(s); err != nil {
			return jobdb.Call{}, err
		}
	case o.Fingerprint != "":
		fp = o.Fingerprint
	}
	if !o.Exists {
		return jobdb.Call{Insert: inventoryColumns, Values: []any{iw.p.Scope, o.Kind, o.Name, o.Hash, fp, iw.now, iw.opt.AppliedBy}}, nil
	}
	args = append(args, sql.Named("hash", o.Hash), sql.Named("fp", fp), sql.Named("at", iw.now), sql.Named("by", iw.opt.AppliedBy))
	return jobdb.Call{SQL: inventoryUpdate, Args: args}, nil
}

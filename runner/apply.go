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
	// Progress, when set, is told after each call how many of the plan's calls have been sent.
	Progress func(sent, total int)
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
func Apply(ctx context.Context, db *jobdb.DB, p *Plan, opt ApplyOptions) (Report, error) {
	rep := Report{Plan: p}
	if !p.Writes() {
		return rep, nil
	}
	start := time.Now()
	if opt.Now == nil {
		opt.Now = time.Now
	}
	tx, err := db.Begin(ctx, opt.LockWait)
	if err != nil {
		return rep, err
	}
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback()
		}
	}()
	live, err := tx.Read(ctx)
	if err != nil {
		return rep, err
	}
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
	fingerprints := map[string]string{}
	total, sent := 0, 0
	for _, c := range p.Changes {
		total += len(c.Ops)
	}
	for _, c := range p.Changes {
		version := int64(-1) // the job version the last step call returned
		for _, op := range c.Ops {
			if err := runOp(ctx, tx, op, opt.Secret, fingerprints, &version); err != nil {
				return rep, fmt.Errorf("%s: %w (nothing was applied)", op.Object, err)
			}
			if sent++; opt.Progress != nil {
				opt.Progress(sent, total)
			}
		}
		rep.Applied = append(rep.Applied, Applied{Action: c.Action, Kind: c.Kind, Name: c.Name, Calls: len(c.Ops), Version: version})
	}
	if err := writeInventory(ctx, tx, p, live, opt, fingerprints); err != nil {
		return rep, fmt.Errorf("inventory: %w (nothing was applied)", err)
	}
	if err := tx.Commit(); err != nil {
		return rep, err
	}
	done = true
	rep.Added, rep.Changed, rep.Destroyed = p.Counts()
	rep.Calls = tx.Calls
	rep.Duration = time.Since(start)
	return rep, nil
}

// runOp makes one call. Step procedures report the job's new version through @job_version OUTPUT
// into version.
func runOp(ctx context.Context, tx *jobdb.Tx, op Op, secret func(spec.SecretRef) (string, error), fps map[string]string, version *int64) error {
	if c := op.Cred; c != nil {
		stmt := fmt.Sprintf("DROP DATABASE SCOPED CREDENTIAL %s", jobdb.QuoteName(c.Name))
		if c.Verb != "DROP" {
			s, err := secret(c.SecretFrom)
			if err != nil {
				return err
			}
			fp, err := Fingerprint(s)
			if err != nil {
				return err
			}
			fps[strings.ToLower(c.Name)] = fp
			stmt = fmt.Sprintf("%s DATABASE SCOPED CREDENTIAL %s WITH IDENTITY = %s, SECRET = %s",
				c.Verb, jobdb.QuoteName(c.Name), jobdb.QuoteString(c.Identity), jobdb.QuoteString(s))
		}
		if err := tx.Statement(ctx, stmt); err != nil {
			if jobdb.ErrorNumber(err) == 15581 {
				return fmt.Errorf("%s DATABASE SCOPED CREDENTIAL: %w (the job database needs a master key first: CREATE MASTER KEY)", c.Verb, err)
			}
			return fmt.Errorf("%s DATABASE SCOPED CREDENTIAL: %w", c.Verb, err)
		}
		return nil
	}
	args := make([]any, len(op.Args), len(op.Args)+1)
	for i, a := range op.Args {
		args[i] = sql.Named(a.Name, a.Value)
	}
	if strings.HasSuffix(op.Proc, "_jobstep") {
		args = append(args, sql.Named("job_version", sql.Out{Dest: version}))
	}
	if err := tx.Exec(ctx, op.Proc, args...); err != nil {
		return fmt.Errorf("%s: %w", op.Proc, err)
	}
	return nil
}

func writeInventory(ctx context.Context, tx *jobdb.Tx, p *Plan, live *jobdb.State, opt ApplyOptions, fps map[string]string) error {
	if len(p.Inventory) == 0 {
		return nil
	}
	if !live.HasSchema {
		if err := tx.Statement(ctx, jobdb.InventoryDDL[0]); err != nil {
			return err
		}
	}
	if !live.HasInventory {
		if err := tx.Statement(ctx, jobdb.InventoryDDL[1]); err != nil {
			return err
		}
	}
	now := opt.Now().UTC()
	var inserts [][]any // rows of new inventory entries, sent in multi-row INSERTs
	for _, o := range p.Inventory {
		key := []any{sql.Named("scope", p.Scope), sql.Named("kind", o.Kind), sql.Named("name", o.Name)}
		if o.Remove {
			if err := tx.Exec(ctx, "DELETE FROM ejops.inventory WHERE scope = @scope AND kind = @kind AND name = @name", key...); err != nil {
				return err
			}
			continue
		}
		var fp any
		switch {
		case fps[strings.ToLower(o.Name)] != "" && o.Kind == KindCredential:
			fp = fps[strings.ToLower(o.Name)]
		case o.Secret != nil:
			s, err := opt.Secret(*o.Secret)
			if err != nil {
				return fmt.Errorf("credential %q: %w", o.Name, err)
			}
			if fp, err = Fingerprint(s); err != nil {
				return err
			}
		case o.Fingerprint != "":
			fp = o.Fingerprint
		}
		if !o.Exists {
			inserts = append(inserts, []any{p.Scope, o.Kind, o.Name, o.Hash, fp, now, opt.AppliedBy})
			continue
		}
		args := append(key, sql.Named("hash", o.Hash), sql.Named("fp", fp), sql.Named("at", now), sql.Named("by", opt.AppliedBy))
		if err := tx.Exec(ctx, "UPDATE ejops.inventory SET name = @name, spec_hash = @hash, secret_fingerprint = @fp, applied_at = @at, applied_by = @by WHERE scope = @scope AND kind = @kind AND name = @name", args...); err != nil {
			return err
		}
	}
	// SQL Server takes at most 2100 parameters per request.
	const rowsPerInsert = 250
	for start := 0; start < len(inserts); start += rowsPerInsert {
		batch := inserts[start:min(start+rowsPerInsert, len(inserts))]
		var b strings.Builder
		b.WriteString("INSERT INTO ejops.inventory (scope, kind, name, spec_hash, secret_fingerprint, applied_at, applied_by) VALUES ")
		var args []any
		for i, row := range batch {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for k, v := range row {
				if k > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "@p%d", len(args)+1)
				args = append(args, v)
			}
			b.WriteString(")")
		}
		if err := tx.Exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

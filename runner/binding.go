package runner

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

// Operation is the digest of the calls of one change, or of one inventory row, of a saved plan.
type Operation struct {
	Change string // what the calls do: `update job "nightly"`, `record job "nightly"`
	Digest string // SHA-256 of every call and its arguments, secrets standing as their fingerprints
}

// SecretPrint is the fingerprint (Fingerprint) of a credential's secret when its plan was saved.
type SecretPrint struct {
	Credential  string
	Fingerprint string
}

// NewPlanFile binds plan p, made by Diff(desired, live, opt), into a plan file: the job database it
// was made for, the live state's digest, and the digests of its operations with the fingerprints
// of the secrets they use. A plan with credentials it could not check cannot be saved: the file
// could not say what apply will do with them.
func NewPlanFile(p *Plan, desired *Desired, live *jobdb.State, opt Options) (*PlanFile, error) {
	if live.CredentialsHidden {
		return nil, fmt.Errorf("a saved plan needs a login that can read the credentials: this one lacks CONTROL on the job database, so it cannot read sys.database_scoped_credentials")
	}
	if len(p.Unverified) > 0 {
		names := make([]string, len(p.Unverified))
		for i, u := range p.Unverified {
			names[i] = strconv.Quote(u.Name)
		}
		what := "the secret of credential " + names[0]
		if len(names) > 1 {
			what = "the secrets of credentials " + strings.Join(names, ", ")
		}
		return nil, fmt.Errorf("a saved plan records the fingerprint of every secret, and %s could not be read (see the warnings)", what)
	}
	// Schedules in local time are saved as planned: compiled for opt.Now, the plan's time.
	jobs, _, err := compileJobs(desired.Jobs, opt.Now)
	if err != nil {
		return nil, err
	}
	compiled := *desired
	compiled.Jobs = jobs
	pf := &PlanFile{Scope: opt.Scope, Prune: opt.Prune, Desired: &compiled, Server: live.Server, Database: live.Database, LiveHash: p.LiveHash}
	prints := map[string]string{}
	for _, c := range desired.Credentials {
		s, err := opt.Secret(c.SecretFrom)
		if err != nil {
			return nil, fmt.Errorf("credential %q: %w", c.Name, err)
		}
		fp, err := Fingerprint(s)
		if err != nil {
			return nil, err
		}
		pf.Secrets = append(pf.Secrets, SecretPrint{Credential: c.Name, Fingerprint: fp})
		prints[strings.ToLower(c.Name)] = fp
	}
	pf.Operations = operations(p, prints)
	return pf, nil
}

// OtherJobDBError refuses a saved plan made for another job database.
type OtherJobDBError struct{ PlannedServer, PlannedDatabase, Server, Database string }

func (e *OtherJobDBError) Error() string {
	return fmt.Sprintf("the plan was made for server %s database %s; this is server %s database %s",
		e.PlannedServer, e.PlannedDatabase, e.Server, e.Database)
}

// OperationsError refuses a saved plan whose operations are not those apply would make now,
// although the live state is the one it was made against: a secret changed, or time moved on (a
// Once schedule that started since).
type OperationsError struct{ Differences []string }

func (e *OperationsError) Error() string {
	return "the plan's operations differ from what apply would do now: " + strings.Join(e.Differences, "; ") + "; run plan again"
}

// Diff plans the saved plan again against live, as apply --plan does, and returns the plan only
// when it is the one that was saved: made for this job database (else *OtherJobDBError), against
// this live state (else ErrStale), with the same operations and secrets (else *OperationsError).
// Every secret must be available (else *CredentialsError).
func (pf *PlanFile) Diff(live *jobdb.State, opt Options) (*Plan, error) {
	if !strings.EqualFold(live.Server, pf.Server) || !strings.EqualFold(live.Database, pf.Database) {
		return nil, &OtherJobDBError{pf.Server, pf.Database, live.Server, live.Database}
	}
	if live.Hash() != pf.LiveHash {
		return nil, ErrStale
	}
	opt.Scope, opt.Prune, opt.Preview = pf.Scope, pf.Prune, false
	opt.saved = true
	p, err := Diff(pf.Desired, live, opt)
	if err != nil {
		return nil, err
	}
	prints, reported, diffs := pf.checkSecrets(opt.Secret)
	diffs = append(diffs, compareOperations(pf.Operations, operations(p, prints), reported)...)
	if len(diffs) > 0 {
		return nil, &OperationsError{Differences: diffs}
	}
	return p, nil
}

// checkSecrets checks every credential's secret against its saved fingerprint. It returns the
// fingerprints that still hold, by lower-case credential name, the objects whose secret changed
// and what to say of them.
func (pf *PlanFile) checkSecrets(secret func(spec.SecretRef) (string, error)) (prints map[string]string, reported map[string]bool, diffs []string) {
	prints, reported = map[string]string{}, map[string]bool{}
	saved := map[string]string{}
	for _, s := range pf.Secrets {
		saved[strings.ToLower(s.Credential)] = s.Fingerprint
	}
	for _, c := range pf.Desired.Credentials {
		fp := saved[strings.ToLower(c.Name)]
		if s, err := secret(c.SecretFrom); err == nil && fp != "" && VerifyFingerprint(s, fp) {
			prints[strings.ToLower(c.Name)] = fp
			continue
		}
		object := fmt.Sprintf("%s %q", KindWord(KindCredential), c.Name)
		reported[object] = true
		diffs = append(diffs, fmt.Sprintf("the secret of %s is not the one the plan was made with", object))
	}
	return prints, reported, diffs
}

// compareOperations says how the operations apply would make now differ from the saved ones, one
// phrase per object, leaving out the objects already reported.
func compareOperations(saved, now []Operation, reported map[string]bool) []string {
	var diffs []string
	say := func(change, what string) {
		object := change[strings.IndexByte(change, ' ')+1:]
		if !reported[object] {
			reported[object] = true
			diffs = append(diffs, change+" "+what)
		}
	}
	planned := map[string]string{}
	for _, o := range saved {
		planned[o.Change] = o.Digest
	}
	for _, o := range now {
		digest, ok := planned[o.Change]
		delete(planned, o.Change)
		switch {
		case !ok:
			say(o.Change, "was not in the plan")
		case digest != o.Digest:
			say(o.Change, "makes other calls than planned")
		}
	}
	for _, o := range saved {
		if _, ok := planned[o.Change]; ok {
			say(o.Change, "is no longer needed")
		}
	}
	return diffs
}

// operations digests the calls of p: one Operation per change, then one per inventory row. A
// secret stands as its fingerprint in prints (by lower-case credential name), or as nothing.
func operations(p *Plan, prints map[string]string) []Operation {
	var out []Operation
	for _, c := range p.Changes {
		var calls [][]string
		for _, op := range c.Ops {
			calls = append(calls, callRecord(op, prints))
		}
		out = append(out, Operation{Change: fmt.Sprintf("%s %s %q", c.Action, KindWord(c.Kind), c.Name), Digest: digest(calls)})
	}
	for _, o := range p.Inventory {
		verb, fp := "record", o.Fingerprint
		if o.Remove {
			verb = "forget"
		}
		if o.Secret != nil {
			fp = "secret " + prints[strings.ToLower(o.Name)]
		}
		rec := []string{"inventory", o.Kind, o.Name, o.Hash, strconv.FormatBool(o.Exists), strconv.FormatBool(o.Remove), fp}
		out = append(out, Operation{Change: fmt.Sprintf("%s %s %q", verb, KindWord(o.Kind), o.Name), Digest: digest([][]string{rec})})
	}
	return out
}

// callRecord writes one call as strings: the procedure and each argument with its Go type, or the
// credential statement with its secret's fingerprint.
func callRecord(op Op, prints map[string]string) []string {
	if c := op.Cred; c != nil {
		fp := ""
		if c.Verb != "DROP" {
			fp = prints[strings.ToLower(c.Name)]
		}
		return []string{"credential", c.Verb, c.Name, c.Identity, c.SecretFrom.Env, c.SecretFrom.File, fp}
	}
	rec := []string{"call", op.Proc}
	for _, a := range op.Args {
		v := fmt.Sprintf("%T %v", a.Value, a.Value)
		if t, ok := a.Value.(time.Time); ok {
			v = "time " + t.UTC().Format(time.RFC3339Nano)
		}
		rec = append(rec, a.Name, v)
	}
	return rec
}

// digest hashes calls unambiguously: each call and each string with its length first.
func digest(calls [][]string) string {
	h := sha256.New()
	for _, c := range calls {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(c))))
		for _, s := range c {
			h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(s))))
			h.Write([]byte(s))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

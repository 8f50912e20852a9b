package jobstore

import (
	"strings"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// state is one consistent version of the whole job database. Committed states are never modified:
// a writing session works on a copy whose maps are cloned on first write (copy on write, by shard
// for the big ones), and the objects the maps point to are replaced, never changed in place.
type state struct {
	Jobs        cowMap[sqlval.UUID, *job]
	Groups      cowMap[sqlval.UUID, *targetGroup]
	Targets     cowMap[sqlval.UUID, *target]
	Execs       cowMap[int64, *Execution]
	Cancels     cowMap[sqlval.UUID, time.Time]
	Credentials map[string]*credential // by folded name
	MasterKey   *masterKey
	Schemas     map[string]*schemaDef // by folded name
	Tables      map[string]*table     // by folded "schema.name"
	Seq         int64                 // last sequence number handed out

	// Indexes derived from the maps above (rebuilt at load).
	jobByName   cowMap[string, sqlval.UUID] // folded name → live job
	groupByName cowMap[string, sqlval.UUID] // folded name → live target group
	execByID    cowMap[sqlval.UUID, int64]  // job_execution_id → root row key

	cloned      uint32          // which plain maps this working copy owns (bits below); zero for committed states
	tablesOwned map[*table]bool // tables this working copy copied and changes in place (tableW)
}

const (
	ownCreds = 1 << iota
	ownSchemas
	ownTables
)

func newState() *state {
	return &state{
		Credentials: map[string]*credential{},
		Schemas:     map[string]*schemaDef{},
		Tables:      map[string]*table{},
	}
}

// stateFile is the persisted form of the model: plain maps, with jobs and execution rows as
// binary blobs (codec.go).
type stateFile struct {
	Jobs        [][]byte
	Groups      map[sqlval.UUID]*targetGroup
	Targets     map[sqlval.UUID]*target
	Execs       [][]byte
	Cancels     map[sqlval.UUID]time.Time
	Credentials map[string]*credential
	MasterKey   *masterKey
	Schemas     map[string]*schemaDef
	Tables      map[string]*table
	Seq         int64
}

func (st *state) file(c *blobCache) *stateFile {
	jobs, execs := c.encode(st)
	return &stateFile{
		Jobs: jobs, Groups: st.Groups.plain(), Targets: st.Targets.plain(), Execs: execs,
		Cancels: st.Cancels.plain(), Credentials: st.Credentials, MasterKey: st.MasterKey, Schemas: st.Schemas,
		Tables: st.Tables, Seq: st.Seq,
	}
}

// fromFile builds a state from its persisted form and rebuilds the indexes.
func fromFile(f *stateFile, jobs map[sqlval.UUID]*job, execs map[int64]*Execution) *state {
	st := newState()
	st.Jobs, st.Groups, st.Targets = cowFrom(jobs), cowFrom(f.Groups), cowFrom(f.Targets)
	st.Execs, st.Cancels = cowFrom(execs), cowFrom(f.Cancels)
	if f.Credentials != nil {
		st.Credentials = f.Credentials
	}
	if f.Schemas != nil {
		st.Schemas = f.Schemas
	}
	if f.Tables != nil {
		st.Tables = f.Tables
	}
	st.MasterKey, st.Seq = f.MasterKey, f.Seq
	st.Jobs.each(func(id sqlval.UUID, j *job) bool {
		if j != nil && j.DeletedAt == nil {
			st.jobByName.put(fold(j.Name), id)
		}
		return true
	})
	st.Groups.each(func(id sqlval.UUID, g *targetGroup) bool {
		if g != nil && g.DeletedAt == nil {
			st.groupByName.put(fold(g.Name), id)
		}
		return true
	})
	st.Execs.each(func(k int64, e *Execution) bool {
		if e != nil && e.Parent == 0 {
			st.execByID.put(e.ExecutionID, k)
		}
		return true
	})
	st.freeze()
	return st
}

// work returns a working copy of a committed state that shares all maps until they are written.
func (st *state) work() *state {
	w := *st
	w.cloned, w.tablesOwned = 0, nil
	return &w
}

// freeze marks a working copy committed.
func (st *state) freeze() {
	st.cloned, st.tablesOwned = 0, nil
	st.Jobs.freeze()
	st.Groups.freeze()
	st.Targets.freeze()
	st.Execs.freeze()
	st.Cancels.freeze()
	st.jobByName.freeze()
	st.groupByName.freeze()
	st.execByID.freeze()
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	c := make(map[K]V, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

func (st *state) own(bit uint32) bool {
	if st.cloned&bit != 0 {
		return false
	}
	st.cloned |= bit
	return true
}

func (st *state) credsW() map[string]*credential {
	if st.own(ownCreds) {
		st.Credentials = cloneMap(st.Credentials)
	}
	return st.Credentials
}

func (st *state) schemasW() map[string]*schemaDef {
	if st.own(ownSchemas) {
		st.Schemas = cloneMap(st.Schemas)
	}
	return st.Schemas
}

func (st *state) tablesW() map[string]*table {
	if st.own(ownTables) {
		st.Tables = cloneMap(st.Tables)
	}
	return st.Tables
}

// job returns a job by id, or nil.
func (st *state) job(id sqlval.UUID) *job {
	j, _ := st.Jobs.get(id)
	return j
}

// liveJob returns the live job with a name, or nil.
func (st *state) liveJob(name string) *job {
	if id, ok := st.jobByName.get(fold(name)); ok {
		return st.job(id)
	}
	return nil
}

func (st *state) group(id sqlval.UUID) *targetGroup {
	g, _ := st.Groups.get(id)
	return g
}

func (st *state) liveGroup(name string) *targetGroup {
	if id, ok := st.groupByName.get(fold(name)); ok {
		return st.group(id)
	}
	return nil
}

func (st *state) exec(key int64) *Execution {
	e, _ := st.Execs.get(key)
	return e
}

// putExec stores an execution row and indexes roots by job_execution_id.
func (st *state) putExec(e *Execution) {
	st.Execs.put(e.Key, e)
	if e.Parent == 0 {
		st.execByID.put(e.ExecutionID, e.Key)
	}
}

func (st *state) delExec(key int64) {
	if e := st.exec(key); e != nil && e.Parent == 0 {
		st.execByID.del(e.ExecutionID)
	}
	st.Execs.del(key)
}

func (st *state) nextSeq() int64 {
	st.Seq++
	return st.Seq
}

// job is a row of jobs_internal.jobs plus its versions. Version n is Versions[n-1]; a job without
// steps ever added has no versions and shows job_version 0 [D][S].
type job struct {
	ID            sqlval.UUID
	Seq           int64
	Name          string
	Description   string
	Enabled       bool
	IntervalType  string
	IntervalCount int64
	StartTime     time.Time
	EndTime       time.Time
	DeletedAt     *time.Time
	LastExecution *sqlval.UUID
	Versions      []*jobVersion
}

func (j *job) version() int64 { return int64(len(j.Versions)) }

func (j *job) steps() []*step {
	if len(j.Versions) == 0 {
		return nil
	}
	return j.Versions[len(j.Versions)-1].Steps
}

// jobVersion is one version's full step list; steps are shared between versions (immutable).
type jobVersion struct {
	Steps []*step
}

// step is the data of one job step (jobs_internal.jobsteps + jobstep_data). Its step_id is its
// position in the version's list. Nullable columns are pointers.
type step struct {
	Name                 string
	CommandType          string
	CommandSource        *string
	Command              string
	CredentialName       *string
	TargetGroupID        sqlval.UUID
	InitialRetrySeconds  *int64
	MaximumRetrySeconds  *int64
	BackoffMultiplier    float64
	RetryAttempts        int64
	TimeoutSeconds       *int64
	OutputType           *string
	OutputCredential     *string
	OutputSubscriptionID *sqlval.UUID
	OutputResourceGroup  *string
	OutputServer         *string
	OutputDatabase       *string
	OutputSchema         *string
	OutputTable          *string
	MaxParallelism       *int64

	row []sqlval.Value // the step's own jobsteps columns (step_name …), set by seal
}

// seal precomputes the step's view values; a step is immutable once sealed.
func (s *step) seal() *step {
	s.row = []sqlval.Value{s.Name, s.CommandType, nstr(s.CommandSource), s.Command, nstr(s.CredentialName),
		nil, zuuid(s.TargetGroupID), nint(s.InitialRetrySeconds), nint(s.MaximumRetrySeconds),
		s.BackoffMultiplier, s.RetryAttempts, nint(s.TimeoutSeconds), nstr(s.OutputType),
		nstr(s.OutputCredential), nuuid(s.OutputSubscriptionID), nstr(s.OutputResourceGroup),
		nstr(s.OutputServer), nstr(s.OutputDatabase), nstr(s.OutputSchema), nstr(s.OutputTable),
		nint(s.MaxParallelism)}
	return s
}

// targetGroup is a row of jobs_internal.targets with type TargetGroup and its memberships.
type targetGroup struct {
	ID        sqlval.UUID
	Seq       int64
	Name      string
	DeletedAt *time.Time
	Members   []member
}

type member struct {
	TargetID sqlval.UUID
	Include  bool
}

// target is an immutable, shared target definition (jobs_internal.targets) [S].
type target struct {
	ID                sqlval.UUID
	Type              string
	SubscriptionID    *sqlval.UUID
	ResourceGroup     *string
	Server            *string
	Database          *string
	ElasticPool       *string
	ShardMap          *string // only in state saved while the procedures took @shard_map_name
	RefreshCredential *string
}

// sameDefinition reports whether two targets have the same definition under the job database
// collation (the MERGE key of sp_add_target_group_member [S]).
func (t *target) sameDefinition(o *target) bool {
	eqs := func(a, b *string) bool {
		if a == nil || b == nil {
			return a == nil && b == nil
		}
		return fold(*a) == fold(*b)
	}
	equ := func(a, b *sqlval.UUID) bool {
		if a == nil || b == nil {
			return a == nil && b == nil
		}
		return *a == *b
	}
	return fold(t.Type) == fold(o.Type) && equ(t.SubscriptionID, o.SubscriptionID) &&
		eqs(t.ResourceGroup, o.ResourceGroup) && eqs(t.Server, o.Server) && eqs(t.Database, o.Database) &&
		eqs(t.ElasticPool, o.ElasticPool) && eqs(t.ShardMap, o.ShardMap) &&
		eqs(t.RefreshCredential, o.RefreshCredential)
}

type credential struct {
	ID       int64
	Name     string
	Identity string
	Sealed   []byte // AES-GCM sealed secret, see doc.go
	Created  time.Time
	Modified time.Time
	secret   secret // plain secret, memory only
}

// secret is a credential secret; it never prints.
type secret struct{ v *string }

func (secret) String() string   { return "(sensitive)" }
func (secret) GoString() string { return "(sensitive)" }

type masterKey struct {
	Created time.Time
	Salt    []byte
	Hash    []byte // SHA-256 of salt+password; the password itself is never kept
}

type schemaDef struct {
	ID   int64
	Name string
}

// fold is the key of a name under the job database collation SQL_Latin1_General_CP1_CI_AS:
// case-insensitive and ignoring trailing spaces, as SQL Server compares strings [I].
func fold(s string) string {
	return strings.ToLower(strings.TrimRight(s, " "))
}

// SameName reports whether two identifiers name the same object or column under the database
// collation: case-insensitively and ignoring trailing spaces.
func SameName(a, b string) bool { return fold(a) == fold(b) }

func strp(s string) *string { return &s }

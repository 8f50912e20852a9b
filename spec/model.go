package spec

import (
	"time"
)

// Defaults of the job database: the parameter defaults of jobs.sp_add_job and jobs.sp_add_jobstep
// ("jobs.sp_add_jobstep (Azure Elastic Jobs)", https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-jobstep-elastic-jobs-transact-sql).
// A spec that states one equals a spec that omits it.
const (
	DefaultTimeout           = 43200 * time.Second
	DefaultRetryAttempts     = 10
	DefaultInitialInterval   = 1 * time.Second
	DefaultMaxInterval       = 120 * time.Second
	DefaultBackoffMultiplier = 2.0
	DefaultOutputSchema      = "dbo"
)

// APIVersion is the apiVersion of the spec documents this version of ejops reads.
const APIVersion = "ejops/v1"

// kinds are the kinds of spec documents.
var kinds = []string{"Credential", "TargetGroup", "Job", "Agent"}

// Authentication modes of an Agent.
const (
	AuthCredential      = "DatabaseScopedCredential"
	AuthManagedIdentity = "ManagedIdentity"
)

// Set is every object declared by the loaded specs, in file order.
type Set struct {
	Credentials  []*Credential
	TargetGroups []*TargetGroup
	Jobs         []*Job
	Agent        *Agent // nil when no Agent document exists
	Files        int    // number of files read
	Documents    int    // number of spec documents read
	Skipped      int    // number of documents of other tools skipped
	// Hidden lists the hidden YAML files and folders left out under folder arguments, but .git;
	// Excluded counts the YAML files and the folders that IgnoreFile or Options.Exclude left out;
	// LinkedFolders the symbolic links to folders, which are not followed.
	Hidden                  []string
	Excluded, LinkedFolders int
}

// Objects returns the number of objects the set declares that apply creates, changes or prunes:
// credentials, target groups and jobs. An Agent document alone declares none.
func (set *Set) Objects() int {
	return len(set.Credentials) + len(set.TargetGroups) + len(set.Jobs)
}

// Meta is what every object shares: its name and where it was declared.
type Meta struct {
	Name string
	Pos  Pos // position of the document's kind key
	// fields holds the position of each field the decoder read, by dotted path.
	fields fieldPositions
}

// FieldPos returns the position of the field at a dotted path such as "spec.steps[1].timeout" (of
// its value for a scalar, of its key for a mapping or a list), falling back to the document.
func (m *Meta) FieldPos(path string) Pos {
	if line, col, ok := m.fields.find(path); ok {
		return Pos{File: m.Pos.File, Line: line, Col: col}
	}
	return m.Pos
}

// meta gives the decoder the Meta of any object.
func (m *Meta) meta() *Meta { return m }

// Credential is a database scoped credential; its secret is resolved only at apply time.
type Credential struct {
	Meta
	Identity   string
	SecretFrom SecretRef
}

// SecretRef says where a secret comes from: exactly one of Env or File is set.
// File is already resolved relative to the YAML file that declared it.
type SecretRef struct {
	Env  string
	File string
}

// TargetGroup is a named set of members.
type TargetGroup struct {
	Meta
	Members []Member
}

// Member types of the job database.
const (
	MemberServer   = "SqlServer"
	MemberPool     = "SqlElasticPool"
	MemberDatabase = "SqlDatabase"
)

// Member is one Include or Exclude entry of a target group.
type Member struct {
	Pos               Pos
	Server            string
	Database          string
	ElasticPool       string
	RefreshCredential string
	Membership        string // "Include" or "Exclude"
}

// Type returns the job database's target type of the member.
func (m Member) Type() string {
	switch {
	case m.Database != "":
		return MemberDatabase
	case m.ElasticPool != "":
		return MemberPool
	default:
		return MemberServer
	}
}

// Job is a job with its ordered steps.
type Job struct {
	Meta
	Description string
	Enabled     bool
	Schedule    *Schedule // nil: runs only when started
	Steps       []*Step
}

// Schedule is a job's schedule in the job database's terms, or in local time: at a time of day in
// a time zone, which the job database's UTC schedule follows across daylight-saving changes once
// compiled (see NextRun and Wall).
type Schedule struct {
	IntervalType  string    // Once, Minutes, Hours, Days, Weeks, Months
	IntervalCount int       // 1 for Once
	Start         time.Time // zero: none
	End           time.Time // zero: no end
	// Local time: At in TimeZone, an IANA name; Location is nil when TimeZone is empty or unknown.
	At       Clock
	TimeZone string
	Location *time.Location
}

// Step is one T-SQL step of a job.
type Step struct {
	Pos            Pos // position of the step's list item
	Name           string
	TargetGroup    string
	Credential     string
	Command        string
	CommandFile    string // path as resolved relative to the YAML file; empty for inline commands
	CommandSource  Source // where line 1, column 1 of Command is
	Timeout        time.Duration
	Retry          Retry
	MaxParallelism int // 0: no limit
	Output         *Output
	LintIgnore     []string
}

// Retry is a step's retry policy.
type Retry struct {
	Attempts          int
	InitialInterval   time.Duration
	MaxInterval       time.Duration
	BackoffMultiplier float64
}

// Output sends a step's first result set to a table.
type Output struct {
	Server     string
	Database   string
	Schema     string
	Table      string
	Credential string
}

// Agent holds facts about the job agent that checks need.
type Agent struct {
	Meta
	Authentication string
	// Lint overrides rule severities by code ("off", "info", "warning", "error").
	Lint map[string]string
}

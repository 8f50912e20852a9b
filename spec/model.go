package spec

import (
	"sort"
	"time"
)

// Defaults of the job database (elastic-jobs-api.md §2.4); a spec that states one equals a spec that omits it.
const (
	DefaultTimeout           = 43200 * time.Second
	DefaultRetryAttempts     = 10
	DefaultInitialInterval   = 1 * time.Second
	DefaultMaxInterval       = 120 * time.Second
	DefaultBackoffMultiplier = 2.0
	DefaultOutputSchema      = "dbo"
)

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
	Documents    int    // number of non-empty documents read
}

// Meta is what every object shares: its name and where it was declared.
type Meta struct {
	Name string
	Pos  Pos // position of the document's kind key
	// Fields maps a dotted field path such as "spec.steps[1].timeout" to the position of its value.
	Fields map[string]Pos
}

// FieldPos returns the position of the named field, falling back to the document.
func (m *Meta) FieldPos(path string) Pos {
	if p, ok := m.Fields[path]; ok {
		return p
	}
	return m.Pos
}

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

// Schedule is a job's schedule in the job database's terms.
type Schedule struct {
	IntervalType  string // Once, Minutes, Hours, Days, Weeks, Months
	IntervalCount int    // 1 for Once
	Start         time.Time
	End           time.Time // zero: no end
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

// Source maps positions inside a step's T-SQL back to the file that holds it.
// For an inline block scalar, line L column C of the command is at Line+L-1, Indent+C of File.
// Folded, quoted and plain multi-line scalars, whose text YAML joins or unescapes, carry a map
// from positions in the command to positions in the file instead.
type Source struct {
	File   string
	Line   int // file line of the command's first line
	Col    int // file column of the command's first character on its first line
	Indent int // columns to add to C on lines after the first (block scalars); -1 when lines do not map
	m      *sourceMap
}

// sourceMap lists where runs of a scalar's value start in its file, in value order.
type sourceMap struct {
	segs []segment
}

// segment is a run of runes of the value that stand one for one on consecutive columns of one
// file line: value line, column map to file line, column, and each next column to the next.
type segment struct {
	line, col, fileLine, fileCol int32
}

// Map returns the file position of line l, column c (both 1-based) of the command.
func (s Source) Map(l, c int) Pos {
	if s.m != nil && len(s.m.segs) > 0 {
		segs := s.m.segs
		// the last segment that starts at or before (l, c)
		i := sort.Search(len(segs), func(i int) bool {
			g := segs[i]
			return int(g.line) > l || int(g.line) == l && int(g.col) > c
		})
		g := segs[max(i-1, 0)]
		if int(g.line) != l || i == 0 {
			return Pos{File: s.File, Line: int(g.fileLine), Col: int(g.fileCol)}
		}
		return Pos{File: s.File, Line: int(g.fileLine), Col: int(g.fileCol) + c - int(g.col)}
	}
	if l <= 1 {
		return Pos{File: s.File, Line: s.Line, Col: s.Col + c - 1}
	}
	if s.Indent < 0 {
		return Pos{File: s.File, Line: s.Line, Col: s.Col}
	}
	return Pos{File: s.File, Line: s.Line + l - 1, Col: s.Indent + c}
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

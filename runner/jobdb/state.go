package jobdb

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"
	"time"
)

// State is what the job database holds that ejops manages, as read in one round trip.
type State struct {
	Credentials  []Credential
	TargetGroups []TargetGroup
	Jobs         []Job
	Inventory    []Owned // every scope's inventory rows
	HasSchema    bool    // the ejops schema exists
	HasInventory bool    // the ejops.inventory table exists
	// Schedules are the schedules in local time jobs were applied with, every scope's.
	Schedules    []LocalSchedule
	HasSchedules bool // the ejops.job_schedules table exists

	// Server and Database name the job database (@@SERVERNAME, DB_NAME()): a saved plan is
	// applied only to the job database it was made for.
	Server, Database string
	// CredentialsHidden says the login lacks CONTROL on the database, which reading
	// sys.database_scoped_credentials needs: Credentials is then empty whatever exists.
	CredentialsHidden bool
}

// Credential is a database scoped credential; its secret is never readable.
type Credential struct {
	Name     string
	Identity string
}

// TargetGroup is a target group with its members.
type TargetGroup struct {
	Name    string
	Members []Member
}

// Member is one member of a target group as the job database reports it.
type Member struct {
	TargetID          string // needed to delete the member
	Membership        string // Include or Exclude
	Type              string // SqlServer, SqlElasticPool, SqlDatabase
	Server            string
	Database          string
	ElasticPool       string
	RefreshCredential string
}

// Job is a job and the steps of its current version, in step order.
type Job struct {
	Name          string
	Version       int
	Description   string
	Enabled       bool
	IntervalType  string
	IntervalCount int
	Start         time.Time
	End           time.Time
	Steps         []Step
}

// Step is one step of a job's current version.
type Step struct {
	Name              string
	Command           string
	Credential        string
	TargetGroup       string
	InitialRetrySecs  int
	MaxRetrySecs      int
	BackoffMultiplier float64
	RetryAttempts     int
	TimeoutSecs       int
	MaxParallelism    int // 0: no limit
	Output            *Output
}

// Output is a step's output table.
type Output struct {
	Server     string
	Database   string
	Schema     string
	Table      string
	Credential string
}

// Owned is one row of ejops' inventory: an object applied by a scope.
type Owned struct {
	Scope             string
	Kind              string // Credential, TargetGroup, Job
	Name              string
	SpecHash          string
	SecretFingerprint string // salted scrypt; never shown
	AppliedAt         time.Time
	AppliedBy         string
}

// LocalSchedule is one row of ejops.job_schedules: the schedule in local time a scope applied a
// job with, the job database holding its UTC form. The interval and the end are the job's own.
type LocalSchedule struct {
	Scope    string
	Job      string
	At       string    // "08:00"
	TimeZone string    // an IANA name
	Start    time.Time // the spec's start, zero when it gave none
}

// Hash returns a digest of the state, used to refuse a saved plan when the live state has moved.
// Every field counts, the inventory's timestamps too: any apply in between makes a plan stale.
func (s *State) Hash() string {
	h := hasher{sha256.New()}
	h.str(s.Server, s.Database)
	h.bool(s.CredentialsHidden)
	h.bool(s.HasSchema)
	h.bool(s.HasInventory)
	h.int(len(s.Credentials))
	for _, c := range s.Credentials {
		h.str(c.Name, c.Identity)
	}
	h.int(len(s.TargetGroups))
	for _, g := range s.TargetGroups {
		h.str(g.Name)
		h.int(len(g.Members))
		for _, m := range g.Members {
			h.str(m.TargetID, m.Membership, m.Type, m.Server, m.Database, m.ElasticPool, m.RefreshCredential)
		}
	}
	h.int(len(s.Jobs))
	for _, j := range s.Jobs {
		h.str(j.Name, j.Description, j.IntervalType)
		h.int(j.Version, j.IntervalCount)
		h.bool(j.Enabled)
		h.time(j.Start, j.End)
		h.int(len(j.Steps))
		for _, st := range j.Steps {
			h.str(st.Name, st.Command, st.Credential, st.TargetGroup)
			h.int(st.InitialRetrySecs, st.MaxRetrySecs, st.RetryAttempts, st.TimeoutSecs, st.MaxParallelism)
			h.float(st.BackoffMultiplier)
			h.bool(st.Output != nil)
			if o := st.Output; o != nil {
				h.str(o.Server, o.Database, o.Schema, o.Table, o.Credential)
			}
		}
	}
	h.int(len(s.Inventory))
	for _, o := range s.Inventory {
		h.str(o.Scope, o.Kind, o.Name, o.SpecHash, o.SecretFingerprint, o.AppliedBy)
		h.time(o.AppliedAt)
	}
	h.bool(s.HasSchedules)
	h.int(len(s.Schedules))
	for _, l := range s.Schedules {
		h.str(l.Scope, l.Job, l.At, l.TimeZone)
		h.time(l.Start)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hasher writes values unambiguously: strings with their length, numbers in fixed width.
type hasher struct{ hash.Hash }

func (h hasher) str(vs ...string) {
	for _, v := range vs {
		h.int(len(v))
		h.Write([]byte(v))
	}
}

func (h hasher) int(vs ...int) {
	for _, v := range vs {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(v)))
	}
}

func (h hasher) bool(v bool) {
	if v {
		h.int(1)
	} else {
		h.int(0)
	}
}

func (h hasher) float(v float64) { h.Write(binary.BigEndian.AppendUint64(nil, math.Float64bits(v))) }

func (h hasher) time(ts ...time.Time) {
	for _, t := range ts {
		h.int(int(t.Unix()), t.Nanosecond())
	}
}

package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

// Schedule bounds the job database uses when a job has none: the defaults of sp_add_job's
// @schedule_start_time and @schedule_end_time (Microsoft's "jobs.sp_add_job (Azure Elastic Jobs)",
// https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-job-elastic-jobs-transact-sql).
var (
	ScheduleMinStart = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	ScheduleMaxEnd   = time.Date(9999, 12, 31, 11, 59, 59, 0, time.UTC)
)

// Desired is the state the specs ask for, in the job database's terms.
//
// The JSON encoding of each desired object (see specHash) is the spec hash recorded in the
// inventory: a renamed tag would change every recorded hash, so TestSpecHashIsStable pins it.
type Desired struct {
	Credentials  []DesiredCredential
	TargetGroups []DesiredTargetGroup
	Jobs         []DesiredJob
}

// DesiredCredential is a credential with the reference to its secret (never the secret).
type DesiredCredential struct {
	Name     string `json:"name"`
	Identity string `json:"identity"`
	// The spec hash leaves out where the secret comes from: the fingerprint tracks the secret itself.
	SecretFrom spec.SecretRef `json:"-"`
	// Where secretFrom is written, for errors: "file:line:col: field".
	SecretPos string `json:"-"`
}

// DesiredTargetGroup is a target group with its members.
type DesiredTargetGroup struct {
	Name    string          `json:"name"`
	Members []DesiredMember `json:"members"`
}

// DesiredMember is one member of a target group.
type DesiredMember struct {
	Membership        string `json:"membership"` // Include or Exclude
	Type              string `json:"type"`       // SqlServer, SqlElasticPool, SqlDatabase
	Server            string `json:"server"`
	Database          string `json:"database,omitempty"`
	ElasticPool       string `json:"elasticPool,omitempty"`
	RefreshCredential string `json:"refreshCredential,omitempty"`
}

// DesiredJob is a job with its schedule and its steps in order.
type DesiredJob struct {
	Name          string        `json:"name"`
	Description   string        `json:"description"`
	Enabled       bool          `json:"enabled"`
	IntervalType  string        `json:"intervalType"` // Once, Minutes, Hours, Days, Weeks, Months
	IntervalCount int           `json:"intervalCount"`
	Start         time.Time     `json:"start"`
	End           time.Time     `json:"end"`
	Steps         []DesiredStep `json:"steps"`
	// A schedule in local time: the job runs at At ("08:00") in TimeZone, an IANA name, on the days
	// of the interval counted from the date of Start (ScheduleMinStart: none). Diff compiles it to
	// the UTC schedule the job database holds (see compileJobs), which is what the spec hash and a
	// saved plan record. Both are empty for a UTC schedule.
	At       string `json:"-"`
	TimeZone string `json:"-"`
	// Local is the schedule in local time a compiled job came from (At and TimeZone then empty),
	// recorded in ejops.job_schedules by apply; nil for a UTC schedule.
	Local *jobdb.LocalSchedule `json:"-"`
}

// DesiredStep is one step of a job, with every default filled in.
type DesiredStep struct {
	Name              string         `json:"name"`
	Command           string         `json:"command"`
	Credential        string         `json:"credential,omitempty"`
	TargetGroup       string         `json:"targetGroup"`
	InitialRetrySecs  int            `json:"initialRetrySeconds"`
	MaxRetrySecs      int            `json:"maxRetrySeconds"`
	BackoffMultiplier float64        `json:"backoffMultiplier"`
	RetryAttempts     int            `json:"retryAttempts"`
	TimeoutSecs       int            `json:"timeoutSeconds"`
	MaxParallelism    int            `json:"maxParallelism,omitempty"` // 0: no limit
	Output            *DesiredOutput `json:"output,omitempty"`
}

// DesiredOutput is a step's output table.
type DesiredOutput struct {
	Server     string `json:"server"`
	Database   string `json:"database"`
	Schema     string `json:"schema"`
	Table      string `json:"table"`
	Credential string `json:"credential,omitempty"`
}

// FromSpec converts loaded specs into the desired state, sorted by name within each kind.
func FromSpec(set *spec.Set) *Desired {
	d := &Desired{}
	for _, c := range set.Credentials {
		ref := c.SecretFrom
		if ref.File != "" {
			// Absolute, so a saved plan applied from another folder reads the same file.
			if abs, err := filepath.Abs(ref.File); err == nil {
				ref.File = abs
			}
		}
		field := "spec.secretFrom.env"
		if c.SecretFrom.File != "" {
			field = "spec.secretFrom.file"
		}
		pos := c.FieldPos(field).String() + ": " + field
		d.Credentials = append(d.Credentials, DesiredCredential{Name: c.Name, Identity: c.Identity, SecretFrom: ref, SecretPos: pos})
	}
	for _, g := range set.TargetGroups {
		tg := DesiredTargetGroup{Name: g.Name, Members: []DesiredMember{}}
		for _, m := range g.Members {
			membership := m.Membership
			if membership == "" {
				membership = "Include"
			}
			tg.Members = append(tg.Members, DesiredMember{Membership: membership, Type: m.Type(), Server: m.Server,
				Database: m.Database, ElasticPool: m.ElasticPool, RefreshCredential: m.RefreshCredential})
		}
		d.TargetGroups = append(d.TargetGroups, tg)
	}
	for _, j := range set.Jobs {
		d.Jobs = append(d.Jobs, desiredJob(j))
	}
	sort.Slice(d.Credentials, func(a, b int) bool { return lessName(d.Credentials[a].Name, d.Credentials[b].Name) })
	sort.Slice(d.TargetGroups, func(a, b int) bool { return lessName(d.TargetGroups[a].Name, d.TargetGroups[b].Name) })
	sort.Slice(d.Jobs, func(a, b int) bool { return lessName(d.Jobs[a].Name, d.Jobs[b].Name) })
	return d
}

func desiredJob(j *spec.Job) DesiredJob {
	job := DesiredJob{Name: j.Name, Description: j.Description, Enabled: j.Enabled,
		IntervalType: "Once", IntervalCount: 1, Start: ScheduleMinStart, End: ScheduleMaxEnd, Steps: []DesiredStep{}}
	if s := j.Schedule; s != nil {
		job.IntervalType, job.IntervalCount = s.IntervalType, s.IntervalCount
		if !s.Start.IsZero() {
			job.Start = s.Start.UTC()
		}
		if !s.End.IsZero() {
			job.End = s.End.UTC()
		}
		if s.Local() {
			job.At, job.TimeZone = s.At.String(), s.TimeZone
		}
	}
	for _, s := range j.Steps {
		job.Steps = append(job.Steps, desiredStep(s))
	}
	return job
}

func desiredStep(s *spec.Step) DesiredStep {
	or := func(v, def time.Duration) time.Duration {
		if v == 0 {
			return def
		}
		return v
	}
	st := DesiredStep{
		Name:              s.Name,
		Command:           s.Command,
		Credential:        s.Credential,
		TargetGroup:       s.TargetGroup,
		InitialRetrySecs:  int(s.Retry.InitialInterval / time.Second), // 0 is a valid interval; the loader fills the default
		MaxRetrySecs:      int(or(s.Retry.MaxInterval, spec.DefaultMaxInterval) / time.Second),
		BackoffMultiplier: s.Retry.BackoffMultiplier,
		RetryAttempts:     s.Retry.Attempts,
		TimeoutSecs:       int(or(s.Timeout, spec.DefaultTimeout) / time.Second),
		MaxParallelism:    s.MaxParallelism,
	}
	if st.BackoffMultiplier == 0 {
		st.BackoffMultiplier = spec.DefaultBackoffMultiplier
	}
	if o := s.Output; o != nil {
		schema := o.Schema
		if schema == "" {
			schema = spec.DefaultOutputSchema
		}
		st.Output = &DesiredOutput{Server: o.Server, Database: o.Database, Schema: schema, Table: o.Table, Credential: o.Credential}
	}
	return st
}

// liveJob restates a live job in desired terms, so that Diff compares like with like; the
// version, which no spec sets, is left out.
func liveJob(j jobdb.Job) DesiredJob {
	return DesiredJob{Name: j.Name, Description: j.Description, Enabled: j.Enabled, IntervalType: j.IntervalType,
		IntervalCount: j.IntervalCount, Start: j.Start, End: j.End, Steps: liveSteps(j.Steps)}
}

func liveSteps(steps []jobdb.Step) []DesiredStep {
	if steps == nil {
		return nil
	}
	out := make([]DesiredStep, len(steps))
	for i, s := range steps {
		out[i] = DesiredStep{Name: s.Name, Command: s.Command, Credential: s.Credential, TargetGroup: s.TargetGroup,
			InitialRetrySecs: s.InitialRetrySecs, MaxRetrySecs: s.MaxRetrySecs, BackoffMultiplier: s.BackoffMultiplier,
			RetryAttempts: s.RetryAttempts, TimeoutSecs: s.TimeoutSecs, MaxParallelism: s.MaxParallelism}
		if o := s.Output; o != nil {
			out[i].Output = &DesiredOutput{Server: o.Server, Database: o.Database, Schema: o.Schema, Table: o.Table, Credential: o.Credential}
		}
	}
	return out
}

// liveMember restates a live member in desired terms; its target id is left out.
func liveMember(m jobdb.Member) DesiredMember {
	return DesiredMember{Membership: m.Membership, Type: m.Type, Server: m.Server, Database: m.Database,
		ElasticPool: m.ElasticPool, RefreshCredential: m.RefreshCredential}
}

// lessName orders names as the job database compares them: case-insensitively.
func lessName(a, b string) bool {
	la, lb := strings.ToLower(a), strings.ToLower(b)
	if la != lb {
		return la < lb
	}
	return a < b
}

// sameName compares names as the job database does.
func sameName(a, b string) bool { return strings.EqualFold(a, b) }

// specHash returns a short digest of a desired object (a DesiredCredential, DesiredTargetGroup or
// DesiredJob), recorded in the inventory: an unchanged digest says the spec is the one last applied.
func specHash(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

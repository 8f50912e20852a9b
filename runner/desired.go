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

// Schedule bounds the job database uses when a job has none (elastic-jobs-api.md §2.1).
var (
	ScheduleMinStart = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	ScheduleMaxEnd   = time.Date(9999, 12, 31, 11, 59, 59, 0, time.UTC)
)

// Desired is the state the specs ask for, in the job database's terms.
type Desired struct {
	Credentials  []DesiredCredential `json:"credentials"`
	TargetGroups []jobdb.TargetGroup `json:"targetGroups"`
	Jobs         []jobdb.Job         `json:"jobs"`
}

// DesiredCredential is a credential with the reference to its secret (never the secret).
type DesiredCredential struct {
	jobdb.Credential
	SecretFrom spec.SecretRef `json:"secretFrom"`
	// Where secretFrom is written, for errors; empty in a saved plan.
	SecretPos string `json:"-"`
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
		d.Credentials = append(d.Credentials, DesiredCredential{jobdb.Credential{Name: c.Name, Identity: c.Identity}, ref, pos})
	}
	for _, g := range set.TargetGroups {
		tg := jobdb.TargetGroup{Name: g.Name, Members: []jobdb.Member{}}
		for _, m := range g.Members {
			membership := m.Membership
			if membership == "" {
				membership = "Include"
			}
			tg.Members = append(tg.Members, jobdb.Member{Membership: membership, Type: m.Type(), Server: m.Server,
				Database: m.Database, ElasticPool: m.ElasticPool, RefreshCredential: m.RefreshCredential})
		}
		d.TargetGroups = append(d.TargetGroups, tg)
	}
	for _, j := range set.Jobs {
		job := jobdb.Job{Name: j.Name, Description: j.Description, Enabled: j.Enabled,
			IntervalType: "Once", IntervalCount: 1, Start: ScheduleMinStart, End: ScheduleMaxEnd, Steps: []jobdb.Step{}}
		if s := j.Schedule; s != nil {
			job.IntervalType, job.IntervalCount = s.IntervalType, s.IntervalCount
			if !s.Start.IsZero() {
				job.Start = s.Start.UTC()
			}
			if !s.End.IsZero() {
				job.End = s.End.UTC()
			}
		}
		for _, s := range j.Steps {
			job.Steps = append(job.Steps, desiredStep(s))
		}
		d.Jobs = append(d.Jobs, job)
	}
	sort.Slice(d.Credentials, func(a, b int) bool { return lessName(d.Credentials[a].Name, d.Credentials[b].Name) })
	sort.Slice(d.TargetGroups, func(a, b int) bool { return lessName(d.TargetGroups[a].Name, d.TargetGroups[b].Name) })
	sort.Slice(d.Jobs, func(a, b int) bool { return lessName(d.Jobs[a].Name, d.Jobs[b].Name) })
	return d
}

func desiredStep(s *spec.Step) jobdb.Step {
	or := func(v, def time.Duration) time.Duration {
		if v == 0 {
			return def
		}
		return v
	}
	st := jobdb.Step{
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
		st.Output = &jobdb.Output{Server: o.Server, Database: o.Database, Schema: schema, Table: o.Table, Credential: o.Credential}
	}
	return st
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

// hashOf returns a short digest of a desired object, recorded in the inventory.
func hashOf(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

package agent

import (
	"fmt"
	"strings"
	"time"

	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// stepDef is one step of one job version, as jobs.jobstep_versions shows it.
type stepDef struct {
	StepID         int64
	Name           string
	JobName        string
	GroupName      string
	GroupID        sqlval.UUID
	InitialRetry   float64 // seconds
	MaxRetry       float64 // seconds
	Multiplier     float64
	RetryAttempts  int64
	Timeout        time.Duration
	MaxParallelism int64  // 0 = no limit
	Credential     string // credential_name; "" = none
	OutputType     string // output_type; "" = no output
	OutputCred     string // output_credential_name
	Command        string // command
	OutputServer   string // output_server_name
	OutputDatabase string // output_database_name
	OutputSchema   string // output_schema_name
	OutputTable    string // output_table_name
	hasTargetGroup bool
}

// member is one row of jobs.target_group_members.
type member struct {
	Include  bool
	Type     string
	TargetID sqlval.UUID
	Server   string
	Database string
	Pool     string
	Refresh  string // refresh_credential_name; "" = none
}

type versionKey struct {
	job     sqlval.UUID
	version int64
}

// row reads columns of a relation by name.
type row struct {
	ix  map[string]int
	val []sqlval.Value
}

func columnIndex(r *jobstore.Relation) map[string]int {
	ix := make(map[string]int, len(r.Columns))
	for i, c := range r.Columns {
		ix[strings.ToLower(c.Name)] = i
	}
	return ix
}

func (r row) get(name string) sqlval.Value {
	i, ok := r.ix[name]
	if !ok || i >= len(r.val) {
		return nil
	}
	return r.val[i]
}

func (r row) str(name string) string {
	s, _ := r.get(name).(string)
	return s
}

func (r row) int(name string) (int64, bool) {
	v, ok := r.get(name).(int64)
	return v, ok
}

func (r row) float(name string) float64 {
	switch v := r.get(name).(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	}
	return 0
}

func (r row) uuid(name string) sqlval.UUID {
	u, _ := r.get(name).(sqlval.UUID)
	return u
}

func (r row) time(name string) time.Time {
	t, _ := r.get(name).(time.Time)
	return t
}

func (r row) bool(name string) bool {
	switch v := r.get(name).(type) {
	case bool:
		return v
	case int64:
		return v != 0
	}
	return false
}

// relation reads a view of the job database.
func relation(db *jobstore.DB, name string) ([]row, error) {
	s := db.NewSession()
	defer s.Close()
	r, err := s.Relation(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	ix := columnIndex(r)
	rows := make([]row, len(r.Rows))
	for i, v := range r.Rows {
		rows[i] = row{ix: ix, val: v}
	}
	return rows, nil
}

// loadSteps reads the steps of every job version from jobs.jobstep_versions.
func loadSteps(db *jobstore.DB) (map[versionKey][]stepDef, error) {
	rows, err := relation(db, "jobs.jobstep_versions")
	if err != nil {
		return nil, err
	}
	out := map[versionKey][]stepDef{}
	for _, r := range rows {
		v, _ := r.int("job_version")
		k := versionKey{r.uuid("job_id"), v}
		s := stepDef{
			Name:       r.str("step_name"),
			JobName:    r.str("job_name"),
			GroupName:  r.str("target_group_name"),
			GroupID:    r.uuid("target_group_id"),
			Multiplier: r.float("retry_interval_backoff_multiplier"),
			Credential: r.str("credential_name"),
			OutputType: r.str("output_type"),
			OutputCred: r.str("output_credential_name"),
			Command:    r.str("command"),

			OutputServer:   r.str("output_server_name"),
			OutputDatabase: r.str("output_database_name"),
			OutputSchema:   r.str("output_schema_name"),
			OutputTable:    r.str("output_table_name"),
		}
		s.StepID, _ = r.int("step_id")
		s.hasTargetGroup = r.get("target_group_id") != nil
		if v, ok := r.int("initial_retry_interval_seconds"); ok {
			s.InitialRetry = float64(v)
		} else {
			s.InitialRetry = 1
		}
		if v, ok := r.int("maximum_retry_interval_seconds"); ok {
			s.MaxRetry = float64(v)
		} else {
			s.MaxRetry = 120
		}
		s.RetryAttempts, _ = r.int("retry_attempts")
		if v, ok := r.int("step_timeout_seconds"); ok && v > 0 {
			s.Timeout = time.Duration(v) * time.Second
		} else {
			s.Timeout = 43200 * time.Second
		}
		if v, ok := r.int("max_parallelism"); ok && v > 0 {
			s.MaxParallelism = v
		}
		out[k] = append(out[k], s)
	}
	for k, steps := range out {
		sortSteps(steps)
		out[k] = steps
	}
	return out, nil
}

func sortSteps(s []stepDef) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].StepID < s[j-1].StepID; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// loadMembers reads jobs.target_group_members by group id.
func loadMembers(db *jobstore.DB) (map[sqlval.UUID][]member, error) {
	rows, err := relation(db, "jobs.target_group_members")
	if err != nil {
		return nil, err
	}
	out := map[sqlval.UUID][]member{}
	for _, r := range rows {
		g := r.uuid("target_group_id")
		out[g] = append(out[g], member{
			Include:  !strings.EqualFold(r.str("membership_type"), "Exclude"),
			Type:     r.str("target_type"),
			TargetID: r.uuid("target_id"),
			Server:   r.str("server_name"),
			Database: r.str("database_name"),
			Pool:     r.str("elastic_pool_name"),
			Refresh:  r.str("refresh_credential_name"),
		})
	}
	return out, nil
}

// jobSchedule is one job's schedule as jobs.jobs shows it.
type jobSchedule struct {
	ID            sqlval.UUID
	Name          string
	Enabled       bool
	IntervalType  string
	IntervalCount int64
	Start, End    time.Time
}

func loadSchedules(db *jobstore.DB) ([]jobSchedule, error) {
	rows, err := relation(db, "jobs.jobs")
	if err != nil {
		return nil, err
	}
	out := make([]jobSchedule, 0, len(rows))
	for _, r := range rows {
		js := jobSchedule{
			ID:           r.uuid("job_id"),
			Name:         r.str("job_name"),
			Enabled:      r.bool("enabled"),
			IntervalType: r.str("schedule_interval_type"),
			Start:        r.time("schedule_start_time"),
			End:          r.time("schedule_end_time"),
		}
		js.IntervalCount, _ = r.int("schedule_interval_count")
		out = append(out, js)
	}
	return out, nil
}

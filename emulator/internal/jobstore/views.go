package jobstore

import (
	"sort"
	"strings"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// Relation is a snapshot of a view or table. Columns belong to the caller; the row slices may be
// shared with the database and must not be modified.
type Relation struct {
	Columns []sqlval.Column
	Rows    [][]sqlval.Value
}

func col(name string, t sqlval.Column, nullable bool) sqlval.Column {
	t.Name = name
	t.Nullable = nullable
	return t
}

// View columns and types, as the Microsoft Learn pages of the views list them, such as
// "jobs.job_executions (Azure Elastic Jobs) (Transact-SQL)" [D], with the [E] corrections where
// the pages say nothing. [D] The types are the pages': in jobs.jobsteps and jobs.jobstep_versions
// output_type is nvarchar(11) and output_schema_name and output_table_name nvarchar(max)
// ("jobs.jobsteps (Azure Elastic Jobs) (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-catalog-views/jobs-jobsteps-elastic-jobs-transact-sql);
// in jobs.target_group_members server_name is nvarchar(128)
// ("jobs.target_group_members (Azure Elastic Jobs) (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-catalog-views/jobs-target-group-members-elastic-jobs-transact-sql).
// [U] That page gives membership_type as int while naming its values Include and Exclude; the view
// keeps the strings. Columns the pages do not list (step_name, target_elastic_pool_name,
// target_subscription_id and target_resource_group_name of jobs.job_executions, shard_map_name of
// jobs.target_group_members) are kept [U].
var (
	jobsCols = []sqlval.Column{
		col("job_name", tName, false), col("job_id", tGUID, false), col("job_version", tInt, false),
		col("description", tNV512, false), col("enabled", tBit, false),
		col("schedule_interval_type", tNV50, false), col("schedule_interval_count", tInt, false),
		col("schedule_start_time", tDT2, false), col("schedule_end_time", tDT2, false),
	}
	jobVersionsCols = []sqlval.Column{
		col("job_name", tName, false), col("job_id", tGUID, false), col("job_version", tInt, false),
	}
	jobstepsCols = []sqlval.Column{
		col("job_name", tName, false), col("job_id", tGUID, false), col("job_version", tInt, false),
		col("step_id", tInt, false), col("step_name", tName, false), col("command_type", tNV50, false),
		col("command_source", tNV50, true), col("command", tNMax, false), col("credential_name", tName, true),
		col("target_group_name", tName, true), col("target_group_id", tGUID, true),
		col("initial_retry_interval_seconds", tInt, true), col("maximum_retry_interval_seconds", tInt, true),
		col("retry_interval_backoff_multiplier", tReal, false), col("retry_attempts", tInt, false),
		col("step_timeout_seconds", tInt, true), col("output_type", nvarchar(11), true),
		col("output_credential_name", tName, true), col("output_subscription_id", tGUID, true),
		col("output_resource_group_name", tName, true), col("output_server_name", nvarchar(256), true),
		col("output_database_name", tName, true), col("output_schema_name", tNMax, true),
		col("output_table_name", tNMax, true), col("max_parallelism", tInt, true),
	}
	targetGroupsCols = []sqlval.Column{
		col("target_group_name", tName, false), col("target_group_id", tGUID, false),
	}
	targetGroupMembersCols = []sqlval.Column{
		col("target_group_name", tName, false), col("target_group_id", tGUID, false),
		col("membership_type", nvarchar(7), false), col("target_type", tName, false),
		col("target_id", tGUID, false), col("refresh_credential_name", tName, true),
		col("subscription_id", tGUID, true), col("resource_group_name", tName, true),
		col("server_name", tName, true), col("database_name", tName, true),
		col("elastic_pool_name", tName, true), col("shard_map_name", tName, true),
	}
	jobExecutionsCols = []sqlval.Column{
		col("job_execution_id", tGUID, false), col("job_name", tName, false), col("job_id", tGUID, false),
		col("job_version", tInt, false), col("step_name", tName, true), col("step_id", tInt, true),
		col("is_active", tBit, false), col("lifecycle", tNV50, false), col("create_time", tDT2, false),
		col("start_time", tDT2, true), col("end_time", tDT2, true), col("current_attempts", tInt, false),
		col("current_attempt_start_time", tDT2, true), col("next_attempt_start_time", tDT2, true),
		col("last_message", tNMax, true), col("target_type", tName, true), col("target_id", tGUID, true),
		col("target_group_name", tName, true), col("target_server_name", nvarchar(256), true),
		col("target_database_name", tName, true), col("target_subscription_id", tGUID, true),
		col("target_resource_group_name", tName, true), col("target_elastic_pool_name", tName, true),
	}
	credentialsCols = []sqlval.Column{
		col("name", tName, false), col("credential_id", tInt, false), col("principal_id", tInt, true),
		col("credential_identity", nvarchar(4000), true), col("create_date", tDT, false),
		col("modify_date", tDT, false), col("target_type", nvarchar(100), true), col("target_id", tInt, true),
	}
	symmetricKeysCols = []sqlval.Column{
		col("name", tName, false), col("principal_id", tInt, true), col("symmetric_key_id", tInt, false),
		col("key_length", tInt, false), col("key_algorithm", nvarchar(2), false),
		col("algorithm_desc", nvarchar(60), true), col("create_date", tDT, false), col("modify_date", tDT, false),
	}
	schemasCols = []sqlval.Column{
		col("name", tName, false), col("schema_id", tInt, false), col("principal_id", tInt, true),
	}
	tablesCols = []sqlval.Column{
		col("name", tName, false), col("object_id", tInt, false), col("schema_id", tInt, false),
		col("type", nvarchar(2), true), col("type_desc", nvarchar(60), true),
		col("create_date", tDT, false), col("modify_date", tDT, false),
	}
)

var views = map[string]func(st *state) [][]sqlval.Value{
	"jobs.jobs":                       viewJobs,
	"jobs.job_versions":               viewJobVersions,
	"jobs.jobsteps":                   func(st *state) [][]sqlval.Value { return viewSteps(st, false) },
	"jobs.jobstep_versions":           func(st *state) [][]sqlval.Value { return viewSteps(st, true) },
	"jobs.target_groups":              viewTargetGroups,
	"jobs.target_group_members":       viewTargetGroupMembers,
	"jobs.job_executions":             viewJobExecutions,
	"sys.database_scoped_credentials": viewCredentials,
	"sys.symmetric_keys":              viewSymmetricKeys,
	"sys.schemas":                     viewSchemas,
	"sys.tables":                      viewTables,
}

var viewCols = map[string][]sqlval.Column{
	"jobs.jobs":                       jobsCols,
	"jobs.job_versions":               jobVersionsCols,
	"jobs.jobsteps":                   jobstepsCols,
	"jobs.jobstep_versions":           jobstepsCols,
	"jobs.target_groups":              targetGroupsCols,
	"jobs.target_group_members":       targetGroupMembersCols,
	"jobs.job_executions":             jobExecutionsCols,
	"sys.database_scoped_credentials": credentialsCols,
	"sys.symmetric_keys":              symmetricKeysCols,
	"sys.schemas":                     schemasCols,
	"sys.tables":                      tablesCols,
}

// Relation returns a snapshot of a view or table by schema-qualified name (case-insensitive).
// Rows come in a stable order (creation order for jobs and groups).
func (s *Session) Relation(name string) (*Relation, *sqlval.Error) {
	st := s.read()
	cols, err := relationColumns(st, name)
	if err != nil {
		return nil, err
	}
	if fn, ok := views[strings.ToLower(strings.TrimSpace(name))]; ok {
		return &Relation{Columns: cols, Rows: fn(st)}, nil
	}
	t := st.Tables[tableKey(name)]
	rows := make([][]sqlval.Value, 0, len(t.Rows)-t.dead)
	for _, r := range t.Rows {
		if r != nil {
			rows = append(rows, r)
		}
	}
	return &Relation{Columns: cols, Rows: rows}, nil
}

// RelationColumns returns the columns of a view or table, as Relation does, without its rows.
func (s *Session) RelationColumns(name string) ([]sqlval.Column, *sqlval.Error) {
	return relationColumns(s.read(), name)
}

func relationColumns(st *state, name string) ([]sqlval.Column, *sqlval.Error) {
	if cols, ok := viewCols[strings.ToLower(strings.TrimSpace(name))]; ok {
		return append([]sqlval.Column(nil), cols...), nil
	}
	if t := st.Tables[tableKey(name)]; t != nil && strings.Contains(name, ".") {
		cols := make([]sqlval.Column, len(t.Cols))
		for i, c := range t.Cols {
			cols[i] = c.Type
			cols[i].Name = c.Name
		}
		return cols, nil
	}
	return nil, sqlval.Errorf(208, "Invalid object name '%s'.", name)
}

// liveJobs returns the non-deleted jobs in creation order.
func liveJobs(st *state) []*job {
	out := make([]*job, 0, st.jobByName.len())
	st.jobByName.each(func(_ string, id sqlval.UUID) bool {
		out = append(out, st.job(id))
		return true
	})
	sort.Slice(out, func(a, b int) bool { return out[a].Seq < out[b].Seq })
	return out
}

func liveGroups(st *state) []*targetGroup {
	out := make([]*targetGroup, 0, st.groupByName.len())
	st.groupByName.each(func(_ string, id sqlval.UUID) bool {
		out = append(out, st.group(id))
		return true
	})
	sort.Slice(out, func(a, b int) bool { return out[a].Seq < out[b].Seq })
	return out
}

// boxed holds small integers already converted to interface values.
var boxed = func() []sqlval.Value {
	b := make([]sqlval.Value, 1024)
	for i := range b {
		b[i] = int64(i)
	}
	return b
}()

func boxInt(i int64) sqlval.Value {
	if i >= 0 && i < int64(len(boxed)) {
		return boxed[i]
	}
	return i
}

func nstr(p *string) sqlval.Value {
	if p == nil {
		return nil
	}
	return *p
}

func nint(p *int64) sqlval.Value {
	if p == nil {
		return nil
	}
	return *p
}

func nuuid(p *sqlval.UUID) sqlval.Value {
	if p == nil {
		return nil
	}
	return *p
}

func zstr(s string) sqlval.Value {
	if s == "" {
		return nil
	}
	return s
}

func ztime(t time.Time) sqlval.Value {
	if t.IsZero() {
		return nil
	}
	return t
}

func zuuid(u sqlval.UUID) sqlval.Value {
	if u == (sqlval.UUID{}) {
		return nil
	}
	return u
}

// datetime rounds to the 1/300 s precision of datetime (to the millisecond here).
func datetime(t time.Time) sqlval.Value { return t.Round(time.Millisecond) }

func viewJobs(st *state) [][]sqlval.Value {
	jobs := liveJobs(st)
	rows := make([][]sqlval.Value, len(jobs))
	for i, j := range jobs {
		rows[i] = []sqlval.Value{j.Name, j.ID, j.version(), j.Description, j.Enabled, j.IntervalType,
			j.IntervalCount, j.StartTime, j.EndTime}
	}
	return rows
}

func viewJobVersions(st *state) [][]sqlval.Value {
	var rows [][]sqlval.Value
	for _, j := range liveJobs(st) {
		for v := range j.Versions {
			rows = append(rows, []sqlval.Value{j.Name, j.ID, int64(v + 1)})
		}
	}
	return rows
}

func viewSteps(st *state, all bool) [][]sqlval.Value {
	jobs := liveJobs(st)
	rows := make([][]sqlval.Value, 0, 3*len(jobs))
	// Values are boxed once per distinct group so the many rows that share them do not allocate.
	groupNames := map[sqlval.UUID]sqlval.Value{}
	for _, j := range jobs {
		var jobName, jobID sqlval.Value = j.Name, j.ID
		first := len(j.Versions) - 1
		if all {
			first = 0
		}
		for v := max(first, 0); v < len(j.Versions); v++ {
			ver := boxInt(int64(v + 1))
			for i, s := range j.Versions[v].Steps {
				gn, ok := groupNames[s.TargetGroupID]
				if !ok {
					if g := st.group(s.TargetGroupID); g != nil {
						gn = g.Name
					}
					groupNames[s.TargetGroupID] = gn
				}
				if s.row == nil {
					c := *s
					s = c.seal()
				}
				row := make([]sqlval.Value, 4+len(s.row))
				row[0], row[1], row[2], row[3] = jobName, jobID, ver, boxInt(int64(i+1))
				copy(row[4:], s.row)
				row[9] = gn
				rows = append(rows, row)
			}
		}
	}
	return rows
}

func viewTargetGroups(st *state) [][]sqlval.Value {
	groups := liveGroups(st)
	rows := make([][]sqlval.Value, len(groups))
	for i, g := range groups {
		rows[i] = []sqlval.Value{g.Name, g.ID}
	}
	return rows
}

func viewTargetGroupMembers(st *state) [][]sqlval.Value {
	var rows [][]sqlval.Value
	for _, g := range liveGroups(st) {
		for _, m := range g.Members {
			t, _ := st.Targets.get(m.TargetID)
			if t == nil {
				continue
			}
			mt := "Exclude"
			if m.Include {
				mt = "Include"
			}
			rows = append(rows, []sqlval.Value{g.Name, g.ID, mt, t.Type, t.ID, nstr(t.RefreshCredential),
				nuuid(t.SubscriptionID), nstr(t.ResourceGroup), nstr(t.Server), nstr(t.Database),
				nstr(t.ElasticPool), nstr(t.ShardMap)})
		}
	}
	return rows
}

// viewJobExecutions shows the execution rows of live jobs [I].
func viewJobExecutions(st *state) [][]sqlval.Value {
	execs := make([]*Execution, 0, st.Execs.len())
	st.Execs.each(func(_ int64, e *Execution) bool {
		if j := st.job(e.JobID); j != nil && j.DeletedAt == nil {
			execs = append(execs, e)
		}
		return true
	})
	sort.Slice(execs, func(a, b int) bool { return execs[a].Key < execs[b].Key })
	rows := make([][]sqlval.Value, len(execs))
	for i, e := range execs {
		var stepID sqlval.Value
		if e.StepID != 0 {
			stepID = e.StepID
		}
		rows[i] = []sqlval.Value{e.ExecutionID, st.job(e.JobID).Name, e.JobID, e.JobVersion, zstr(e.StepName),
			stepID, IsActive(e.Lifecycle), e.Lifecycle, e.CreateTime, ztime(e.StartTime), ztime(e.EndTime),
			e.CurrentAttempts, ztime(e.CurrentAttemptStartTime), ztime(e.NextAttemptStartTime),
			zstr(e.LastMessage), zstr(e.TargetType), zuuid(e.TargetID), zstr(e.TargetGroupName),
			zstr(e.TargetServer), zstr(e.TargetDatabase), zuuid(e.TargetSubscription),
			zstr(e.TargetResourceGroup), zstr(e.TargetElasticPool)}
	}
	return rows
}

// viewCredentials never shows a secret: the view has no column for it [D].
func viewCredentials(st *state) [][]sqlval.Value {
	creds := make([]*credential, 0, len(st.Credentials))
	for _, c := range st.Credentials {
		creds = append(creds, c)
	}
	sort.Slice(creds, func(a, b int) bool { return creds[a].ID < creds[b].ID })
	rows := make([][]sqlval.Value, len(creds))
	for i, c := range creds {
		rows[i] = []sqlval.Value{c.Name, c.ID, int64(1), c.Identity, datetime(c.Created), datetime(c.Modified), nil, int64(0)}
	}
	return rows
}

func viewSymmetricKeys(st *state) [][]sqlval.Value {
	if st.MasterKey == nil {
		return [][]sqlval.Value{}
	}
	t := datetime(st.MasterKey.Created)
	return [][]sqlval.Value{{"##MS_DatabaseMasterKey##", int64(1), int64(101), int64(256), "A3", "AES_256", t, t}}
}

func viewSchemas(st *state) [][]sqlval.Value {
	rows := make([][]sqlval.Value, 0, len(builtinSchemas)+len(st.Schemas))
	for i, n := range builtinSchemas {
		rows = append(rows, []sqlval.Value{n, int64(i + 1), int64(1)})
	}
	user := make([]*schemaDef, 0, len(st.Schemas))
	for _, sc := range st.Schemas {
		user = append(user, sc)
	}
	sort.Slice(user, func(a, b int) bool { return user[a].ID < user[b].ID })
	for _, sc := range user {
		rows = append(rows, []sqlval.Value{sc.Name, sc.ID, int64(1)})
	}
	return rows
}

func schemaID(st *state, name string) int64 {
	for i, n := range builtinSchemas {
		if fold(n) == fold(name) {
			return int64(i + 1)
		}
	}
	if sc := st.Schemas[fold(name)]; sc != nil {
		return sc.ID
	}
	return 0
}

func viewTables(st *state) [][]sqlval.Value {
	ts := make([]*table, 0, len(st.Tables))
	for _, t := range st.Tables {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(a, b int) bool { return ts[a].ID < ts[b].ID })
	rows := make([][]sqlval.Value, len(ts))
	for i, t := range ts {
		c := datetime(t.Created)
		rows[i] = []sqlval.Value{t.Name, 1000000 + t.ID, schemaID(st, t.Schema), "U", "USER_TABLE", c, c}
	}
	return rows
}

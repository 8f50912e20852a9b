package jobstore

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// CallResult is what a procedure call returns.
type CallResult struct {
	ReturnStatus int32
	Outputs      map[string]sqlval.Value // OUTPUT arguments by parameter name, lower case, without @
	Sets         []sqlval.ResultSet      // result sets the procedure returns (none for most)
	Messages     []*sqlval.Error         // informational messages (PRINT, severity ≤ 10), in order
}

var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	// The default end of a schedule is 9999-12-31 11:59:59 (AM) [D][S].
	maxSchedule = time.Date(9999, 12, 31, 11, 59, 59, 0, time.UTC)
)

// procs are the procedures of the job database, by lower-case name with schema.
//
// [D] Parameters whose page gives a default of NULL are optional: sp_delete_job @job_name
// ("jobs.sp_delete_job (Azure Elastic Jobs) (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-delete-job-elastic-jobs-transact-sql),
// sp_stop_job @job_execution_id ("jobs.sp_stop_job (Azure Elastic Jobs) (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-stop-job-elastic-jobs-transact-sql)
// and sp_delete_target_group_member @target_id ("jobs.sp_delete_target_group_member (Azure
// Elastic Jobs) (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-delete-target-group-member-elastic-jobs-transact-sql).
// [I] The pages do not say what a NULL does: omitted, each behaves as an explicit NULL and fails
// with the procedure's own error (job not found; Msg 515 inserting the cancellation; member not
// found), not with Msg 201 for a missing argument.
var procs = map[string]*procDef{}

func init() {
	for _, pd := range []*procDef{
		{name: "jobs.sp_add_job", short: "sp_add_job", writes: true, run: spAddJob, params: []ParamInfo{
			req("job_name", tName), p("description", tNV512, ""), p("enabled", tBit, false),
			p("schedule_interval_type", tNV50, "Once"), p("schedule_interval_count", tInt, int64(1)),
			p("schedule_start_time", tDT2, minTime), p("schedule_end_time", tDT2, maxSchedule),
			out("job_id", tGUID),
		}},
		{name: "jobs.sp_update_job", short: "sp_update_job", writes: true, run: spUpdateJob, params: []ParamInfo{
			req("job_name", tName), p("new_name", tName, nil), p("description", tNV512, nil), p("enabled", tBit, nil),
			p("schedule_interval_type", tNV50, nil), p("schedule_interval_count", tInt, nil),
			p("schedule_start_time", tDT2, nil), p("schedule_end_time", tDT2, nil),
		}},
		{name: "jobs.sp_delete_job", short: "sp_delete_job", writes: true, run: spDeleteJob, params: []ParamInfo{
			p("job_name", tName, nil), p("force", tBit, false),
		}},
		{name: "jobs.sp_add_jobstep", short: "sp_add_jobstep", writes: true, run: spAddJobStep, params: []ParamInfo{
			req("job_name", tName), out("step_id", tInt), p("step_name", tName, nil),
			p("command_type", tNV50, "TSql"), p("command_source", tNV50, "Inline"), p("command", tNMax, nil),
			p("credential_name", tName, nil), req("target_group_name", tName),
			p("initial_retry_interval_seconds", tInt, int64(1)), p("maximum_retry_interval_seconds", tInt, int64(120)),
			p("retry_interval_backoff_multiplier", tReal, 2.0), p("retry_attempts", tInt, int64(10)),
			p("step_timeout_seconds", tInt, int64(43200)), p("output_type", tNV50, nil),
			p("output_credential_name", tName, nil), p("output_subscription_id", tGUID, nil),
			p("output_resource_group_name", tName, nil), p("output_server_name", nvarchar(256), nil),
			p("output_database_name", tName, nil), p("output_schema_name", tName, nil),
			p("output_table_name", tName, nil), out("job_version", tInt), p("max_parallelism", tInt, nil),
		}},
		{name: "jobs.sp_update_jobstep", short: "sp_update_jobstep", writes: true, run: spUpdateJobStep, params: []ParamInfo{
			req("job_name", tName), p("step_id", tInt, nil), p("step_name", tName, nil), p("new_id", tInt, nil),
			p("new_name", tName, nil), p("command_type", tNV50, nil), p("command_source", tNV50, nil),
			p("command", tNMax, nil), p("credential_name", tName, nil), p("target_group_name", tName, nil),
			p("initial_retry_interval_seconds", tInt, nil), p("maximum_retry_interval_seconds", tInt, nil),
			p("retry_interval_backoff_multiplier", tReal, nil), p("retry_attempts", tInt, nil),
			p("step_timeout_seconds", tInt, nil), p("output_type", tNV50, nil),
			p("output_credential_name", tName, nil), p("output_subscription_id", tGUID, nil),
			p("output_resource_group_name", tName, nil), p("output_server_name", nvarchar(256), nil),
			p("output_database_name", tName, nil), p("output_schema_name", tName, nil),
			p("output_table_name", tName, nil), out("job_version", tInt), p("max_parallelism", tInt, nil),
		}},
		{name: "jobs.sp_delete_jobstep", short: "sp_delete_jobstep", writes: true, run: spDeleteJobStep, params: []ParamInfo{
			// @step_name is nvarchar(120) in the [S] procedure: longer names are truncated and not found.
			req("job_name", tName), p("step_id", tInt, nil), p("step_name", nvarchar(120), nil), out("job_version", tInt),
		}},
		{name: "jobs.sp_start_job", short: "sp_start_job", writes: true, run: spStartJob, params: []ParamInfo{
			req("job_name", tName), out("job_execution_id", tGUID),
		}},
		{name: "jobs.sp_stop_job", short: "sp_stop_job", writes: true, run: spStopJob, params: []ParamInfo{
			p("job_execution_id", tGUID, nil),
		}},
		{name: "jobs.sp_add_target_group", short: "sp_add_target_group", writes: true, run: spAddTargetGroup, params: []ParamInfo{
			req("target_group_name", tName), out("target_group_id", tGUID),
		}},
		{name: "jobs.sp_delete_target_group", short: "sp_delete_target_group", writes: true, run: spDeleteTargetGroup, params: []ParamInfo{
			req("target_group_name", tName), p("force", tBit, false),
		}},
		{name: "jobs.sp_add_target_group_member", short: "sp_add_target_group_member", writes: true, run: spAddTargetGroupMember, params: []ParamInfo{
			req("target_group_name", tName), p("membership_type", tName, "Include"), req("target_type", tName),
			p("refresh_credential_name", tName, nil), p("server_name", tName, nil), p("database_name", tName, nil),
			p("elastic_pool_name", tName, nil), out("target_id", tGUID),
		}},
		{name: "jobs.sp_delete_target_group_member", short: "sp_delete_target_group_member", writes: true, run: spDeleteTargetGroupMember, params: []ParamInfo{
			req("target_group_name", tName), p("target_id", tGUID, nil),
		}},
		{name: "jobs.sp_purge_jobhistory", short: "sp_purge_jobhistory", writes: true, run: spPurgeJobHistory, params: []ParamInfo{
			p("job_name", tName, nil), p("job_id", tGUID, nil), p("oldest_date", tDT2, nil),
		}},
		{name: "sys.sp_getapplock", short: "sp_getapplock", run: spGetAppLock, params: []ParamInfo{
			p("Resource", nvarchar(255), nil), req("LockMode", nvarchar(32)), p("LockOwner", nvarchar(32), "Transaction"),
			p("LockTimeout", tInt, nil), p("DbPrincipal", tName, "public"),
		}},
		{name: "sys.sp_releaseapplock", short: "sp_releaseapplock", run: spReleaseAppLock, params: []ParamInfo{
			p("Resource", nvarchar(255), nil), p("LockOwner", nvarchar(32), "Transaction"), p("DbPrincipal", tName, "public"),
		}},
	} {
		procs[pd.name] = pd
	}
}

// lookupProc resolves a procedure name; system procedures resolve with or without sys./dbo.
func lookupProc(name string) *procDef {
	n := strings.ToLower(strings.TrimSpace(name))
	if pd := procs[n]; pd != nil {
		return pd
	}
	short := n
	if i := strings.IndexByte(n, '.'); i >= 0 {
		if sch := n[:i]; sch != "sys" && sch != "dbo" {
			return nil
		}
		short = n[i+1:]
	}
	if strings.HasPrefix(short, "sp_") {
		if pd := procs["sys."+short]; pd != nil {
			return pd
		}
	}
	return nil
}

// Params returns the formal parameters of a procedure, or false if it does not exist.
func Params(proc string) ([]ParamInfo, bool) {
	pd := lookupProc(proc)
	if pd == nil {
		return nil, false
	}
	return append([]ParamInfo(nil), pd.params...), true
}

// HasProc reports whether proc exists.
func (s *Session) HasProc(proc string) bool { return lookupProc(proc) != nil }

// Call runs a procedure. Every jobs.sp_* call is atomic; when one fails inside the caller's
// transaction, that transaction is rolled back (RolledBack reports it), as the real procedures'
// XACT_ABORT transactions do [S]. Binding errors (201, 8144, 8145, 8162, 8114 …) leave the
// transaction alone. For the applock procedures a non-nil error comes with ReturnStatus -999.
func (s *Session) Call(ctx context.Context, proc string, args []Arg) (CallResult, *sqlval.Error) {
	s.rolledBack = false
	if ctx == nil {
		ctx = context.Background()
	}
	pd := lookupProc(proc)
	if pd == nil {
		e := sqlval.Errorf(2812, "Could not find stored procedure '%s'.", proc)
		e.State = 62
		return CallResult{}, e
	}
	s.db.countCall(pd.name)
	c, err := bind(pd, args)
	if err != nil {
		return CallResult{}, err
	}
	c.now = s.db.now().UTC().Truncate(100 * time.Nanosecond)
	c.database = s.db.dbName
	if pd.writes {
		err = s.write(ctx, true, func(w *state) *sqlval.Error {
			return pd.run(s, w, c)
		})
	} else {
		c.ctx = ctx
		err = pd.run(s, nil, c)
	}
	if err != nil {
		if err.Proc == "" {
			err.Proc = pd.short
		}
		if pd.writes {
			return CallResult{Messages: c.result.Messages}, err
		}
	}
	res := c.result
	for i, fp := range pd.params {
		if c.out[i] && fp.Output {
			if res.Outputs == nil {
				res.Outputs = map[string]sqlval.Value{}
			}
			res.Outputs[strings.ToLower(fp.Name)] = c.vals[i]
		}
	}
	return res, err
}

func throw(format string, args ...any) *sqlval.Error {
	return sqlval.Errorf(50000, format, args...)
}

func (c *call) nullErr(column, table, stmt string) *sqlval.Error {
	e := sqlval.Errorf(515, "Cannot insert the value NULL into column '%s', table '%s.%s'; column does not allow nulls. %s fails.", column, c.database, table, stmt)
	e.State = 2
	return e
}

func (c *call) checkErr(stmt, constraint, table, column string) *sqlval.Error {
	msg := fmt.Sprintf("The %s statement conflicted with the CHECK constraint \"%s\". The conflict occurred in database \"%s\", table \"%s\"", stmt, constraint, c.database, table)
	if column != "" {
		msg += fmt.Sprintf(", column '%s'", column)
	}
	return sqlval.Errorf(547, "%s.", msg)
}

func (c *call) info(format string, args ...any) {
	e := sqlval.Errorf(0, format, args...)
	e.Class = 0
	e.Proc = c.proc.short
	c.result.Messages = append(c.result.Messages, e)
}

// lockJob finds a live job by name, as jobs_internal.sp_lock_job does [S].
func lockJob(w *state, name *string) (*job, *sqlval.Error) {
	if name != nil {
		if j := w.liveJob(*name); j != nil {
			return j, nil
		}
	}
	return nil, throw("Job '%s' was not found", deref(name))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// putJob stores a changed copy of a job.
func putJob(w *state, j *job) { w.Jobs.put(j.ID, j) }

var intervalTypes = []string{"Once", "Minutes", "Hours", "Days", "Weeks", "Months"}

func oneOf(v string, set []string) bool {
	for _, x := range set {
		if fold(v) == fold(x) {
			return true
		}
	}
	return false
}

// checkSchedule applies the NOT NULL and CHECK constraints of jobs_internal.jobs [S].
func (c *call) checkSchedule(j *job, stmt string, nulls map[string]bool) *sqlval.Error {
	const tbl = "jobs_internal.jobs"
	for _, col := range []string{"description", "enabled", "schedule_interval_type", "schedule_interval_count", "schedule_start_time", "schedule_end_time"} {
		if nulls[col] {
			return c.nullErr(col, tbl, stmt)
		}
	}
	if !oneOf(j.IntervalType, intervalTypes) {
		return c.checkErr(stmt, "CK_job_schedule_interval_type", tbl, "schedule_interval_type")
	}
	if j.IntervalCount <= 0 {
		return c.checkErr(stmt, "CK_job_schedule_interval_count", tbl, "schedule_interval_count")
	}
	if j.StartTime.After(j.EndTime) {
		return c.checkErr(stmt, "CK_job_schedule_start_time_end_time_ordered", tbl, "")
	}
	return nil
}

// checkJobName refuses a job name with the percent character: [D] "The name must be unique and
// cannot contain the percent (%) character." ("jobs.sp_add_job (Azure Elastic Jobs)
// (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-job-elastic-jobs-transact-sql).
// [I] sp_update_job applies the rule to @new_name, and the check comes before the schedule's.
// [U] The page gives no error: the number and text are a guess in the style of the procedures'
// other THROW 50000 errors.
func checkJobName(name string) *sqlval.Error {
	if strings.ContainsRune(name, '%') {
		return throw("The job name '%s' is not valid: a job name cannot contain the percent (%%) character.", name)
	}
	return nil
}

// dupJobName is the unique index violation on jobs_internal.jobs(name, delete_requested_time,
// is_system) [S][E]; the index name is [U].
func dupJobName(name string) *sqlval.Error {
	return sqlval.Errorf(2601, "Cannot insert duplicate key row in object 'jobs_internal.jobs' with unique index 'IX_jobs_name_delete_requested_time_is_system'. The duplicate key value is (%s, <NULL>, 0).", name)
}

// setOrNull stores *v in dst, or records column col as NULL when v is nil.
func setOrNull[T any](dst *T, v *T, nulls map[string]bool, col string) {
	if v == nil {
		nulls[col] = true
		return
	}
	*dst = *v
}

func spAddJob(s *Session, w *state, c *call) *sqlval.Error {
	name := c.str("job_name")
	if name == nil {
		return c.nullErr("name", "jobs_internal.jobs", "INSERT")
	}
	if err := checkJobName(*name); err != nil {
		return err
	}
	j := &job{ID: sqlval.NewUUID(), Name: *name}
	nulls := map[string]bool{}
	setOrNull(&j.Description, c.str("description"), nulls, "description")
	setOrNull(&j.Enabled, c.bit("enabled"), nulls, "enabled")
	setOrNull(&j.IntervalType, c.str("schedule_interval_type"), nulls, "schedule_interval_type")
	setOrNull(&j.IntervalCount, c.int("schedule_interval_count"), nulls, "schedule_interval_count")
	setOrNull(&j.StartTime, c.time("schedule_start_time"), nulls, "schedule_start_time")
	setOrNull(&j.EndTime, c.time("schedule_end_time"), nulls, "schedule_end_time")
	if err := c.checkSchedule(j, "INSERT", nulls); err != nil {
		return err
	}
	if w.liveJob(j.Name) != nil {
		return dupJobName(j.Name)
	}
	j.Seq = w.nextSeq()
	putJob(w, j)
	w.jobByName.put(fold(j.Name), j.ID)
	c.setOut("job_id", j.ID)
	return nil
}

func spUpdateJob(s *Session, w *state, c *call) *sqlval.Error {
	old, err := lockJob(w, c.str("job_name"))
	if err != nil {
		return err
	}
	j := *old
	if v := c.str("new_name"); v != nil {
		if err := checkJobName(*v); err != nil {
			return err
		}
		j.Name = *v
	}
	if v := c.str("description"); v != nil {
		j.Description = *v
	}
	if v := c.bit("enabled"); v != nil {
		j.Enabled = *v
	}
	if v := c.str("schedule_interval_type"); v != nil {
		j.IntervalType = *v
	}
	if v := c.int("schedule_interval_count"); v != nil {
		j.IntervalCount = *v
	}
	if v := c.time("schedule_start_time"); v != nil {
		j.StartTime = *v
	}
	if v := c.time("schedule_end_time"); v != nil {
		j.EndTime = *v
	}
	if err := c.checkSchedule(&j, "UPDATE", nil); err != nil {
		return err
	}
	if fold(j.Name) != fold(old.Name) {
		if w.liveJob(j.Name) != nil {
			return dupJobName(j.Name)
		}
		w.jobByName.del(fold(old.Name))
		w.jobByName.put(fold(j.Name), j.ID)
	}
	putJob(w, &j)
	return nil
}

// activeRoots returns the active root executions of a job, oldest first.
func activeRoots(w *state, jobID sqlval.UUID) []*Execution {
	var out []*Execution
	w.Execs.each(func(_ int64, e *Execution) bool {
		if e.JobID == jobID && e.Parent == 0 && IsActive(e.Lifecycle) {
			out = append(out, e)
		}
		return true
	})
	sort.Slice(out, func(a, b int) bool { return out[a].Key < out[b].Key })
	return out
}

func spDeleteJob(s *Session, w *state, c *call) *sqlval.Error {
	old, err := lockJob(w, c.str("job_name"))
	if err != nil {
		return err
	}
	active := activeRoots(w, old.ID)
	if len(active) > 0 {
		if f := c.bit("force"); f == nil || !*f {
			return throw("The job could not be deleted because there are active job executions. In order to force deletion of this job and cancel its active executions, specify `@force=1`.")
		}
		for _, e := range active {
			w.Cancels.put(e.ExecutionID, c.now)
			c.info("Cancelled job execution with id %s", e.ExecutionID)
		}
	}
	j := *old
	t := c.now
	j.DeletedAt = &t
	putJob(w, &j)
	w.jobByName.del(fold(j.Name))
	return nil
}

// checkStep applies the CHECK constraints on jobstep_data [S].
func (c *call) checkStep(st *step, stmt string) *sqlval.Error {
	const tbl = "jobs_internal.jobstep_data"
	if sqlval.CharLen(st.Command)*2 > 2*1024*1024 {
		return c.checkErr("INSERT", "CK_command_data_text_length", "jobs_internal.command_data", "text")
	}
	// Seconds are stored as milliseconds in an int column [S].
	for _, v := range []*int64{st.InitialRetrySeconds, st.MaximumRetrySeconds, st.TimeoutSeconds} {
		if v != nil && (*v*1000 > 2147483647 || *v*1000 < -2147483648) {
			return overflow(tInt)
		}
	}
	if !oneOf(st.CommandType, []string{"TSql", "Dacpac", "TelemetryCollection", "Cleanup"}) {
		return c.checkErr(stmt, "CK_jobstep_data_command_type", tbl, "command_type")
	}
	if st.InitialRetrySeconds != nil && *st.InitialRetrySeconds < 0 {
		return c.checkErr(stmt, "CK_jobstep_data_initial_retry_interval", tbl, "initial_retry_interval")
	}
	if st.InitialRetrySeconds != nil && st.MaximumRetrySeconds != nil && *st.InitialRetrySeconds > *st.MaximumRetrySeconds {
		return c.checkErr(stmt, "CK_jobstep_data_retry_interval_ordered", tbl, "")
	}
	if st.RetryAttempts < 0 {
		return c.checkErr(stmt, "CK_jobstep_data_retry_attempts", tbl, "retry_attempts")
	}
	if st.BackoffMultiplier < 1 {
		return c.checkErr(stmt, "CK_jobstep_data_retry_interval_backoff_multiplier", tbl, "retry_interval_backoff_multiplier")
	}
	if st.TimeoutSeconds != nil && *st.TimeoutSeconds <= 0 {
		return c.checkErr(stmt, "CK_jobstep_data_step_timeout", tbl, "step_timeout")
	}
	// Output all-or-nothing [S]; the credential part is relaxed for GA (Entra UMI) [I].
	nonEmpty := func(p *string) bool { return p != nil && *p != "" }
	if st.OutputType == nil {
		if st.OutputCredential != nil || st.OutputServer != nil || st.OutputDatabase != nil || st.OutputSchema != nil || st.OutputTable != nil {
			return c.checkErr(stmt, "CK_jobstep_data_result_set_destination", tbl, "")
		}
	} else if !nonEmpty(st.OutputServer) || !nonEmpty(st.OutputDatabase) || !nonEmpty(st.OutputSchema) || !nonEmpty(st.OutputTable) {
		return c.checkErr(stmt, "CK_jobstep_data_result_set_destination", tbl, "")
	}
	return nil
}

func credentialExists(w *state, name *string) bool {
	if name == nil {
		return true
	}
	_, ok := w.Credentials[fold(*name)]
	return ok
}

func credErr(name string) *sqlval.Error {
	return throw("Cannot reference the credential '%s', because it does not exist or you do not have permission.", name)
}

// stepData validates the data of a step as jobs_internal.sp_add_jobstep_data does [S]: command
// source, output type, target group, credentials, then the table constraints.
func (c *call) stepData(w *state, st *step, tgName *string, required bool) *sqlval.Error {
	if st.CommandSource != nil && fold(*st.CommandSource) != "inline" {
		return throw("Invalid value for @command_source: '%s'", *st.CommandSource)
	}
	if st.OutputType != nil && fold(*st.OutputType) != "sqldatabase" {
		return throw("Invalid value for @output_type: '%s'. Only NULL or 'SqlDatabase' are supported.", *st.OutputType)
	}
	if tgName != nil {
		g := w.liveGroup(*tgName)
		if g == nil {
			return throw("Target Group '%s' not found", *tgName)
		}
		st.TargetGroupID = g.ID
	} else if required {
		return throw("Target Group '' not found")
	}
	if !credentialExists(w, st.CredentialName) {
		return credErr(*st.CredentialName)
	}
	if !credentialExists(w, st.OutputCredential) {
		return credErr(*st.OutputCredential)
	}
	return nil
}

// newVersion appends a version with the given step list to a copy of j.
func newVersion(w *state, old *job, steps []*step) *job {
	j := *old
	j.Versions = append(append(make([]*jobVersion, 0, len(old.Versions)+1), old.Versions...), &jobVersion{Steps: steps})
	putJob(w, &j)
	return &j
}

func findStepByName(steps []*step, name string) int {
	for i, st := range steps {
		if fold(st.Name) == fold(name) {
			return i
		}
	}
	return -1
}

func dupStep(name string, id int, jobName string) *sqlval.Error {
	return throw("A step with name '%s' (step id '%d') already exists for the job '%s'.", name, id, jobName)
}

func spAddJobStep(s *Session, w *state, c *call) *sqlval.Error {
	j, err := lockJob(w, c.str("job_name"))
	if err != nil {
		return err
	}
	steps := j.steps()
	max := int64(len(steps) + 1)
	pos := max
	if v := c.int("step_id"); v != nil {
		if *v < 1 || *v > max {
			return throw("Invalid value for @step_id: '%d'. @step_id must be greater than or equal to 1 and less than or equal to '%d'.", *v, max)
		}
		pos = *v
	}
	name := c.str("step_name")
	if name == nil {
		// The [S] procedure checks the position, not whether the job has steps.
		if pos != 1 {
			return throw("@step_name may only be NULL for the first job step.")
		}
		name = strp("JobStep")
	}
	if mp := c.int("max_parallelism"); mp != nil && *mp < 1 {
		return throw("Invalid value for @max_parallelism: '%d'. @max_parallelism must be NULL or greater than or equal to 1.", *mp)
	}
	if i := findStepByName(steps, *name); i >= 0 {
		return dupStep(*name, i+1, j.Name)
	}
	st := &step{
		Name:                 *name,
		CommandSource:        c.str("command_source"),
		CredentialName:       c.str("credential_name"),
		InitialRetrySeconds:  c.int("initial_retry_interval_seconds"),
		MaximumRetrySeconds:  c.int("maximum_retry_interval_seconds"),
		TimeoutSeconds:       c.int("step_timeout_seconds"),
		OutputType:           c.str("output_type"),
		OutputCredential:     c.str("output_credential_name"),
		OutputSubscriptionID: c.guid("output_subscription_id"),
		OutputResourceGroup:  c.str("output_resource_group_name"),
		OutputServer:         c.str("output_server_name"),
		OutputDatabase:       c.str("output_database_name"),
		OutputSchema:         c.str("output_schema_name"),
		OutputTable:          c.str("output_table_name"),
		MaxParallelism:       c.int("max_parallelism"),
	}
	if st.OutputType != nil && st.OutputSchema == nil {
		st.OutputSchema = strp("dbo")
	}
	if err := c.stepData(w, st, c.str("target_group_name"), true); err != nil {
		return err
	}
	if err := c.stepNotNull(st); err != nil {
		return err
	}
	ns := make([]*step, 0, len(steps)+1)
	ns = append(ns, steps[:pos-1]...)
	ns = append(ns, st.seal())
	ns = append(ns, steps[pos-1:]...)
	nj := newVersion(w, j, ns)
	c.setOut("step_id", pos)
	c.setOut("job_version", nj.version())
	return nil
}

// stepNotNull fills the NOT NULL columns of a new step from the call, or fails with 515.
func (c *call) stepNotNull(st *step) *sqlval.Error {
	cmd := c.str("command")
	if cmd == nil {
		return c.nullErr("text", "jobs_internal.command_data", "INSERT")
	}
	st.Command = *cmd
	ct := c.str("command_type")
	if ct == nil {
		return c.nullErr("command_type", "jobs_internal.jobstep_data", "INSERT")
	}
	st.CommandType = *ct
	ra := c.int("retry_attempts")
	if ra == nil {
		return c.nullErr("retry_attempts", "jobs_internal.jobstep_data", "INSERT")
	}
	st.RetryAttempts = *ra
	bm := c.real("retry_interval_backoff_multiplier")
	if bm == nil {
		return c.nullErr("retry_interval_backoff_multiplier", "jobs_internal.jobstep_data", "INSERT")
	}
	st.BackoffMultiplier = *bm
	return c.checkStep(st, "INSERT")
}

// findStep resolves @step_id / @step_name of sp_update_jobstep and sp_delete_jobstep [S].
func (c *call) findStep(steps []*step) (int, *sqlval.Error) {
	id, name := c.int("step_id"), c.str("step_name")
	switch {
	case id != nil && name != nil:
		return 0, throw("@step_id and @step_name cannot both be specified.")
	case id == nil && name == nil:
		return 0, throw("@step_id or @step_name (but not both) must be specified.")
	case name != nil:
		i := findStepByName(steps, *name)
		if i < 0 {
			return 0, throw("Step name '%s' was not found", *name)
		}
		return i, nil
	}
	if *id < 1 || *id > int64(len(steps)) {
		return 0, throw("Step '%d' was not found", *id)
	}
	return int(*id - 1), nil
}

// clearable applies the output-field rule of sp_update_jobstep: NULL keeps, an empty string clears [D][S].
func clearable(cur *string, arg *string) *string {
	if arg == nil {
		return cur
	}
	if *arg == "" {
		return nil
	}
	return arg
}

// lockStep locks the job named by @job_name and finds the step named by @step_id or @step_name
// in its current version.
func (c *call) lockStep(w *state) (*job, []*step, int, *sqlval.Error) {
	j, err := lockJob(w, c.str("job_name"))
	if err != nil {
		return nil, nil, 0, err
	}
	steps := j.steps()
	i, err := c.findStep(steps)
	return j, steps, i, err
}

func spUpdateJobStep(s *Session, w *state, c *call) *sqlval.Error {
	j, steps, i, err := c.lockStep(w)
	if err != nil {
		return err
	}
	pos := i
	if v := c.int("new_id"); v != nil {
		if *v < 1 || *v > int64(len(steps)) {
			return throw("Invalid value for @new_id: '%d'. @new_id must be greater than or equal to 1 and less than or equal to '%d'.", *v, len(steps))
		}
		pos = int(*v - 1)
	}
	old := steps[i]
	st := *old
	if v := c.str("new_name"); v != nil {
		// Any step of the previous version, the updated one included, blocks the name [S].
		if k := findStepByName(steps, *v); k >= 0 {
			return dupStep(*v, k+1, j.Name)
		}
		st.Name = *v
	}
	if mp := c.int("max_parallelism"); mp != nil {
		switch {
		case *mp == -1:
			st.MaxParallelism = nil
		case *mp >= 1:
			st.MaxParallelism = mp
		default:
			return throw("Invalid value for @max_parallelism: '%d'. @max_parallelism must be NULL (indicating no change), -1 (meaning that it will be set to NULL), or greater than or equal to 1.", *mp)
		}
	}
	if v := c.str("command_type"); v != nil {
		st.CommandType = *v
	}
	if v := c.str("command_source"); v != nil {
		st.CommandSource = v
	}
	if v := c.str("command"); v != nil {
		st.Command = *v
	}
	if v := c.str("credential_name"); v != nil {
		st.CredentialName = v
	}
	if v := c.int("initial_retry_interval_seconds"); v != nil {
		st.InitialRetrySeconds = v
	}
	if v := c.int("maximum_retry_interval_seconds"); v != nil {
		st.MaximumRetrySeconds = v
	}
	if v := c.real("retry_interval_backoff_multiplier"); v != nil {
		st.BackoffMultiplier = *v
	}
	if v := c.int("retry_attempts"); v != nil {
		st.RetryAttempts = *v
	}
	if v := c.int("step_timeout_seconds"); v != nil {
		st.TimeoutSeconds = v
	}
	st.OutputType = clearable(st.OutputType, c.str("output_type"))
	st.OutputCredential = clearable(st.OutputCredential, c.str("output_credential_name"))
	st.OutputResourceGroup = clearable(st.OutputResourceGroup, c.str("output_resource_group_name"))
	st.OutputServer = clearable(st.OutputServer, c.str("output_server_name"))
	st.OutputDatabase = clearable(st.OutputDatabase, c.str("output_database_name"))
	st.OutputSchema = clearable(st.OutputSchema, c.str("output_schema_name"))
	st.OutputTable = clearable(st.OutputTable, c.str("output_table_name"))
	if v := c.guid("output_subscription_id"); v != nil {
		if *v == (sqlval.UUID{}) {
			st.OutputSubscriptionID = nil
		} else {
			st.OutputSubscriptionID = v
		}
	}
	if st.OutputType == nil {
		st.OutputSchema = nil
	} else if st.OutputSchema == nil {
		st.OutputSchema = strp("dbo")
	}
	if err := c.stepData(w, &st, c.str("target_group_name"), false); err != nil {
		return err
	}
	if err := c.checkStep(&st, "UPDATE"); err != nil {
		return err
	}
	rest := make([]*step, 0, len(steps))
	rest = append(rest, steps[:i]...)
	rest = append(rest, steps[i+1:]...)
	ns := make([]*step, 0, len(steps))
	ns = append(ns, rest[:pos]...)
	ns = append(ns, st.seal())
	ns = append(ns, rest[pos:]...)
	nj := newVersion(w, j, ns)
	c.setOut("job_version", nj.version())
	return nil
}

func spDeleteJobStep(s *Session, w *state, c *call) *sqlval.Error {
	j, steps, i, err := c.lockStep(w)
	if err != nil {
		return err
	}
	ns := make([]*step, 0, len(steps))
	ns = append(ns, steps[:i]...)
	ns = append(ns, steps[i+1:]...)
	nj := newVersion(w, j, ns)
	c.setOut("job_version", nj.version())
	return nil
}

func spStartJob(s *Session, w *state, c *call) *sqlval.Error {
	old, err := lockJob(w, c.str("job_name"))
	if err != nil {
		return err
	}
	if len(old.steps()) == 0 {
		return throw("Job '%s' contains no steps.", old.Name)
	}
	id := sqlval.NewUUID()
	if v := c.guid("job_execution_id"); v != nil {
		// The [S] procedure uses a caller-supplied id.
		id = *v
		if _, dup := w.execByID.get(id); dup {
			return throw("Job Execution with id '%s' already exists.", id)
		}
	}
	e := &Execution{
		Key:         w.nextSeq(),
		ExecutionID: id,
		JobID:       old.ID,
		JobVersion:  old.version(),
		Lifecycle:   Created,
		CreateTime:  c.now,
	}
	w.putExec(e)
	j := *old
	j.LastExecution = &id
	putJob(w, &j)
	c.setOut("job_execution_id", id)
	return nil
}

func spStopJob(s *Session, w *state, c *call) *sqlval.Error {
	id := c.guid("job_execution_id")
	found := false
	if id != nil {
		_, found = w.execByID.get(*id)
	}
	if !found {
		if id == nil {
			return c.nullErr("job_execution_id", "jobs_internal.job_cancellations", "INSERT")
		}
		return sqlval.Errorf(547, "The INSERT statement conflicted with the FOREIGN KEY constraint \"FK_job_cancellations_job_executions\". The conflict occurred in database \"%s\", table \"jobs_internal.job_executions\", column 'job_execution_id'.", c.database)
	}
	// Only the request is recorded, once; the agent cancels asynchronously [S].
	if _, ok := w.Cancels.get(*id); !ok {
		w.Cancels.put(*id, c.now)
	}
	return nil
}

func spAddTargetGroup(s *Session, w *state, c *call) *sqlval.Error {
	name := c.str("target_group_name")
	if name == nil {
		return c.nullErr("target_group_name", "jobs_internal.targets", "INSERT")
	}
	if w.liveGroup(*name) != nil {
		return throw("Target group '%s' already exists.", *name)
	}
	g := &targetGroup{ID: sqlval.NewUUID(), Seq: w.nextSeq(), Name: *name}
	w.Groups.put(g.ID, g)
	w.groupByName.put(fold(g.Name), g.ID)
	c.setOut("target_group_id", g.ID)
	return nil
}

func spDeleteTargetGroup(s *Session, w *state, c *call) *sqlval.Error {
	name := c.str("target_group_name")
	var g *targetGroup
	if name != nil {
		g = w.liveGroup(*name)
	}
	if g == nil {
		return throw("The target group '%s' was not found.", deref(name))
	}
	type ref struct {
		job  string
		step string
		id   int
	}
	var refs []ref
	w.Jobs.each(func(_ sqlval.UUID, j *job) bool {
		if j.DeletedAt == nil {
			for i, st := range j.steps() {
				if st.TargetGroupID == g.ID {
					refs = append(refs, ref{j.Name, st.Name, i + 1})
				}
			}
		}
		return true
	})
	if len(refs) > 0 {
		sort.Slice(refs, func(a, b int) bool {
			if refs[a].job != refs[b].job {
				return refs[a].job < refs[b].job
			}
			return refs[a].id < refs[b].id
		})
		return throw("The target group '%s' cannot be deleted because it is referenced by job '%s' step '%s' and %d other job step(s).", g.Name, refs[0].job, refs[0].step, len(refs)-1)
	}
	var active []*Execution
	w.Execs.each(func(_ int64, e *Execution) bool {
		if e.StepID != 0 && IsActive(e.Lifecycle) {
			if st := w.stepOf(e); st != nil && st.TargetGroupID == g.ID {
				active = append(active, e)
			}
		}
		return true
	})
	if len(active) > 0 {
		sort.Slice(active, func(a, b int) bool { return active[a].Key < active[b].Key })
		e := active[0]
		return throw("The target group '%s' cannot be deleted because it is referenced by active job execution '%s' (job '%s' step '%s') and %d other job executions.", g.Name, e.ExecutionID, w.job(e.JobID).Name, e.StepName, len(active)-1)
	}
	ng := *g
	t := c.now
	ng.DeletedAt = &t
	w.Groups.put(ng.ID, &ng)
	w.groupByName.del(fold(ng.Name))
	return nil
}

// stepOf returns the job step an execution row runs, or nil.
func (st *state) stepOf(e *Execution) *step {
	j := st.job(e.JobID)
	if j == nil || e.StepID < 1 || e.JobVersion < 1 || e.JobVersion > j.version() {
		return nil
	}
	steps := j.Versions[e.JobVersion-1].Steps
	if e.StepID > int64(len(steps)) {
		return nil
	}
	return steps[e.StepID-1]
}

// targetTypes are the valid @target_type values: [D] "Valid values for target_type are SqlServer,
// SqlElasticPool, SqlDatabase." ("jobs.sp_add_target_group_member (Azure Elastic Jobs)
// (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-target-group-member-elastic-jobs-transact-sql).
// The page's syntax has no @shard_map_name: shard map targets of the preview are gone, so
// SqlShardMap gets the error of any invalid type and @shard_map_name SQL Server's Msg 8145 for an
// unknown parameter [D][I]. The error texts below still name the shard map name property, as
// the preview's procedures wrote them [S][U].
var targetTypes = []string{"SqlServer", "SqlElasticPool", "SqlDatabase"}

func spAddTargetGroupMember(s *Session, w *state, c *call) *sqlval.Error {
	gname := c.str("target_group_name")
	var g *targetGroup
	if gname != nil {
		g = w.liveGroup(*gname)
	}
	if g == nil {
		return throw("Target group '%s' does not exist.", deref(gname))
	}
	tt := c.str("target_type")
	canon := ""
	if tt != nil {
		for _, x := range targetTypes {
			if fold(x) == fold(*tt) {
				canon = x
			}
		}
	}
	if canon == "" {
		return throw("Target type '%s' is invalid.", deref(tt))
	}
	t := &target{
		Type:              canon,
		Server:            c.str("server_name"),
		Database:          c.str("database_name"),
		ElasticPool:       c.str("elastic_pool_name"),
		RefreshCredential: c.str("refresh_credential_name"),
	}
	set := func(p *string) bool { return p != nil }
	// Required/forbidden matrix [S]; the refresh credential is optional in GA (Entra UMI) [D].
	switch canon {
	case "SqlDatabase":
		if !set(t.Server) || !set(t.Database) {
			return throw("Target type 'SqlDatabase' requires server name and database name properties to be specified.")
		}
		if set(t.RefreshCredential) || set(t.ElasticPool) {
			return throw("Target type 'SqlDatabase' does not support the refresh credential, elastic pool name, or shard map name property.")
		}
	case "SqlServer":
		if !set(t.Server) {
			return throw("Target type 'SqlServer' requires server name and refresh credential name properties to be specified.")
		}
		if set(t.Database) || set(t.ElasticPool) {
			return throw("Target type 'SqlServer' does not support the database name, elastic pool name, or shard map name property.")
		}
	case "SqlElasticPool":
		if !set(t.Server) || !set(t.ElasticPool) {
			return throw("Target type 'SqlElasticPool' requires server name, elastic pool name, and refresh credential name properties to be specified.")
		}
		if set(t.Database) {
			return throw("Target type 'SqlElasticPool' does not support the database name or shard map name property.")
		}
	}
	if !credentialExists(w, t.RefreshCredential) {
		return throw("Cannot reference the credential(s) '%s', because they do not exist or you do not have permission.", *t.RefreshCredential)
	}
	// Targets are immutable and shared: reuse an identical definition [S].
	var found *target
	w.Targets.each(func(_ sqlval.UUID, x *target) bool {
		if x.sameDefinition(t) {
			found = x
			return false
		}
		return true
	})
	if found == nil {
		t.ID = sqlval.NewUUID()
		w.Targets.put(t.ID, t)
		found = t
	}
	for _, m := range g.Members {
		if m.TargetID == found.ID {
			return throw("Target group member '%s' already belongs to '%s'.", found.ID, g.Name)
		}
	}
	mt := c.str("membership_type")
	var include bool
	switch {
	case mt != nil && fold(*mt) == "include":
		include = true
	case mt != nil && fold(*mt) == "exclude":
	default:
		return c.nullErr("include", "jobs_internal.target_group_memberships", "INSERT")
	}
	ng := *g
	ng.Members = append(append(make([]member, 0, len(g.Members)+1), g.Members...), member{TargetID: found.ID, Include: include})
	w.Groups.put(ng.ID, &ng)
	c.setOut("target_id", found.ID)
	return nil
}

func spDeleteTargetGroupMember(s *Session, w *state, c *call) *sqlval.Error {
	gname, tid := c.str("target_group_name"), c.guid("target_id")
	var g *targetGroup
	if gname != nil {
		g = w.liveGroup(*gname)
	}
	if g != nil && tid != nil {
		for i, m := range g.Members {
			if m.TargetID == *tid {
				ng := *g
				ng.Members = append(append(make([]member, 0, len(g.Members)), g.Members[:i]...), g.Members[i+1:]...)
				w.Groups.put(ng.ID, &ng)
				return nil
			}
		}
	}
	tidText := ""
	if tid != nil {
		tidText = tid.String()
	}
	return throw("Target with target_id '%s' was not found as a member of target group '%s'", tidText, deref(gname))
}

func spPurgeJobHistory(s *Session, w *state, c *call) *sqlval.Error {
	name, id := c.str("job_name"), c.guid("job_id")
	switch {
	case name != nil && id != nil:
		return throw("@job_name and @job_id parameters cannot both be specified")
	case name == nil && id == nil:
		return throw("@job_name or @job_id (and not both) must be specified.")
	}
	var j *job
	if name != nil {
		var err *sqlval.Error
		if j, err = lockJob(w, name); err != nil {
			return err
		}
	} else if j = w.job(*id); j == nil {
		return nil
	}
	oldest := c.time("oldest_date")
	var roots []*Execution
	w.Execs.each(func(_ int64, e *Execution) bool {
		if e.JobID == j.ID && e.Parent == 0 {
			roots = append(roots, e)
		}
		return true
	})
	sort.Slice(roots, func(a, b int) bool { return roots[a].Key < roots[b].Key })
	purge := map[int64]bool{}
	for i, e := range roots {
		if IsActive(e.Lifecycle) {
			continue
		}
		// The last execution of a live job drives scheduling and is kept [S].
		if i == len(roots)-1 && j.DeletedAt == nil {
			continue
		}
		if oldest != nil && (e.EndTime.IsZero() || !e.EndTime.Before(*oldest)) {
			continue
		}
		purge[e.Key] = true
	}
	if len(purge) == 0 {
		return nil
	}
	var doomed []int64
	w.Execs.each(func(k int64, e *Execution) bool {
		if purge[rootKey(w, e)] {
			doomed = append(doomed, k)
		}
		return true
	})
	for _, k := range doomed {
		w.delExec(k)
	}
	return nil
}

// rootKey returns the key of the root of e's execution tree.
func rootKey(w *state, e *Execution) int64 {
	for i := 0; e.Parent != 0 && i < 64; i++ {
		p := w.exec(e.Parent)
		if p == nil {
			break
		}
		e = p
	}
	return e.Key
}

package agent

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// Executor runs the T-SQL of steps on the fleet databases that set Database.Execute.
type Executor interface {
	// Run runs the batches one after another in database of server as user, stopping at the
	// first error, and returns the first result set (nil when none).
	Run(ctx context.Context, server, database, user string, batches []string) (*sqlval.ResultSet, *sqlval.Error)
	// Output appends the rows of rs to the output table schema.table of database on server, each
	// with internal_execution_id id, creating the table from rs's columns when it does not exist.
	Output(ctx context.Context, server, database, schema, table string, id sqlval.UUID, rs *sqlval.ResultSet) *sqlval.Error
}

// executeTimeout bounds the wall-clock time of one executed attempt. [I]
const executeTimeout = 30 * time.Second

// execute runs the step's T-SQL on target t, writing its first result set to the step's output
// table, and returns the failure message, or "" when it succeeded. [D] Job steps run their
// command on each target database and a step with an output writes the result set of its command
// to the output table, which the agent creates when it does not exist, with an
// internal_execution_id column ("Create, configure, and manage elastic jobs",
// https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-tsql-create-manage, sections
// "Data collection using built-in parameters" and "Monitor database performance"). [I] The
// command is split into batches on lines that hold only GO, as sqlcmd does; the first result set
// over all batches is the output; an error fails the target with its number and message.
func (a *Agent) execute(ctx context.Context, r *run, t *target) string {
	if a.exec == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, executeTimeout)
	defer cancel()
	s := r.step()
	batches := splitBatches(substitute(s.Command, r, s))
	rs, err := a.exec.Run(ctx, t.server, t.database, a.targetUser(s), batches)
	if err == nil && s.OutputType != "" && rs != nil {
		schema := s.OutputSchema
		if schema == "" {
			schema = "dbo"
		}
		err = a.exec.Output(ctx, s.OutputServer, s.OutputDatabase, schema, s.OutputTable, sqlval.NewUUID(), rs)
	}
	if err == nil {
		return ""
	}
	return fmt.Sprintf("Msg %d, Level %d, State %d, Line %d: %s", err.Number, err.Class, err.State, max(err.Line, 1), err.Message)
}

// targetUser is the database user an attempt of step s connects as: the identity of its
// credential, else the agent's managed identity, else dbo.
func (a *Agent) targetUser(s *stepDef) string {
	if s.Credential != "" {
		if id, _, ok := a.db.Credential(s.Credential); ok {
			return id
		}
	}
	if ix := a.fleet.Load().ix; ix != nil && ix.identity != "" {
		return ix.identity
	}
	return "dbo"
}

// substitute replaces the documented scripting variables of a job step's command ("Create,
// configure, and manage elastic jobs", section "Data collection using built-in parameters"):
// $(job_name), $(job_id), $(job_version), $(step_id), $(step_name), $(job_execution_id),
// $(job_execution_create_time) and $(target_group_name). [I] Each becomes a T-SQL literal (names
// and times a quoted string, ids a quoted uniqueidentifier string, numbers plain), since
// Microsoft's samples use them as expressions (`$(job_execution_id) AS job_execution_id`).
func substitute(cmd string, r *run, s *stepDef) string {
	quote := func(v string) string { return "N'" + strings.ReplaceAll(v, "'", "''") + "'" }
	return strings.NewReplacer(
		"$(job_name)", quote(r.jobName),
		"$(job_id)", quote(r.jobID.String()),
		"$(job_version)", strconv.FormatInt(r.version, 10),
		"$(step_id)", strconv.FormatInt(s.StepID, 10),
		"$(step_name)", quote(s.Name),
		"$(job_execution_id)", quote(r.id.String()),
		"$(job_execution_create_time)", quote(r.created.UTC().Format("2006-01-02T15:04:05.0000000")),
		"$(target_group_name)", quote(s.GroupName),
	).Replace(cmd)
}

// splitBatches splits a script into batches on lines that hold only GO (any case, blanks
// around), dropping empty batches.
func splitBatches(script string) []string {
	var out []string
	var cur []string
	flush := func() {
		if b := strings.Join(cur, "\n"); strings.TrimSpace(b) != "" {
			out = append(out, b)
		}
		cur = cur[:0]
	}
	for _, line := range strings.Split(script, "\n") {
		if strings.EqualFold(strings.TrimSpace(line), "GO") {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return out
}

package sqlexec

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// errorNumberInSource matches an error number written in the emulator's source: the first
// argument of sqlval.Errorf and of the helpers that wrap it, or a Number field.
var errorNumberInSource = regexp.MustCompile(`(?:Errorf|Denied|Error|Info)\((?:c, )?(\d{2,6})\b|Number:\s*(\d{2,6})\b`)

// knownErrorNumbers returns the SQL Server error numbers the emulator's packages raise.
func knownErrorNumbers(t testing.TB) map[int32]bool {
	t.Helper()
	known := map[int32]bool{}
	for _, dir := range []string{".", "../jobstore", "../sqlval"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range errorNumberInSource.FindAllStringSubmatch(string(src), -1) {
				n, _ := strconv.Atoi(m[1] + m[2])
				known[int32(n)] = true
			}
		}
	}
	if len(known) < 50 {
		t.Fatalf("found %d error numbers in the source, want the emulator's dozens", len(known))
	}
	return known
}

// checkErrorNumbers fails when a reply carries an error whose number is zero or is neither one
// the emulator raises nor a user error of THROW or RAISERROR (50000 and up).
func checkErrorNumbers(t testing.TB, known map[int32]bool, rep sqlval.Reply) {
	t.Helper()
	errs := []*sqlval.Error{rep.Err}
	for _, it := range rep.Items {
		if it.Kind == sqlval.ItemError {
			errs = append(errs, it.Err)
		}
	}
	for _, e := range errs {
		if e != nil && !known[e.Number] && e.Number < 50000 {
			t.Fatalf("error %d %q is not a SQL Server error the emulator raises", e.Number, e.Message)
		}
	}
}

// modelQuery reads what the consistency checks compare, one result set per view.
const modelQuery = `SELECT job_id, job_version FROM jobs.jobs;
SELECT job_id, job_version FROM jobs.job_versions;
SELECT job_id, job_version, step_id, target_group_id FROM jobs.jobstep_versions;
SELECT job_id, job_version, step_id FROM jobs.jobsteps;
SELECT target_group_id FROM jobs.target_groups;
SELECT target_group_id, target_id FROM jobs.target_group_members;
SELECT job_id, job_execution_id, step_id FROM jobs.job_executions;
SELECT name FROM sys.database_scoped_credentials`

// checkModel reads every view through a fresh session and returns the first way the job database
// contradicts itself, or "".
func checkModel(ctx context.Context, h *Handler) string {
	s := h.NewSession("u")
	defer s.Close()
	rep := s.Batch(ctx, modelQuery)
	if rep.Err != nil {
		return fmt.Sprintf("the views are not readable: %v", rep.Err)
	}
	var sets [][][]string
	for _, it := range rep.Items {
		if it.Kind == sqlval.ItemResultSet {
			sets = append(sets, textRows(it.Set.Rows))
		}
	}
	if len(sets) != 8 {
		return fmt.Sprintf("%d result sets, want 8", len(sets))
	}
	jobs, versions, stepVersions, steps, groups, members, executions := sets[0], sets[1], sets[2], sets[3], sets[4], sets[5], sets[6]
	current := map[string]string{}
	for _, j := range jobs {
		current[j[0]] = j[1]
	}
	if msg := checkVersions(current, versions); msg != "" {
		return msg
	}
	if msg := checkSteps(current, versions, stepVersions, steps, groups); msg != "" {
		return msg
	}
	groupIDs := set(groups, 0)
	targets := map[string]bool{}
	for _, m := range members {
		if !groupIDs[m[0]] {
			return fmt.Sprintf("target group member %s belongs to no target group", m[1])
		}
		if targets[m[1]] {
			return fmt.Sprintf("target_id %s appears twice", m[1])
		}
		targets[m[1]] = true
	}
	for _, e := range executions {
		if _, ok := current[e[0]]; !ok {
			return fmt.Sprintf("execution %s belongs to no job", e[1])
		}
	}
	return ""
}

// checkVersions: the versions of a job are 1 to its current job_version, each once.
func checkVersions(current map[string]string, versions [][]string) string {
	count := map[string]int{}
	for _, v := range versions {
		cur, ok := current[v[0]]
		if !ok {
			return fmt.Sprintf("job version %s of job %s, which does not exist", v[1], v[0])
		}
		n, _ := strconv.Atoi(v[1])
		c, _ := strconv.Atoi(cur)
		if n < 1 || n > c {
			return fmt.Sprintf("job %s at version %d lists version %d", v[0], c, n)
		}
		count[v[0]]++
	}
	for id, cur := range current {
		if c, _ := strconv.Atoi(cur); count[id] != c {
			return fmt.Sprintf("job %s at version %d has %d versions", id, c, count[id])
		}
	}
	return ""
}

// checkSteps: every step version belongs to a version of its job; the step ids of a version run
// from 1 without gaps; jobs.jobsteps holds the steps of current versions; the steps of current
// versions name existing target groups.
func checkSteps(current map[string]string, versions, stepVersions, steps, groups [][]string) string {
	versionIDs := map[string]bool{}
	for _, v := range versions {
		versionIDs[v[0]+"/"+v[1]] = true
	}
	groupIDs := set(groups, 0)
	ids := map[string]map[int]bool{}
	currentSteps := 0
	for _, s := range stepVersions {
		key := s[0] + "/" + s[1]
		if !versionIDs[key] {
			return fmt.Sprintf("step %s of job version %s, which does not exist", s[2], key)
		}
		if ids[key] == nil {
			ids[key] = map[int]bool{}
		}
		n, _ := strconv.Atoi(s[2])
		ids[key][n] = true
		if current[s[0]] == s[1] {
			currentSteps++
			if !groupIDs[s[3]] {
				return fmt.Sprintf("step %s of job %s names target group %s, which does not exist", s[2], s[0], s[3])
			}
		}
	}
	for key, got := range ids {
		for i := 1; i <= len(got); i++ {
			if !got[i] {
				return fmt.Sprintf("job version %s has %d steps but no step %d", key, len(got), i)
			}
		}
	}
	if len(steps) != currentSteps {
		return fmt.Sprintf("jobs.jobsteps has %d rows, the current versions %d steps", len(steps), currentSteps)
	}
	return ""
}

// textRows prints every value of rows.
func textRows(rows [][]sqlval.Value) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		for _, v := range r {
			out[i] = append(out[i], fmt.Sprint(v))
		}
	}
	return out
}

// set returns the values of column col of rows.
func set(rows [][]string, col int) map[string]bool {
	out := map[string]bool{}
	for _, r := range rows {
		out[r[col]] = true
	}
	return out
}

// TestModelChecks: the consistency checks pass on a job database built through the procedures and
// catch each kind of contradiction on rows made up to break one rule.
func TestModelChecks(t *testing.T) {
	s := newSession(t)
	rep := s.Batch(t.Context(), "EXEC jobs.sp_add_target_group 'g'; EXEC jobs.sp_add_target_group_member 'g', @target_type = 'SqlServer', @server_name = 's';"+
		" EXEC jobs.sp_add_job 'j'; EXEC jobs.sp_add_jobstep 'j', @command = N'x', @target_group_name = 'g';"+
		" EXEC jobs.sp_add_jobstep 'j', @step_name = 'b', @command = N'x', @target_group_name = 'g'; EXEC jobs.sp_start_job 'j'")
	if rep.Err != nil {
		t.Fatal(rep.Err)
	}
	if msg := checkModel(t.Context(), s.h); msg != "" {
		t.Fatal(msg)
	}
	current := map[string]string{"J": "2"}
	versions := [][]string{{"J", "1"}, {"J", "2"}}
	groups := [][]string{{"G"}}
	for name, msg := range map[string]string{
		"missing version": checkVersions(current, versions[:1]),
		"unknown job":     checkVersions(current, append(versions, []string{"K", "1"})),
		"step gap":        checkSteps(current, versions, [][]string{{"J", "2", "2", "G"}}, [][]string{{"J", "2", "2"}}, groups),
		"orphan step":     checkSteps(current, versions, [][]string{{"J", "3", "1", "G"}}, nil, groups),
		"unknown group":   checkSteps(current, versions, [][]string{{"J", "2", "1", "H"}}, [][]string{{"J", "2", "1"}}, groups),
		"jobsteps count":  checkSteps(current, versions, [][]string{{"J", "2", "1", "G"}}, nil, groups),
	} {
		if msg == "" {
			t.Errorf("%s: not detected", name)
		}
	}
}

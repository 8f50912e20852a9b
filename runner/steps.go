package runner

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ejops/ejops/spec"
)

// diffSteps returns the step changes and the shortest call sequence found for them: deletes, then
// one sp_update_jobstep per changed, renamed or moved step (moves keep a longest increasing run in
// place), then inserts at their final positions.
func diffSteps(job string, want, have []DesiredStep) ([]SubChange, []Op) {
	object := "job " + job
	pair := make([]int, len(want)) // want index → have index, -1 when new
	taken := make([]bool, len(have))
	for i, w := range want {
		pair[i] = -1
		for j, h := range have {
			if !taken[j] && sameName(w.Name, h.Name) {
				pair[i], taken[j] = j, true
				break
			}
		}
	}
	// A new name whose content matches an old step, or that sits where an unmatched old step sits,
	// is a rename.
	for i, w := range want {
		if pair[i] >= 0 {
			continue
		}
		for j, h := range have {
			if !taken[j] && sameStep(w, h) {
				pair[i], taken[j] = j, true
				break
			}
		}
		if pair[i] < 0 && i < len(have) && !taken[i] {
			pair[i], taken[i] = i, true
		}
	}
	// A credential cannot be cleared by sp_update_jobstep: such a step is deleted and added again.
	for i, w := range want {
		if j := pair[i]; j >= 0 && w.Credential == "" && have[j].Credential != "" {
			pair[i], taken[j] = -1, false
		}
	}

	var subs []SubChange
	var ops []Op
	cur := []string{} // names of live steps in order, as the calls change them
	for j, h := range have {
		if !taken[j] {
			subs = append(subs, SubChange{Action: Delete, Name: h.Name})
			ops = append(ops, Op{Object: object + " step " + h.Name, Proc: "jobs.sp_delete_jobstep",
				Args: []Arg{{"job_name", job}, {"step_name", h.Name}}})
			continue
		}
		cur = append(cur, h.Name)
	}

	// Steps kept in place: a longest increasing run of live positions in desired order.
	var order []int // want indices of matched steps, in desired order
	for i := range want {
		if pair[i] >= 0 {
			order = append(order, i)
		}
	}
	stay := longestIncreasing(order, pair)
	index := func(name string) int {
		for k, n := range cur {
			if n == name {
				return k
			}
		}
		return -1
	}
	// after is the name a matched step has once its update has run.
	after := func(i int) string {
		if h := have[pair[i]]; sameName(want[i].Name, h.Name) {
			return h.Name
		}
		return want[i].Name
	}
	for k, i := range order {
		w, h := want[i], have[pair[i]]
		args := []Arg{{"job_name", job}, {"step_name", h.Name}}
		sub := SubChange{Action: Update, Name: h.Name}
		fields, fargs := stepUpdate(h, w)
		sub.Fields, args = fields, append(args, fargs...)
		if !sameName(w.Name, h.Name) {
			sub.NewName = w.Name
			args = append(args, Arg{"new_name", w.Name})
		}
		if !stay[i] {
			at := index(h.Name)
			cur = append(cur[:at], cur[at+1:]...)
			pos := 0
			if k > 0 {
				pos = index(after(order[k-1])) + 1
			}
			cur = append(cur[:pos], append([]string{after(i)}, cur[pos:]...)...)
			sub.Position = pos + 1
			args = append(args, Arg{"new_id", int64(pos + 1)})
		} else {
			cur[index(h.Name)] = after(i)
		}
		if len(args) > 2 {
			subs = append(subs, sub)
			ops = append(ops, Op{Object: object + " step " + h.Name, Proc: "jobs.sp_update_jobstep", Args: args})
		}
	}
	for i, w := range want {
		if pair[i] >= 0 {
			continue
		}
		subs = append(subs, SubChange{Action: Create, Name: w.Name, Position: i + 1, Fields: newStepFields(w)})
		pos := i + 1
		if pos > len(cur)+1 {
			pos = len(cur) + 1
		}
		ops = append(ops, addStep(job, w, pos))
		cur = append(cur[:pos-1], append([]string{w.Name}, cur[pos-1:]...)...)
	}
	return subs, ops
}

// longestIncreasing marks the want indices (of order) whose live positions form a longest increasing
// subsequence: those steps need no move.
func longestIncreasing(order []int, pair []int) map[int]bool {
	n := len(order)
	length, prev := make([]int, n), make([]int, n)
	best := -1
	for a := 0; a < n; a++ {
		length[a], prev[a] = 1, -1
		for b := 0; b < a; b++ {
			if pair[order[b]] < pair[order[a]] && length[b]+1 > length[a] {
				length[a], prev[a] = length[b]+1, b
			}
		}
		if best < 0 || length[a] > length[best] {
			best = a
		}
	}
	stay := map[int]bool{}
	for a := best; a >= 0; a = prev[a] {
		stay[order[a]] = true
	}
	return stay
}

// sameStep reports whether two steps differ only in name.
func sameStep(a, b DesiredStep) bool {
	a.Name, b.Name = "", ""
	fields, _ := stepUpdate(a, b)
	return len(fields) == 0
}

// newStepFields lists the fields of a step to add.
func newStepFields(new DesiredStep) []Field {
	fs := []Field{
		{Name: "targetGroup", New: new.TargetGroup},
		{Name: "command", New: new.Command},
	}
	if new.Credential != "" {
		fs = append(fs, Field{Name: "credential", New: new.Credential})
	}
	fs = append(fs,
		Field{Name: "timeout", New: secs(new.TimeoutSecs)},
		Field{Name: "retry", New: retryString(new)})
	if new.MaxParallelism > 0 {
		fs = append(fs, Field{Name: "maxParallelism", New: strconv.Itoa(new.MaxParallelism)})
	}
	if new.Output != nil {
		fs = append(fs, Field{Name: "output", New: outputString(new.Output)})
	}
	return fs
}

// secs shows a number of seconds as a spec duration: 300 → 5m.
func secs(n int) string { return spec.FormatDuration(time.Duration(n) * time.Second) }

func retryString(s DesiredStep) string {
	return fmt.Sprintf("%d attempts, %s initial, %s max, x%g", s.RetryAttempts, secs(s.InitialRetrySecs), secs(s.MaxRetrySecs), s.BackoffMultiplier)
}

func outputString(o *DesiredOutput) string {
	if o == nil {
		return ""
	}
	s := fmt.Sprintf("%s/%s.%s.%s", o.Server, o.Database, o.Schema, o.Table)
	if o.Credential != "" {
		s += " (credential " + o.Credential + ")"
	}
	return s
}

// stepUpdate returns the changed fields of a step and the sp_update_jobstep arguments that set them.
func stepUpdate(old, new DesiredStep) ([]Field, []Arg) {
	var fs []Field
	var args []Arg
	if normalizeSQL(old.Command) != normalizeSQL(new.Command) {
		fs = append(fs, Field{Name: "command", Old: old.Command, New: new.Command})
		args = append(args, Arg{"command", new.Command})
	}
	if !strings.EqualFold(old.Credential, new.Credential) {
		fs = append(fs, Field{Name: "credential", Old: old.Credential, New: new.Credential})
		args = append(args, Arg{"credential_name", new.Credential})
	}
	if !strings.EqualFold(old.TargetGroup, new.TargetGroup) {
		fs = append(fs, Field{Name: "targetGroup", Old: old.TargetGroup, New: new.TargetGroup})
		args = append(args, Arg{"target_group_name", new.TargetGroup})
	}
	ints := []struct {
		field, arg string
		o, n       int
		show       func(int) string
	}{
		{"timeout", "step_timeout_seconds", old.TimeoutSecs, new.TimeoutSecs, secs},
		{"retry.attempts", "retry_attempts", old.RetryAttempts, new.RetryAttempts, strconv.Itoa},
		{"retry.initialInterval", "initial_retry_interval_seconds", old.InitialRetrySecs, new.InitialRetrySecs, secs},
		{"retry.maxInterval", "maximum_retry_interval_seconds", old.MaxRetrySecs, new.MaxRetrySecs, secs},
	}
	for _, f := range ints {
		if f.o != f.n {
			fs = append(fs, Field{Name: f.field, Old: f.show(f.o), New: f.show(f.n)})
			args = append(args, Arg{f.arg, int64(f.n)})
		}
	}
	// real has 24 bits of precision: compare at that precision.
	if float32(old.BackoffMultiplier) != float32(new.BackoffMultiplier) {
		fs = append(fs, Field{Name: "retry.backoffMultiplier", Old: fmt.Sprint(old.BackoffMultiplier), New: fmt.Sprint(new.BackoffMultiplier)})
		args = append(args, Arg{"retry_interval_backoff_multiplier", new.BackoffMultiplier})
	}
	if old.MaxParallelism != new.MaxParallelism {
		show := func(n int) string {
			if n == 0 {
				return "unlimited"
			}
			return strconv.Itoa(n)
		}
		fs = append(fs, Field{Name: "maxParallelism", Old: show(old.MaxParallelism), New: show(new.MaxParallelism)})
		v := int64(new.MaxParallelism)
		if v == 0 {
			v = -1 // sp_update_jobstep: -1 sets NULL
		}
		args = append(args, Arg{"max_parallelism", v})
	}
	if !sameOutput(old.Output, new.Output) {
		fs = append(fs, Field{Name: "output", Old: outputString(old.Output), New: outputString(new.Output)})
		o := new.Output
		if o == nil {
			o = &DesiredOutput{} // '' clears each output field
			args = append(args, Arg{"output_type", ""})
		} else {
			args = append(args, Arg{"output_type", "SqlDatabase"})
		}
		args = append(args, Arg{"output_server_name", o.Server}, Arg{"output_database_name", o.Database},
			Arg{"output_schema_name", o.Schema}, Arg{"output_table_name", o.Table}, Arg{"output_credential_name", o.Credential})
	}
	return fs, args
}

func sameOutput(a, b *DesiredOutput) bool {
	if a == nil || b == nil {
		return a == b
	}
	return strings.EqualFold(a.Server, b.Server) && strings.EqualFold(a.Database, b.Database) &&
		strings.EqualFold(a.Schema, b.Schema) && strings.EqualFold(a.Table, b.Table) && strings.EqualFold(a.Credential, b.Credential)
}

// normalizeSQL makes line endings and trailing blanks not count as a change.
func normalizeSQL(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// addStep calls sp_add_jobstep; pos 0 appends.
func addStep(job string, s DesiredStep, pos int) Op {
	args := []Arg{{"job_name", job}}
	if pos > 0 {
		args = append(args, Arg{"step_id", int64(pos)})
	}
	args = append(args, Arg{"step_name", s.Name}, Arg{"command", s.Command}, Arg{"target_group_name", s.TargetGroup})
	if s.Credential != "" {
		args = append(args, Arg{"credential_name", s.Credential})
	}
	args = append(args,
		Arg{"initial_retry_interval_seconds", int64(s.InitialRetrySecs)},
		Arg{"maximum_retry_interval_seconds", int64(s.MaxRetrySecs)},
		Arg{"retry_interval_backoff_multiplier", s.BackoffMultiplier},
		Arg{"retry_attempts", int64(s.RetryAttempts)},
		Arg{"step_timeout_seconds", int64(s.TimeoutSecs)})
	if s.MaxParallelism > 0 {
		args = append(args, Arg{"max_parallelism", int64(s.MaxParallelism)})
	}
	if o := s.Output; o != nil {
		args = append(args, Arg{"output_type", "SqlDatabase"}, Arg{"output_server_name", o.Server}, Arg{"output_database_name", o.Database},
			Arg{"output_schema_name", o.Schema}, Arg{"output_table_name", o.Table})
		if o.Credential != "" {
			args = append(args, Arg{"output_credential_name", o.Credential})
		}
	}
	return Op{Object: "job " + job + " step " + s.Name, Proc: "jobs.sp_add_jobstep", Args: args}
}

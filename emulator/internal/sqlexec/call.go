package sqlexec

import (
	"strings"

	"github.com/ejops/ejops/emulator/internal/jobstore"
	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// execProc runs EXEC of a procedure: it binds the arguments by name or position, sends the
// procedure's messages and result sets, and assigns OUTPUT parameters and the return status.
func (b *batch) execProc(x *ExecStmt) *sqlval.Error {
	s := b.s
	norm := normalizeProc(x.Proc)
	if norm == "sp_executesql" || norm == "sys.sp_executesql" || norm == "dbo.sp_executesql" {
		return b.execSQL(x)
	}
	formal, _ := jobstore.Params(norm)
	args := make([]jobstore.Arg, 0, len(x.Args))
	for i, a := range x.Args {
		name := strings.TrimPrefix(a.Name, "@")
		if a.Default && (name != "" || i < len(formal)) {
			continue // the parameter keeps its default
		}
		var v sqlval.Value
		if a.Value != nil {
			var err *sqlval.Error
			if v, err = b.eval(a.Value, nil); err != nil {
				return err
			}
		}
		if name == "" && len(args) < i {
			// A positional argument after a skipped DEFAULT binds by its position's name.
			if i < len(formal) {
				name = formal[i].Name
			}
		}
		args = append(args, jobstore.Arg{Name: name, Value: v, Output: a.Output})
	}
	res, err := s.callProc(norm, x.Proc, args)
	for _, m := range res.Messages {
		s.emit(sqlval.Item{Kind: sqlval.ItemInfo, Err: m})
	}
	for i := range res.Sets {
		s.emit(sqlval.Item{Kind: sqlval.ItemResultSet, Set: &res.Sets[i]})
		s.rowCount = int64(len(res.Sets[i].Rows))
	}
	if err != nil {
		return err
	}
	for i, a := range x.Args {
		if !a.Output || a.Var == "" {
			continue
		}
		key := strings.ToLower(strings.TrimPrefix(a.Name, "@"))
		if a.Name == "" && i < len(formal) {
			key = strings.ToLower(formal[i].Name)
		}
		if v, ok := res.Outputs[key]; ok {
			if err := b.assign(a.Var, "=", v); err != nil {
				return err
			}
		}
	}
	if x.RC != "" {
		if err := b.assign(x.RC, "=", int64(res.ReturnStatus)); err != nil {
			return err
		}
	}
	return nil
}

// execSQL runs EXEC sp_executesql @stmt, @params, values… inside a batch.
func (b *batch) execSQL(x *ExecStmt) *sqlval.Error {
	params := make([]sqlval.Param, len(x.Args))
	for i, a := range x.Args {
		if a.Default {
			return sqlval.Errorf(102, "Incorrect syntax near 'DEFAULT'.")
		}
		v, err := b.eval(a.Value, nil)
		if err != nil {
			return err
		}
		params[i] = sqlval.Param{Name: a.Name, Output: a.Output, Value: v, Type: sqlval.ValueType(v)}
		if i < 2 && a.Name != "" {
			params[i].Name = ""
		}
	}
	vars, ret, err := b.s.runExecuteSQL(params)
	if err != nil {
		return err
	}
	for i, a := range x.Args {
		if i < 2 || !a.Output || a.Var == "" {
			continue
		}
		if v := vars[strings.ToLower(a.Name)]; v != nil {
			if err := b.assign(a.Var, "=", v.val); err != nil {
				return err
			}
		}
	}
	if x.RC != "" {
		return b.assign(x.RC, "=", int64(ret))
	}
	return nil
}

package jobdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Call is one statement an apply sends: a procedure call with named arguments, a statement, or
// a row to insert.
type Call struct {
	Proc string // the procedure to EXEC, e.g. jobs.sp_add_job
	// SQL is a statement instead, naming its parameters @name after Args. It may hold literals
	// only when it has no Args: the credential statements, whose secret cannot be a parameter.
	// Statements are never logged.
	SQL  string
	Args []sql.NamedArg
	// Version, when set, receives the job version the procedure returns through @job_version
	// OUTPUT.
	Version *int64
	// Insert names a table and its columns, "ejops.inventory (scope, kind, …)", to insert the
	// row Values into. The rows of a batch go in multi-row INSERTs at its end.
	Insert string
	Values []any
}

// CallError is the failure of one call sent by Send; Group and Call index the groups given.
type CallError struct {
	Group, Call int
	Err         error
}

func (e *CallError) Error() string { return e.Err.Error() }
func (e *CallError) Unwrap() error { return e.Err }

// Limits of one batch. SQL Server takes at most 2,100 parameters per request, sp_executesql's
// own two among them ("Maximum capacity specifications for SQL Server",
// https://learn.microsoft.com/sql/sql-server/maximum-capacity-specifications-for-sql-server); the
// size keeps a request's text and values to a moderate amount of memory on both ends.
const (
	MaxBatchParams = 2000
	MaxBatchChars  = 256 << 10 // characters of text and string values
)

// Send runs calls in order in as few requests as the limits of a batch allow, each group in one
// request when it fits. A request is a parameterised batch (sp_executesql) of the calls'
// statements, each followed by a SELECT of its number (and job version): done is told of each
// call as its row arrives. A value used more than once is one parameter. The first error ends the
// request and, with XACT_ABORT ON, rolls the transaction back; it is returned as a *CallError
// naming the first call that did not report.
func (t *Tx) Send(ctx context.Context, groups [][]Call, done func(group, call int)) error {
	return pack(groups, func(b *batch) error { return t.sendBatch(ctx, b, done) })
}

// pack fills batches with the groups' calls in order, a group in the batch of the one before when
// it fits there, and hands each batch to send.
func pack(groups [][]Call, send func(*batch) error) error {
	b := newBatch()
	flush := func() error {
		if len(b.units) == 0 {
			return nil
		}
		err := send(b)
		b = newBatch()
		return err
	}
	for g, calls := range groups {
		m := b.mark()
		for c, call := range calls {
			if err := b.add(g, c, call); err != nil {
				return err
			}
		}
		if !b.full() {
			continue
		}
		b.reset(m)
		if err := flush(); err != nil {
			return err
		}
		// The group on its own, in as many batches as it needs.
		for c, call := range calls {
			m := b.mark()
			_ = b.add(g, c, call) // added once already
			if b.full() && m.units > 0 {
				b.reset(m)
				if err := flush(); err != nil {
					return err
				}
				_ = b.add(g, c, call)
			}
		}
	}
	return flush()
}

// sendBatch sends one batch, bounded by OpTimeout.
func (t *Tx) sendBatch(ctx context.Context, b *batch, done func(group, call int)) error {
	octx, cancel := bound(ctx, t.opTimeout)
	defer cancel()
	t.Requests++
	text, reports := b.assemble()
	t.Calls += len(reports)
	n, err := b.run(octx, t.conn, text, reports, done)
	if err == nil && n < len(reports) {
		err = errors.New("the batch ended before this call without an error")
	}
	if err == nil {
		return nil
	}
	if ErrorNumber(err) == 0 {
		t.broken = true
	}
	c := reports[min(n, len(reports)-1)][0]
	return &CallError{Group: c.group, Call: c.index, Err: timedOut(ctx, octx, t.opTimeout, err)}
}

// batch is one request being built: its statements and rows, and their parameters.
type batch struct {
	units  []unit
	args   []any
	params map[any]int // parameter number of each value sent, for values that can be keys
	keys   []any       // those values in the order they were added
	chars  int         // about the characters of the text and of the string values
}

// unit is one call in a batch: its statement, or the values of its row.
type unit struct {
	text   []byte
	insert string // the table and columns of a row
	call   batchCall
}

type batchCall struct {
	group, index int
	version      *int64
}

const (
	batchHeader = "SET NOCOUNT ON;\nDECLARE @ejops_version int;\n"
	// reportChars is about the length of the SELECT that reports a statement.
	reportChars = 64
	// maxInsertRows is the most rows one INSERT … VALUES takes ("Table Value Constructor
	// (Transact-SQL)", https://learn.microsoft.com/sql/t-sql/queries/table-value-constructor-transact-sql).
	maxInsertRows = 1000
)

func newBatch() *batch {
	return &batch{params: map[any]int{}, chars: len(batchHeader)}
}

// batchMark is what a batch held at one point, to go back to.
type batchMark struct{ units, args, keys, chars int }

func (b *batch) mark() batchMark { return batchMark{len(b.units), len(b.args), len(b.keys), b.chars} }

func (b *batch) reset(m batchMark) {
	for _, k := range b.keys[m.keys:] {
		delete(b.params, k)
	}
	b.units, b.args, b.keys, b.chars = b.units[:m.units], b.args[:m.args], b.keys[:m.keys], m.chars
}

// full reports whether the batch went over a limit.
func (b *batch) full() bool { return len(b.args) > MaxBatchParams || b.chars > MaxBatchChars }

// add appends a call.
func (b *batch) add(group, index int, c Call) error {
	u := unit{insert: c.Insert, call: batchCall{group: group, index: index, version: c.Version}}
	switch {
	case c.Insert != "":
		u.text = append(u.text, '(')
		for i, v := range c.Values {
			if i > 0 {
				u.text = append(u.text, ',')
			}
			u.text = b.param(u.text, v)
		}
		u.text = append(u.text, ')')
	case c.Proc != "":
		if !isName(c.Proc, true) {
			return fmt.Errorf("invalid procedure name %q", c.Proc)
		}
		u.text = append(u.text, "EXEC "...)
		u.text = append(u.text, c.Proc...)
		for i, a := range c.Args {
			if !isName(a.Name, false) {
				return fmt.Errorf("%s: invalid parameter name %q", c.Proc, a.Name)
			}
			sep := byte(',')
			if i == 0 {
				sep = ' '
			}
			u.text = append(u.text, sep, '@')
			u.text = append(u.text, a.Name...)
			u.text = append(u.text, '=')
			u.text = b.param(u.text, a.Value)
		}
		if c.Version != nil {
			sep := ","
			if len(c.Args) == 0 {
				sep = " "
			}
			u.text = append(u.text, sep+"@job_version=@ejops_version OUTPUT"...)
		}
	case len(c.Args) == 0:
		u.text = append(u.text, c.SQL...)
	default:
		u.text = b.statement(u.text, c.SQL, c.Args)
	}
	b.chars += len(u.text) + reportChars
	b.units = append(b.units, u)
	return nil
}

// assemble returns the batch's text and the calls each of its reports stands for: the statements
// in order, then the rows in INSERTs by table.
func (b *batch) assemble() (string, [][]batchCall) {
	text := []byte(batchHeader)
	var reports [][]batchCall
	report := func(calls []batchCall) {
		reports = append(reports, calls)
		text = append(text, ";\nSELECT "...)
		text = strconv.AppendInt(text, int64(len(reports)), 10)
		text = append(text, " AS ejops_call"...)
		if calls[0].version != nil {
			text = append(text, ",@ejops_version AS job_version"...)
		}
		text = append(text, ";\n"...)
	}
	var tables []string
	rows := map[string][]unit{}
	for _, u := range b.units {
		if u.insert == "" {
			text = append(text, u.text...)
			report([]batchCall{u.call})
			continue
		}
		if rows[u.insert] == nil {
			tables = append(tables, u.insert)
		}
		rows[u.insert] = append(rows[u.insert], u)
	}
	for _, table := range tables {
		for all := rows[table]; len(all) > 0; {
			chunk := all[:min(len(all), maxInsertRows)]
			all = all[len(chunk):]
			text = append(text, "INSERT INTO "...)
			text = append(text, table...)
			text = append(text, " VALUES "...)
			calls := make([]batchCall, len(chunk))
			for i, u := range chunk {
				if i > 0 {
					text = append(text, ',')
				}
				text = append(text, u.text...)
				calls[i] = u.call
			}
			report(calls)
		}
	}
	return string(text), reports
}

// statement appends text with each @name of args replaced by its parameter; other variables
// and @@functions are kept.
func (b *batch) statement(out []byte, text string, args []sql.NamedArg) []byte {
	for i := 0; i < len(text); {
		if text[i] != '@' {
			out = append(out, text[i])
			i++
			continue
		}
		j := i + 1
		for j < len(text) && (isNameByte(text[j]) || j == i+1 && text[j] == '@') {
			j++
		}
		found := false
		for _, a := range args {
			if a.Name != "" && a.Name == text[i+1:j] {
				out, found = b.param(out, a.Value), true
				break
			}
		}
		if !found {
			out = append(out, text[i:j]...)
		}
		i = j
	}
	return out
}

// param appends the reference of the parameter holding v to text, adding the parameter unless a
// value equal to v was sent already.
func (b *batch) param(text []byte, v any) []byte {
	key, keyed := paramKey(v)
	k, ok := b.params[key]
	if !keyed || !ok {
		b.args = append(b.args, v)
		k = len(b.args)
		if keyed {
			b.params[key] = k
			b.keys = append(b.keys, key)
		}
		if s, ok := v.(string); ok {
			b.chars += len(s)
		}
	}
	text = append(text, "@p"...)
	return strconv.AppendInt(text, int64(k), 10)
}

// paramKey returns v as a map key when parameters of equal values may be shared: values of the
// same type and value are sent the same way.
func paramKey(v any) (any, bool) {
	switch v.(type) {
	case nil, string, int64, int32, int, bool, float64, time.Time:
		return v, true
	}
	return nil, false
}

// isName reports whether s is a plain identifier, or with dotted, parts separated by dots.
func isName(s string, dotted bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) && !(dotted && s[i] == '.' && i > 0 && i < len(s)-1) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// run sends the batch and reads its reports, returning how many arrived.
func (b *batch) run(ctx context.Context, conn *sql.Conn, text string, reports [][]batchCall, done func(group, call int)) (int, error) {
	rows, err := conn.QueryContext(ctx, text, b.args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for more := true; more; more = rows.NextResultSet() {
		cols, err := rows.Columns()
		if err != nil {
			break // closed by an error: rows.Err has it
		}
		report := len(cols) > 0 && cols[0] == "ejops_call"
		for rows.Next() {
			if !report {
				continue // a result set of the procedure itself
			}
			var k int64
			var v sql.NullInt64
			dest := []any{&k}
			if len(cols) > 1 {
				dest = append(dest, &v)
			}
			if err := rows.Scan(dest...); err != nil {
				return n, err
			}
			if k != int64(n+1) || n >= len(reports) {
				return n, fmt.Errorf("statement %d reported out of order", k)
			}
			for _, c := range reports[n] {
				if c.version != nil && v.Valid {
					*c.version = v.Int64
				}
				if done != nil {
					done(c.group, c.index)
				}
			}
			n++
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, rows.Close()
}

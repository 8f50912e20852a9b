package sqlexec

import (
	"strconv"
	"strings"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// print runs PRINT: an informational message (a NULL value prints an empty line).
func (b *batch) print(x *PrintStmt) *sqlval.Error {
	v, err := b.eval(x.Value, nil)
	if err != nil {
		return err
	}
	msg := ""
	if v != nil {
		if msg, err = toString(v); err != nil {
			return err
		}
	}
	b.s.emit(sqlval.Item{Kind: sqlval.ItemInfo, Err: &sqlval.Error{Number: 0, Class: 0, State: 1, Message: msg,
		Line: int32(x.Line)}})
	return nil
}

// throw runs THROW number, message, state: an error of severity 16 that ends the batch.
func (b *batch) throw(x *ThrowStmt) *sqlval.Error {
	nv, err := b.evalAs(x.Number, sqlval.Column{Type: sqlval.Int})
	if err != nil {
		return err
	}
	mv, err := b.evalAs(x.Message, sqlval.Column{Type: sqlval.NVarChar, Size: 2048})
	if err != nil {
		return err
	}
	sv, err := b.evalAs(x.State, sqlval.Column{Type: sqlval.TinyInt})
	if err != nil {
		return err
	}
	n, _ := nv.(int64)
	if nv == nil || n < 50000 {
		return sqlval.Errorf(35100, "Error number %d in the THROW statement is outside the valid range. Specify an error number in the valid range of 50000 to 2147483647.", n)
	}
	msg, _ := mv.(string)
	st, _ := sv.(int64)
	return &sqlval.Error{Number: int32(n), Class: 16, State: uint8(st), Message: msg, Line: int32(x.Line)}
}

// raiserror runs RAISERROR: severity 10 or less is a message, 11 to 18 an error that lets the
// batch go on, higher ends the batch.
func (b *batch) raiserror(x *RaiserrorStmt) *sqlval.Error {
	mv, err := b.eval(x.Message, nil)
	if err != nil {
		return err
	}
	sev, err := b.evalAs(x.Severity, sqlval.Column{Type: sqlval.Int})
	if err != nil {
		return err
	}
	state, err := b.evalAs(x.State, sqlval.Column{Type: sqlval.Int})
	if err != nil {
		return err
	}
	if _, isNum := mv.(int64); isNum {
		return sqlval.Errorf(18054, "Error %d, severity %d, state %d was raised, but no message with that error number was found in sys.messages.", mv, sev, state)
	}
	format, err := toString(mv)
	if err != nil {
		return err
	}
	args := make([]sqlval.Value, len(x.Args))
	for i, a := range x.Args {
		if args[i], err = b.eval(a, nil); err != nil {
			return err
		}
	}
	sv, _ := sev.(int64)
	st, _ := state.(int64)
	e := &sqlval.Error{Number: 50000, Class: uint8(min(max(sv, 0), 25)), State: uint8(min(max(st, 0), 255)),
		Message: formatMessage(format, args), Line: int32(x.Line)}
	switch {
	case sv <= 10:
		b.s.emit(sqlval.Item{Kind: sqlval.ItemInfo, Err: e})
		b.s.lastError = 0
	case sv <= 18:
		b.s.emit(sqlval.Item{Kind: sqlval.ItemError, Err: e})
		b.s.lastError = 50000
	default:
		return e
	}
	return nil
}

// formatMessage substitutes RAISERROR's %s, %d, %i, %u and %x placeholders.
func formatMessage(format string, args []sqlval.Value) string {
	var sb strings.Builder
	n := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 >= len(format) {
			sb.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("-+ #0123456789.*lh", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			sb.WriteString(format[i:])
			break
		}
		verb := format[j]
		switch verb {
		case '%':
			sb.WriteByte('%')
		case 's', 'd', 'i', 'u', 'x', 'X', 'o':
			if n < len(args) {
				if args[n] == nil {
					sb.WriteString("(null)")
				} else if verb == 'x' || verb == 'X' {
					if v, ok := args[n].(int64); ok {
						sb.WriteString(strconv.FormatInt(v, 16))
					}
				} else {
					s, _ := toString(args[n])
					sb.WriteString(s)
				}
			}
			n++
		default:
			sb.WriteString(format[i : j+1])
		}
		i = j
	}
	return sb.String()
}

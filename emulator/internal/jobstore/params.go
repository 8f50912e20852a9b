package jobstore

import (
	"context"
	"strings"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// Arg is one argument of a procedure call.
type Arg struct {
	Name    string // without @; "" = positional
	Value   sqlval.Value
	Output  bool
	Default bool // the DEFAULT keyword: the parameter takes its default value
}

// ParamInfo describes one formal parameter of a procedure.
type ParamInfo struct {
	Name     string        // without @, as declared
	Type     sqlval.Column // SQL type of the parameter
	Output   bool          // declared OUTPUT
	Required bool          // has no default
	Default  sqlval.Value  // value when omitted (nil = NULL)
}

type procDef struct {
	name   string // lower case, with schema
	short  string // object name as SQL Server prints it in messages
	params []ParamInfo
	run    func(s *Session, w *state, c *call) *sqlval.Error // w is nil unless writes
	writes bool                                              // runs under the write lock as an atomic unit
}

// call is a bound procedure call.
type call struct {
	proc     *procDef
	vals     []sqlval.Value // by parameter index, converted to the parameter type
	given    []bool         // whether the caller supplied the parameter
	out      []bool         // whether the caller asked for it as OUTPUT
	result   CallResult
	ctx      context.Context // for procedures that wait (applocks)
	now      time.Time
	database string
}

func (c *call) idx(name string) int {
	for i, p := range c.proc.params {
		if p.Name == name {
			return i
		}
	}
	panic("jobdb: unknown parameter " + name) // programming error in this package, never input driven
}

func (c *call) val(name string) sqlval.Value { return c.vals[c.idx(name)] }

func (c *call) str(name string) *string {
	if v, ok := c.val(name).(string); ok {
		return &v
	}
	return nil
}

func (c *call) int(name string) *int64 {
	if v, ok := c.val(name).(int64); ok {
		return &v
	}
	return nil
}

func (c *call) bit(name string) *bool {
	if v, ok := c.val(name).(bool); ok {
		return &v
	}
	return nil
}

func (c *call) real(name string) *float64 {
	if v, ok := c.val(name).(float64); ok {
		return &v
	}
	return nil
}

func (c *call) guid(name string) *sqlval.UUID {
	if v, ok := c.val(name).(sqlval.UUID); ok {
		return &v
	}
	return nil
}

func (c *call) time(name string) *time.Time {
	if v, ok := c.val(name).(time.Time); ok {
		return &v
	}
	return nil
}

// setOut sets an OUTPUT parameter's value (returned only when the caller passed it as OUTPUT).
func (c *call) setOut(name string, v sqlval.Value) {
	i := c.idx(name)
	c.vals[i] = v
}

// Column types of parameters and view columns.
func nvarchar(n int) sqlval.Column {
	return sqlval.Column{Type: sqlval.NVarChar, Size: n, Nullable: true}
}

var (
	tInt   = sqlval.Column{Type: sqlval.Int, Nullable: true}
	tBit   = sqlval.Column{Type: sqlval.Bit, Nullable: true}
	tReal  = sqlval.Column{Type: sqlval.Float, Size: 4, Nullable: true}
	tGUID  = sqlval.Column{Type: sqlval.GUID, Nullable: true}
	tDT2   = sqlval.Column{Type: sqlval.DateTime2, Nullable: true}
	tDT    = sqlval.Column{Type: sqlval.DateTime, Nullable: true}
	tName  = nvarchar(128)
	tNMax  = nvarchar(sqlval.Max)
	tNV50  = nvarchar(50)
	tNV512 = nvarchar(512)
)

func p(name string, typ sqlval.Column, def sqlval.Value) ParamInfo {
	return ParamInfo{Name: name, Type: typ, Default: def}
}

func req(name string, typ sqlval.Column) ParamInfo {
	return ParamInfo{Name: name, Type: typ, Required: true}
}

func out(name string, typ sqlval.Column) ParamInfo {
	return ParamInfo{Name: name, Type: typ, Output: true}
}

// bind matches args to the procedure's parameters the way SQL Server does, with its errors.
func bind(pd *procDef, args []Arg) (*call, *sqlval.Error) {
	n := len(pd.params)
	c := &call{proc: pd, vals: make([]sqlval.Value, n), given: make([]bool, n), out: make([]bool, n)}
	named := false
	for pos, a := range args {
		var i int
		if a.Name == "" {
			if named {
				e := sqlval.Errorf(119, "Must pass parameter number %d and subsequent parameters as '@name = value'. After the form '@name = value' has been used, all subsequent parameters must be passed in the form '@name = value'.", pos+1)
				e.Class = 15
				return nil, e
			}
			if pos >= n {
				e := sqlval.Errorf(8144, "Procedure or function %s has too many arguments specified.", pd.short)
				e.State = 2
				return nil, e
			}
			i = pos
		} else {
			named = true
			name := strings.TrimPrefix(a.Name, "@")
			i = -1
			for j, fp := range pd.params {
				if strings.EqualFold(fp.Name, name) {
					i = j
					break
				}
			}
			if i < 0 {
				return nil, sqlval.Errorf(8145, "@%s is not a parameter for procedure %s.", name, pd.short)
			}
			if c.given[i] {
				return nil, sqlval.Errorf(8143, "Parameter '@%s' was supplied multiple times.", pd.params[i].Name)
			}
		}
		fp := pd.params[i]
		if a.Default {
			c.given[i] = true
			c.vals[i] = fp.Default
			if fp.Required {
				e := sqlval.Errorf(201, "Procedure or function '%s' expects parameter '@%s', which was not supplied.", pd.short, fp.Name)
				e.State = 4
				return nil, e
			}
			continue
		}
		if a.Output && !fp.Output {
			return nil, sqlval.Errorf(8162, "The formal parameter \"@%s\" was not declared as an OUTPUT parameter, but the actual parameter passed in requested output.", fp.Name)
		}
		v, err := convertArg(a.Value, fp.Type)
		if err != nil {
			return nil, err
		}
		c.vals[i], c.given[i], c.out[i] = v, true, a.Output
	}
	for i, fp := range pd.params {
		if c.given[i] {
			continue
		}
		if fp.Required {
			e := sqlval.Errorf(201, "Procedure or function '%s' expects parameter '@%s', which was not supplied.", pd.short, fp.Name)
			e.State = 4
			return nil, e
		}
		c.vals[i] = fp.Default
	}
	return c, nil
}

func overflow(t sqlval.Column) *sqlval.Error {
	return sqlval.Errorf(8115, "Arithmetic overflow error converting expression to data type %s.", sqlval.TypeName(t))
}

// convertArg converts a procedure argument to the parameter type. Conversion failures of a
// procedure argument are error 8114 ("Error converting data type nvarchar to int."), as SQL Server
// reports them for EXEC arguments; strings longer than the parameter are silently truncated.
func convertArg(v sqlval.Value, t sqlval.Column) (sqlval.Value, *sqlval.Error) {
	cv, err := sqlval.Convert(v, t)
	if err != nil && (err.Number == 245 || err.Number == 241 || err.Number == 8169) {
		return nil, sqlval.Errorf(8114, "Error converting data type %s to %s.", sqlval.TypeName(sqlval.ValueType(v)), sqlval.TypeName(t))
	}
	if s, ok := cv.(string); ok && t.Size > 0 {
		cv = sqlval.Truncate(s, t.Size)
	}
	return cv, err
}

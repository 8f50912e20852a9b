package jobdb

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/ejops/ejops/emulator/sqlval"
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

// typeName is a column type as SQL Server names it in conversion messages.
func typeName(t sqlval.Column) string {
	switch t.Type {
	case sqlval.Int:
		return "int"
	case sqlval.BigInt:
		return "bigint"
	case sqlval.TinyInt:
		return "tinyint"
	case sqlval.SmallInt:
		return "smallint"
	case sqlval.Bit:
		return "bit"
	case sqlval.Float:
		if t.Size == 4 {
			return "real"
		}
		return "float"
	case sqlval.NVarChar:
		return "nvarchar"
	case sqlval.VarBinary:
		return "varbinary"
	case sqlval.GUID:
		return "uniqueidentifier"
	case sqlval.DateTime2:
		return "datetime2"
	case sqlval.DateTimeOffset:
		return "datetimeoffset"
	case sqlval.DateTime:
		return "datetime"
	}
	return "sql_variant"
}

// valueTypeName is the SQL type of a Go value as SQL Server names it in messages.
func valueTypeName(v sqlval.Value) string {
	switch v.(type) {
	case int64:
		return "int"
	case bool:
		return "bit"
	case float64:
		return "float"
	case string:
		return "nvarchar"
	case []byte:
		return "varbinary"
	case sqlval.UUID:
		return "uniqueidentifier"
	case time.Time:
		return "datetime2"
	}
	return "sql_variant"
}

func clash(v sqlval.Value, t sqlval.Column) *sqlval.Error {
	return sqlval.Errorf(206, "Operand type clash: %s is incompatible with %s", valueTypeName(v), typeName(t))
}

func overflow(t sqlval.Column) *sqlval.Error {
	return sqlval.Errorf(8115, "Arithmetic overflow error converting expression to data type %s.", typeName(t))
}

// convertArg converts a procedure argument to the parameter type. Conversion failures of a
// procedure argument are error 8114 ("Error converting data type nvarchar to int."), as SQL Server
// reports them for EXEC arguments; strings longer than the parameter are silently truncated.
func convertArg(v sqlval.Value, t sqlval.Column) (sqlval.Value, *sqlval.Error) {
	cv, err := convert(v, t)
	if err != nil && (err.Number == 245 || err.Number == 241 || err.Number == 8169) {
		return nil, sqlval.Errorf(8114, "Error converting data type %s to %s.", valueTypeName(v), typeName(t))
	}
	if s, ok := cv.(string); ok && t.Size > 0 {
		cv = truncate(s, t.Size)
	}
	return cv, err
}

// Convert converts v to the type of column t as an implicit conversion (assignment, INSERT value)
// does, with SQL Server's errors: 245 (character string to int or bit), 241 (to a date/time),
// 8169 (to uniqueidentifier), 8114 (to real/float), 8115 (overflow), 206 (type clash). A
// datetimeoffset value keeps its wall clock. Strings are not length-checked.
func Convert(v sqlval.Value, t sqlval.Column) (sqlval.Value, *sqlval.Error) { return convert(v, t) }

// convert converts v to type t as an implicit conversion (assignment) does. Strings are not
// length-checked here.
func convert(v sqlval.Value, t sqlval.Column) (sqlval.Value, *sqlval.Error) {
	if v == nil {
		return nil, nil
	}
	switch t.Type {
	case sqlval.Int, sqlval.BigInt, sqlval.SmallInt, sqlval.TinyInt:
		var i int64
		switch x := v.(type) {
		case int64:
			i = x
		case bool:
			if x {
				i = 1
			}
		case float64:
			if math.IsNaN(x) || x > math.MaxInt64 || x < math.MinInt64 {
				return nil, overflow(t)
			}
			i = int64(x)
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
					return nil, overflow(t)
				}
				return nil, sqlval.Errorf(245, "Conversion failed when converting the nvarchar value '%s' to data type %s.", x, typeName(t))
			}
			i = n
		default:
			return nil, clash(v, t)
		}
		lo, hi := intRange(t.Type)
		if i < lo || i > hi {
			return nil, overflow(t)
		}
		return i, nil
	case sqlval.Bit:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		case float64:
			return x != 0, nil
		case string:
			s := strings.TrimSpace(x)
			switch {
			case strings.EqualFold(s, "true"):
				return true, nil
			case strings.EqualFold(s, "false"):
				return false, nil
			}
			if n, err := strconv.ParseFloat(s, 64); err == nil {
				return n != 0, nil
			}
			return nil, sqlval.Errorf(245, "Conversion failed when converting the nvarchar value '%s' to data type bit.", x)
		}
		return nil, clash(v, t)
	case sqlval.Float:
		switch x := v.(type) {
		case float64:
			if t.Size == 4 {
				return float64(float32(x)), nil
			}
			return x, nil
		case int64:
			return float64(x), nil
		case bool:
			if x {
				return 1.0, nil
			}
			return 0.0, nil
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, sqlval.Errorf(8114, "Error converting data type nvarchar to %s.", typeName(t))
			}
			if t.Size == 4 {
				f = float64(float32(f))
			}
			return f, nil
		}
		return nil, clash(v, t)
	case sqlval.NVarChar:
		switch x := v.(type) {
		case string:
			return x, nil
		case int64:
			return strconv.FormatInt(x, 10), nil
		case bool:
			if x {
				return "1", nil
			}
			return "0", nil
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64), nil
		case sqlval.UUID:
			return x.String(), nil
		case time.Time:
			return x.Format("2006-01-02 15:04:05.0000000"), nil
		}
		return nil, clash(v, t)
	case sqlval.GUID:
		switch x := v.(type) {
		case sqlval.UUID:
			return x, nil
		case string:
			u, ok := parseUUID(x)
			if !ok {
				return nil, sqlval.Errorf(8169, "Conversion failed when converting from a character string to uniqueidentifier.")
			}
			return u, nil
		case []byte:
			var u sqlval.UUID
			copy(u[:], x)
			return u, nil
		}
		return nil, clash(v, t)
	case sqlval.DateTime2, sqlval.DateTime:
		switch x := v.(type) {
		case time.Time:
			// datetimeoffset → datetime2 keeps the wall clock and drops the offset.
			w := time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), time.UTC)
			return w.Truncate(100 * time.Nanosecond), nil
		case string:
			tm, ok := parseDateTime(x)
			if !ok {
				return nil, sqlval.Errorf(241, "Conversion failed when converting date and/or time from character string.")
			}
			return tm, nil
		}
		return nil, clash(v, t)
	case sqlval.VarBinary:
		switch x := v.(type) {
		case []byte:
			return x, nil
		}
		return nil, clash(v, t)
	}
	return nil, clash(v, t)
}

func intRange(t sqlval.Type) (int64, int64) {
	switch t {
	case sqlval.TinyInt:
		return 0, 255
	case sqlval.SmallInt:
		return math.MinInt16, math.MaxInt16
	case sqlval.Int:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// charLen is the length of s in UTF-16 code units, the unit of nvarchar(n).
func charLen(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// truncate cuts s to at most n UTF-16 code units.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	u := utf16.Encode([]rune(s))
	if len(u) <= n {
		return s
	}
	return string(utf16.Decode(u[:n]))
}

func parseUUID(s string) (sqlval.UUID, bool) {
	var u sqlval.UUID
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		s = s[1 : len(s)-1]
	}
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	hex := strings.ReplaceAll(s, "-", "")
	if len(hex) != 32 {
		return u, false
	}
	for i := 0; i < 16; i++ {
		b, err := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		if err != nil {
			return u, false
		}
		u[i] = byte(b)
	}
	return u, true
}

var dateLayouts = []string{
	"2006-01-02T15:04:05.9999999",
	"2006-01-02 15:04:05.9999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
	"20060102 15:04:05.9999999",
	"20060102",
}

// parseDateTime parses the string forms SQL Server accepts for datetime2 (ISO 8601 and ODBC).
func parseDateTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t.Truncate(100 * time.Nanosecond), true
		}
	}
	// A trailing Z or offset is accepted by datetime2 and dropped (the wall clock is kept).
	for _, l := range []string{"2006-01-02T15:04:05.9999999Z07:00", "2006-01-02 15:04:05.9999999Z07:00"} {
		if t, err := time.Parse(l, s); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC).Truncate(100 * time.Nanosecond), true
		}
	}
	return time.Time{}, false
}

package sqlval

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// TypeName is a column type as SQL Server names it in messages.
func TypeName(c Column) string {
	switch c.Type {
	case Int:
		return "int"
	case BigInt:
		return "bigint"
	case SmallInt:
		return "smallint"
	case TinyInt:
		return "tinyint"
	case Bit:
		return "bit"
	case Float:
		if c.Size == 4 {
			return "real"
		}
		return "float"
	case NVarChar:
		return "nvarchar"
	case VarBinary:
		return "varbinary"
	case GUID:
		return "uniqueidentifier"
	case DateTime2:
		return "datetime2"
	case DateTimeOffset:
		return "datetimeoffset"
	case DateTime:
		return "datetime"
	}
	return "sql_variant"
}

// ValueType is the natural column type of a value: int or bigint by magnitude, float,
// nvarchar(max), varbinary(max) and so on; int for NULL.
func ValueType(v Value) Column {
	switch x := v.(type) {
	case int64:
		if x > math.MaxInt32 || x < math.MinInt32 {
			return Column{Type: BigInt, Nullable: true}
		}
		return Column{Type: Int, Nullable: true}
	case bool:
		return Column{Type: Bit, Nullable: true}
	case float64:
		return Column{Type: Float, Nullable: true}
	case string:
		return Column{Type: NVarChar, Size: Max, Nullable: true}
	case []byte:
		return Column{Type: VarBinary, Size: Max, Nullable: true}
	case UUID:
		return Column{Type: GUID, Nullable: true}
	case time.Time:
		return Column{Type: DateTime2, Nullable: true}
	}
	return Column{Type: Int, Nullable: true}
}

func clash(v Value, to Column) *Error {
	return Errorf(206, "Operand type clash: %s is incompatible with %s", TypeName(ValueType(v)), TypeName(to))
}

func overflow(to Column) *Error {
	return Errorf(8115, "Arithmetic overflow error converting expression to data type %s.", TypeName(to))
}

func intRange(t Type) (int64, int64) {
	switch t {
	case Int:
		return math.MinInt32, math.MaxInt32
	case SmallInt:
		return math.MinInt16, math.MaxInt16
	case TinyInt:
		return 0, 255
	}
	return math.MinInt64, math.MaxInt64
}

// Convert converts v to the type of column to as SQL Server's conversions do, with its errors:
// 245 (character string to an integer or bit), 241 (to a date/time), 8169 (to uniqueidentifier),
// 8114 (to real/float), 8115 (overflow), 206 (type clash). Converting to datetime2 or datetime
// keeps the wall clock of a datetimeoffset value. NULL stays NULL, a Null column type keeps the
// value as it is, and strings and binaries are not length-checked.
func Convert(v Value, to Column) (Value, *Error) {
	if v == nil {
		return nil, nil
	}
	switch to.Type {
	case Null:
		return v, nil
	case Int, BigInt, SmallInt, TinyInt:
		return toInteger(v, to)
	case Bit:
		return toBit(v, to)
	case Float:
		return toFloat(v, to)
	case NVarChar:
		s, ok := Text(v)
		if !ok {
			return nil, clash(v, to)
		}
		return s, nil
	case VarBinary:
		return toBinary(v, to)
	case GUID:
		return toGUID(v, to)
	case DateTime2, DateTime, DateTimeOffset:
		return toTime(v, to)
	}
	return nil, clash(v, to)
}

// toInteger converts a non-NULL value to an integer type, checking its range.
func toInteger(v Value, to Column) (Value, *Error) {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case bool:
		if x {
			n = 1
		}
	case float64:
		if math.IsNaN(x) || x >= math.MaxInt64 || x < math.MinInt64 {
			return nil, overflow(to)
		}
		n = int64(x)
	case string:
		p, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return nil, overflow(to)
			}
			return nil, Errorf(245, "Conversion failed when converting the nvarchar value '%s' to data type %s.", x, TypeName(to))
		}
		n = p
	default:
		return nil, clash(v, to)
	}
	lo, hi := intRange(to.Type)
	if n < lo || n > hi {
		return nil, overflow(to)
	}
	return n, nil
}

// toBit converts a non-NULL value to bit: numbers are 1 unless zero, strings may also be
// 'true' or 'false'.
func toBit(v Value, to Column) (Value, *Error) {
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
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, Errorf(245, "Conversion failed when converting the nvarchar value '%s' to data type bit.", x)
		}
		return n != 0, nil
	}
	return nil, clash(v, to)
}

// toFloat converts a non-NULL value to float, or to real (Size 4) by rounding to float32.
func toFloat(v Value, to Column) (Value, *Error) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int64:
		f = float64(x)
	case bool:
		if x {
			f = 1
		}
	case string:
		p, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil || math.IsInf(p, 0) || math.IsNaN(p) {
			return nil, Errorf(8114, "Error converting data type nvarchar to %s.", TypeName(to))
		}
		f = p
	default:
		return nil, clash(v, to)
	}
	if to.Size == 4 {
		f = float64(float32(f))
	}
	return f, nil
}

// toBinary converts a non-NULL value to varbinary: strings as UTF-16LE, integers as 4 bytes
// big-endian.
func toBinary(v Value, to Column) (Value, *Error) {
	switch x := v.(type) {
	case []byte:
		return x, nil
	case string:
		u := utf16.Encode([]rune(x))
		b := make([]byte, 2*len(u))
		for i, c := range u {
			b[2*i], b[2*i+1] = byte(c), byte(c>>8)
		}
		return b, nil
	case UUID:
		return append([]byte(nil), x[:]...), nil
	case int64:
		return []byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)}, nil
	}
	return nil, clash(v, to)
}

// toGUID converts a non-NULL value to uniqueidentifier.
func toGUID(v Value, to Column) (Value, *Error) {
	switch x := v.(type) {
	case UUID:
		return x, nil
	case string:
		u, ok := ParseUUID(x)
		if !ok {
			return nil, Errorf(8169, "Conversion failed when converting from a character string to uniqueidentifier.")
		}
		return u, nil
	case []byte:
		var u UUID
		copy(u[:], x)
		return u, nil
	}
	return nil, clash(v, to)
}

// toTime converts a non-NULL value to datetime2, datetime or datetimeoffset, at 100 ns
// precision (datetime: milliseconds).
func toTime(v Value, to Column) (Value, *Error) {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case string:
		p, ok := parseTime(x)
		if !ok {
			return nil, Errorf(241, "Conversion failed when converting date and/or time from character string.")
		}
		t = p
	default:
		return nil, clash(v, to)
	}
	t = t.Truncate(100 * time.Nanosecond)
	switch to.Type {
	case DateTime2:
		t = wallClock(t)
	case DateTime:
		t = wallClock(t).Truncate(time.Millisecond)
	}
	return t, nil
}

// wallClock keeps the wall-clock reading of t and drops its offset, as SQL Server's conversion of
// datetimeoffset to datetime2 does.
func wallClock(t time.Time) time.Time {
	if t.Location() == time.UTC {
		return t
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// Text is v converted to nvarchar; false for a value of no SQL type (NULL included).
func Text(v Value) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), true
	case bool:
		if x {
			return "1", true
		}
		return "0", true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case UUID:
		return x.String(), true
	case time.Time:
		if x.Location() != time.UTC {
			return x.Format("2006-01-02 15:04:05.0000000 -07:00"), true
		}
		return x.Format("2006-01-02 15:04:05.0000000"), true
	case []byte:
		if len(x)%2 == 1 {
			x = append(x[:len(x):len(x)], 0)
		}
		u := make([]uint16, len(x)/2)
		for i := range u {
			u[i] = uint16(x[2*i]) | uint16(x[2*i+1])<<8
		}
		return string(utf16.Decode(u)), true
	}
	return "", false
}

// CharLen is the length of s in UTF-16 code units, the unit of nvarchar(n).
func CharLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		i += w
	}
	return n
}

// Truncate cuts s to at most n UTF-16 code units, never inside a surrogate pair.
func Truncate(s string, n int) string {
	count := 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if count+w > n {
			return s[:i]
		}
		count += w
	}
	return s
}

// ParseUUID parses a uniqueidentifier string, with or without braces.
func ParseUUID(s string) (UUID, bool) {
	var u UUID
	s = strings.TrimSpace(s)
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		s = s[1:37]
	}
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, false
	}
	return u, true
}

var timeLayouts = []string{
	"2006-01-02 15:04:05.9999999",
	"2006-01-02T15:04:05.9999999",
	"2006-01-02 15:04:05.9999999 -07:00",
	"2006-01-02T15:04:05.9999999Z07:00",
	"2006-01-02 15:04:05.9999999Z07:00",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
	"20060102 15:04:05.9999999",
	"20060102",
}

// parseTime parses the string forms SQL Server accepts for its date/time types (ISO 8601 and
// ODBC, with an optional offset, which the result keeps).
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

package sqlexec

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ejops/ejops/emulator/sqlval"
)

// typeName is the T-SQL name of a type, for messages.
func typeName(c sqlval.Column) string {
	switch c.Type {
	case sqlval.Int:
		return "int"
	case sqlval.BigInt:
		return "bigint"
	case sqlval.SmallInt:
		return "smallint"
	case sqlval.TinyInt:
		return "tinyint"
	case sqlval.Bit:
		return "bit"
	case sqlval.Float:
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

// valueType is the natural column type of a runtime value.
func valueType(v sqlval.Value) sqlval.Column {
	switch x := v.(type) {
	case int64:
		if x > math.MaxInt32 || x < math.MinInt32 {
			return sqlval.Column{Type: sqlval.BigInt, Nullable: true}
		}
		return sqlval.Column{Type: sqlval.Int, Nullable: true}
	case bool:
		return sqlval.Column{Type: sqlval.Bit, Nullable: true}
	case float64:
		return sqlval.Column{Type: sqlval.Float, Nullable: true}
	case string:
		return sqlval.Column{Type: sqlval.NVarChar, Size: sqlval.Max, Nullable: true}
	case []byte:
		return sqlval.Column{Type: sqlval.VarBinary, Size: sqlval.Max, Nullable: true}
	case sqlval.UUID:
		return sqlval.Column{Type: sqlval.GUID, Nullable: true}
	case time.Time:
		return sqlval.Column{Type: sqlval.DateTime2, Nullable: true}
	}
	return sqlval.Column{Type: sqlval.Int, Nullable: true}
}

func isInteger(t sqlval.Type) bool {
	switch t {
	case sqlval.Int, sqlval.BigInt, sqlval.SmallInt, sqlval.TinyInt:
		return true
	}
	return false
}

func convFailed(v sqlval.Value, to sqlval.Column) *sqlval.Error {
	switch to.Type {
	case sqlval.GUID:
		return sqlval.Errorf(8169, "Conversion failed when converting from a character string to uniqueidentifier.")
	case sqlval.DateTime2, sqlval.DateTime, sqlval.DateTimeOffset:
		return sqlval.Errorf(241, "Conversion failed when converting date and/or time from character string.")
	case sqlval.Float:
		return sqlval.Errorf(8114, "Error converting data type nvarchar to float.")
	}
	s, _ := v.(string)
	return sqlval.Errorf(245, "Conversion failed when converting the nvarchar value '%s' to data type %s.", s, typeName(to))
}

func clash(v sqlval.Value, to sqlval.Column) *sqlval.Error {
	return sqlval.Errorf(206, "Operand type clash: %s is incompatible with %s", typeName(valueType(v)), typeName(to))
}

func overflow(to sqlval.Column) *sqlval.Error {
	return sqlval.Errorf(8115, "Arithmetic overflow error converting expression to data type %s.", typeName(to))
}

func intRange(t sqlval.Type) (int64, int64) {
	switch t {
	case sqlval.Int:
		return math.MinInt32, math.MaxInt32
	case sqlval.SmallInt:
		return math.MinInt16, math.MaxInt16
	case sqlval.TinyInt:
		return 0, 255
	}
	return math.MinInt64, math.MaxInt64
}

// convert converts v to the type of to, as SQL Server's implicit and explicit conversions do for
// the types the emulator knows. Strings longer than a bounded nvarchar are truncated.
func convert(v sqlval.Value, to sqlval.Column) (sqlval.Value, *sqlval.Error) {
	if v == nil {
		return nil, nil
	}
	switch to.Type {
	case sqlval.Null:
		return v, nil
	case sqlval.Int, sqlval.BigInt, sqlval.SmallInt, sqlval.TinyInt:
		var n int64
		switch x := v.(type) {
		case int64:
			n = x
		case bool:
			if x {
				n = 1
			}
		case float64:
			if x >= math.MaxInt64 || x <= math.MinInt64 || math.IsNaN(x) {
				return nil, overflow(to)
			}
			n = int64(x)
		case string:
			p, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
					return nil, overflow(to)
				}
				return nil, convFailed(v, to)
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
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, convFailed(v, to)
			}
			return n != 0, nil
		}
		return nil, clash(v, to)
	case sqlval.Float:
		switch x := v.(type) {
		case float64:
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
			if err != nil {
				return nil, convFailed(v, to)
			}
			return f, nil
		}
		return nil, clash(v, to)
	case sqlval.NVarChar:
		s, err := toString(v)
		if err != nil {
			return nil, err
		}
		if to.Size > 0 {
			s = truncateUTF16(s, to.Size)
		}
		return s, nil
	case sqlval.VarBinary:
		var b []byte
		switch x := v.(type) {
		case []byte:
			b = x
		case string:
			u := utf16.Encode([]rune(x))
			b = make([]byte, 2*len(u))
			for i, c := range u {
				b[2*i], b[2*i+1] = byte(c), byte(c>>8)
			}
		case sqlval.UUID:
			b = append([]byte(nil), x[:]...)
		case int64:
			b = []byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)}
		default:
			return nil, clash(v, to)
		}
		if to.Size > 0 && len(b) > to.Size {
			b = b[:to.Size]
		}
		return b, nil
	case sqlval.GUID:
		switch x := v.(type) {
		case sqlval.UUID:
			return x, nil
		case string:
			u, ok := parseUUID(x)
			if !ok {
				return nil, convFailed(v, to)
			}
			return u, nil
		case []byte:
			var u sqlval.UUID
			copy(u[:], x)
			return u, nil
		}
		return nil, clash(v, to)
	case sqlval.DateTime2, sqlval.DateTime, sqlval.DateTimeOffset:
		var t time.Time
		switch x := v.(type) {
		case time.Time:
			t = x
		case string:
			p, ok := parseTime(x)
			if !ok {
				return nil, convFailed(v, to)
			}
			t = p
		default:
			return nil, clash(v, to)
		}
		switch to.Type {
		case sqlval.DateTime2:
			t = wallClock(t)
		case sqlval.DateTime:
			t = wallClock(t).Truncate(time.Millisecond)
		}
		return t, nil
	}
	return v, nil
}

// wallClock keeps the wall-clock reading of t and drops its offset, as SQL Server's conversion of
// datetimeoffset to datetime2 does.
func wallClock(t time.Time) time.Time {
	if t.Location() == time.UTC {
		return t
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

func truncateUTF16(s string, n int) string {
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

// utf16Len is the length of s in UTF-16 code units, the unit of nvarchar sizes.
func utf16Len(s string) int {
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

func toString(v sqlval.Value) (string, *sqlval.Error) {
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
		if x.Location() != time.UTC {
			return x.Format("2006-01-02 15:04:05.0000000 -07:00"), nil
		}
		return x.Format("2006-01-02 15:04:05.0000000"), nil
	case []byte:
		if len(x)%2 == 1 {
			x = append(x, 0)
		}
		u := make([]uint16, len(x)/2)
		for i := range u {
			u[i] = uint16(x[2*i]) | uint16(x[2*i+1])<<8
		}
		return string(utf16.Decode(u)), nil
	}
	return "", sqlval.Errorf(206, "Operand type clash")
}

func parseUUID(s string) (sqlval.UUID, bool) {
	var u sqlval.UUID
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
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
	"20060102 15:04:05.9999999",
	"20060102",
}

func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func newUUID() sqlval.UUID {
	var u sqlval.UUID
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// rank orders types for implicit conversion (SQL Server's data type precedence, highest first).
func rank(v sqlval.Value) int {
	switch v.(type) {
	case time.Time:
		return 7
	case float64:
		return 6
	case int64:
		return 5
	case bool:
		return 4
	case sqlval.UUID:
		return 3
	case string:
		return 2
	case []byte:
		return 1
	}
	return 0
}

// compare orders two non-NULL values after converting them to the type of higher precedence.
// Strings compare case-insensitively and ignore trailing spaces, as the job database collation.
func compare(a, b sqlval.Value) (int, *sqlval.Error) {
	ra, rb := rank(a), rank(b)
	if ra != rb {
		target := a
		if rb > ra {
			target = b
		}
		col := valueType(target)
		var err *sqlval.Error
		if ra < rb {
			a, err = convert(a, col)
		} else {
			b, err = convert(b, col)
		}
		if err != nil {
			return 0, err
		}
	}
	switch x := a.(type) {
	case int64:
		return cmpOrdered(x, b.(int64)), nil
	case float64:
		return cmpOrdered(x, b.(float64)), nil
	case bool:
		return cmpOrdered(b2i(x), b2i(b.(bool))), nil
	case string:
		return compareStrings(x, b.(string)), nil
	case []byte:
		return bytes.Compare(x, b.([]byte)), nil
	case sqlval.UUID:
		return compareUUID(x, b.(sqlval.UUID)), nil
	case time.Time:
		return x.Compare(b.(time.Time)), nil
	}
	return 0, nil
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// compareUUID orders uniqueidentifiers as SQL Server does: by bytes 10–15, then 8–9, 6–7, 4–5, 0–3.
func compareUUID(a, b sqlval.UUID) int {
	for _, r := range [][2]int{{10, 16}, {8, 10}, {6, 8}, {4, 6}, {0, 4}} {
		if c := bytes.Compare(a[r[0]:r[1]], b[r[0]:r[1]]); c != 0 {
			return c
		}
	}
	return 0
}

// compareStrings compares case-insensitively, ignoring trailing spaces.
func compareStrings(a, b string) int {
	a, b = strings.TrimRight(a, " "), strings.TrimRight(b, " ")
	for a != "" && b != "" {
		ca, wa := utf8.DecodeRuneInString(a)
		cb, wb := utf8.DecodeRuneInString(b)
		if ca != cb {
			la, lb := foldRune(ca), foldRune(cb)
			if la != lb {
				if la < lb {
					return -1
				}
				return 1
			}
		}
		a, b = a[wa:], b[wb:]
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	return []rune(strings.ToLower(string(r)))[0]
}

// like matches s against a LIKE pattern with %, _ and [ ] classes, case-insensitively, in
// O(len(s)·len(pattern)) time.
func like(s, pattern string) bool {
	str := []rune(strings.ToLower(s))
	pat := compileLike([]rune(strings.ToLower(pattern)))
	si, pi, star, mark := 0, 0, -1, 0
	for si < len(str) {
		switch {
		case pi < len(pat) && pat[pi].kind != likeStar && pat[pi].match(str[si]):
			si++
			pi++
		case pi < len(pat) && pat[pi].kind == likeStar:
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pat) && pat[pi].kind == likeStar {
		pi++
	}
	return pi == len(pat)
}

const (
	likeLit = iota
	likeOne
	likeStar
	likeClass
)

type likeElem struct {
	kind  int
	r     rune
	class []rune
}

func (e likeElem) match(c rune) bool {
	switch e.kind {
	case likeOne:
		return true
	case likeClass:
		return inClass(c, e.class)
	}
	return e.r == c
}

func compileLike(p []rune) []likeElem {
	var out []likeElem
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '%':
			if len(out) == 0 || out[len(out)-1].kind != likeStar {
				out = append(out, likeElem{kind: likeStar})
			}
		case '_':
			out = append(out, likeElem{kind: likeOne})
		case '[':
			end := -1
			for j := i + 2; j < len(p); j++ {
				if p[j] == ']' {
					end = j
					break
				}
			}
			if end < 0 {
				out = append(out, likeElem{kind: likeLit, r: '['})
				continue
			}
			out = append(out, likeElem{kind: likeClass, class: p[i+1 : end]})
			i = end
		default:
			out = append(out, likeElem{kind: likeLit, r: p[i]})
		}
	}
	return out
}

func inClass(c rune, class []rune) bool {
	neg := false
	if len(class) > 0 && class[0] == '^' {
		neg, class = true, class[1:]
	}
	match := false
	for i := 0; i < len(class); i++ {
		if i+2 < len(class) && class[i+1] == '-' {
			if class[i] <= c && c <= class[i+2] {
				match = true
			}
			i += 2
			continue
		}
		if class[i] == c {
			match = true
		}
	}
	return match != neg
}

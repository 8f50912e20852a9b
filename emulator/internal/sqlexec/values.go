package sqlexec

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

func isInteger(t sqlval.Type) bool {
	switch t {
	case sqlval.Int, sqlval.BigInt, sqlval.SmallInt, sqlval.TinyInt:
		return true
	}
	return false
}

func overflow(to sqlval.Column) *sqlval.Error {
	return sqlval.Errorf(8115, "Arithmetic overflow error converting expression to data type %s.", sqlval.TypeName(to))
}

// convert converts v to the type of to, as SQL Server's implicit and explicit conversions do for
// the types the emulator knows. Strings and binaries longer than a bounded column are truncated.
func convert(v sqlval.Value, to sqlval.Column) (sqlval.Value, *sqlval.Error) {
	cv, err := sqlval.Convert(v, to)
	if err != nil || to.Size <= 0 {
		return cv, err
	}
	switch x := cv.(type) {
	case string:
		if to.Type == sqlval.NVarChar {
			cv = sqlval.Truncate(x, to.Size)
		}
	case []byte:
		if to.Type == sqlval.VarBinary && len(x) > to.Size {
			cv = x[:to.Size]
		}
	}
	return cv, nil
}

func toString(v sqlval.Value) (string, *sqlval.Error) {
	s, ok := sqlval.Text(v)
	if !ok {
		return "", sqlval.Errorf(206, "Operand type clash")
	}
	return s, nil
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
		col := sqlval.ValueType(target)
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
			la, lb := sqlval.FoldRune(ca), sqlval.FoldRune(cb)
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

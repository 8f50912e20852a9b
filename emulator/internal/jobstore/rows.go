package jobstore

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

// A committed table is never changed. The first write of a transaction to a table works on a copy
// (state.tableW) that the transaction owns and changes in place from then on, finding rows by
// primary key through an index, so a change to one row of a large table costs O(1) after that
// first copy. Deleted rows leave nil entries until the commit compacts the table.

// Match selects the rows an UPDATE or DELETE changes.
type Match struct {
	// Where reports whether a row (a copy) matches; nil matches every row.
	Where func(row []sqlval.Value) (bool, *sqlval.Error)
	// Equal holds, by column index, values that a matching row's columns equal (the WHERE
	// clause's "column = value" conjuncts). When it covers the primary key with values of the
	// columns' own types, only the row with that key is tested.
	Equal map[int]sqlval.Value
}

// change is a row written at index i of a table's rows; i < 0 for a new row.
type change struct {
	i   int
	row []sqlval.Value
}

// tableW returns the table name for writing: the working copy's own copy of it.
func (w *state) tableW(name string) (*table, *sqlval.Error) {
	t, err := w.table(name)
	if err != nil {
		return nil, err
	}
	if w.tablesOwned[t] {
		return t, nil
	}
	c := t.clone()
	w.tablesW()[tableKey(name)] = c
	if w.tablesOwned == nil {
		w.tablesOwned = map[*table]bool{}
	}
	w.tablesOwned[c] = true
	return c, nil
}

// compactTables removes the deleted rows of the tables this working copy changed, before it is
// committed.
func (w *state) compactTables() {
	for t := range w.tablesOwned {
		t.compact()
	}
}

func (t *table) hasKey() bool {
	for _, c := range t.Cols {
		if c.PrimaryKey {
			return true
		}
	}
	return false
}

// clone copies a table's rows (without deleted ones) and primary key index.
func (t *table) clone() *table {
	c := *t
	c.Rows = make([][]sqlval.Value, 0, len(t.Rows)+len(t.Rows)/4+8)
	for _, r := range t.Rows {
		if r != nil {
			c.Rows = append(c.Rows, r)
		}
	}
	c.dead, c.keys = 0, nil
	if !t.hasKey() {
		return &c
	}
	if t.keys != nil && t.dead == 0 {
		c.keys = make(map[string]int, len(t.keys)+8)
		for k, i := range t.keys {
			c.keys[k] = i
		}
		return &c
	}
	c.reindex()
	return &c
}

// reindex builds the primary key index from the rows.
func (t *table) reindex() {
	t.keys = make(map[string]int, len(t.Rows)+8)
	for i, r := range t.Rows {
		if r != nil {
			t.keys[t.rowKey(r)] = i
		}
	}
}

// compact drops the nil entries of deleted rows.
func (t *table) compact() {
	if t.dead == 0 {
		return
	}
	live := t.Rows[:0]
	for _, r := range t.Rows {
		if r != nil {
			live = append(live, r)
		}
	}
	clear(t.Rows[len(live):])
	t.Rows, t.dead = live, 0
	if t.keys != nil {
		t.reindex()
	}
}

// rowKey renders the primary key of a row under the database collation.
func (t *table) rowKey(row []sqlval.Value) string {
	var b strings.Builder
	for i, c := range t.Cols {
		if !c.PrimaryKey {
			continue
		}
		part := keyPart(row[i])
		b.WriteString(strconv.Itoa(len(part)))
		b.WriteByte(':')
		b.WriteString(part)
	}
	return b.String()
}

// keyPart renders a key value so that two values render alike exactly when they compare equal.
func keyPart(v sqlval.Value) string {
	switch x := v.(type) {
	case string:
		return sqlval.FoldKey(x)
	case sqlval.UUID:
		return x.String()
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case float64:
		if x == 0 {
			return "0"
		}
	}
	return fmt.Sprint(v)
}

// shownKey renders the primary key of a row as error 2627 shows it.
func (t *table) shownKey(row []sqlval.Value) string {
	var shown []string
	for i, c := range t.Cols {
		if c.PrimaryKey {
			shown = append(shown, fmt.Sprint(displayValue(row[i])))
		}
	}
	return strings.Join(shown, ", ")
}

// seekKey returns the primary key that every row matching m has, when m.Equal gives it.
func (t *table) seekKey(m Match) (string, bool) {
	if t.keys == nil || len(m.Equal) == 0 {
		return "", false
	}
	row := make([]sqlval.Value, len(t.Cols))
	for i, c := range t.Cols {
		if !c.PrimaryKey {
			continue
		}
		v := m.Equal[i]
		if v == nil {
			return "", false
		}
		// A value of another type compares after a conversion, which the index cannot follow.
		if cv, err := sqlval.Convert(v, c.Type); err != nil || reflect.TypeOf(cv) != reflect.TypeOf(v) {
			return "", false
		}
		row[i] = v
	}
	return t.rowKey(row), true
}

// matching calls fn with the index of every row that matches m.
func (t *table) matching(m Match, fn func(i int) *sqlval.Error) *sqlval.Error {
	test := func(i int) *sqlval.Error {
		if m.Where != nil {
			ok, err := m.Where(append([]sqlval.Value(nil), t.Rows[i]...))
			if err != nil || !ok {
				return err
			}
		}
		return fn(i)
	}
	if k, ok := t.seekKey(m); ok {
		if i, found := t.keys[k]; found {
			return test(i)
		}
		return nil
	}
	for i, r := range t.Rows {
		if r == nil {
			continue
		}
		if err := test(i); err != nil {
			return err
		}
	}
	return nil
}

// checkKeys verifies that the changed and new rows keep the primary key unique.
func (t *table) checkKeys(changes []change) *sqlval.Error {
	if t.keys == nil {
		return nil
	}
	changed := make(map[int]bool, len(changes))
	for _, c := range changes {
		if c.i >= 0 {
			changed[c.i] = true
		}
	}
	seen := make(map[string]bool, len(changes))
	for _, c := range changes {
		k := t.rowKey(c.row)
		if j, ok := t.keys[k]; (ok && !changed[j]) || seen[k] {
			return sqlval.Errorf(2627, "Violation of PRIMARY KEY constraint 'PK_%s'. Cannot insert duplicate key in object '%s.%s'. The duplicate key value is (%s).", t.Name, t.Schema, t.Name, t.shownKey(c.row))
		}
		seen[k] = true
	}
	return nil
}

// apply writes checked changes: new rows go to the end.
func (t *table) apply(changes []change) {
	if t.keys != nil {
		for _, c := range changes {
			if c.i >= 0 {
				delete(t.keys, t.rowKey(t.Rows[c.i]))
			}
		}
	}
	for _, c := range changes {
		i := c.i
		if i < 0 {
			i = len(t.Rows)
			t.Rows = append(t.Rows, c.row)
		} else {
			t.Rows[i] = c.row
		}
		if t.keys != nil {
			t.keys[t.rowKey(c.row)] = i
		}
	}
}

// remove deletes the rows at the given indexes.
func (t *table) remove(idx []int) {
	for _, i := range idx {
		if t.keys != nil {
			delete(t.keys, t.rowKey(t.Rows[i]))
		}
		t.Rows[i] = nil
		t.dead++
	}
}

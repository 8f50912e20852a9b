package jobstore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

func FuzzParseUUID(f *testing.F) {
	f.Add("6F9619FF-8B86-D011-B42D-00C04FC964FF")
	f.Add("{6f9619ff-8b86-d011-b42d-00c04fc964ff}")
	f.Add("6F9619FF8B86D011B42D00C04FC964FF")
	f.Fuzz(func(t *testing.T, s string) {
		u, ok := sqlval.ParseUUID(s)
		if !ok {
			return
		}
		back, ok := sqlval.ParseUUID(u.String())
		if !ok || back != u {
			t.Fatalf("%q → %s does not round-trip", s, u)
		}
	})
}

// parseDateTime parses s as a datetime2 value.
func parseDateTime(s string) (time.Time, bool) {
	v, err := sqlval.Convert(s, tDT2)
	tm, ok := v.(time.Time)
	return tm, err == nil && ok
}

func FuzzParseDateTime(f *testing.F) {
	f.Add("2025-01-02T03:04:05.1234567")
	f.Add("2025-01-02 03:04")
	f.Add("20250102")
	f.Add("2025-01-02T03:04:05+02:00")
	f.Fuzz(func(t *testing.T, s string) {
		tm, ok := parseDateTime(s)
		if !ok {
			return
		}
		if tm.Location() != time.UTC || tm.Nanosecond()%100 != 0 {
			t.Fatalf("%q → %v: not UTC datetime2", s, tm)
		}
		back, ok := parseDateTime(tm.Format("2006-01-02T15:04:05.9999999"))
		if !ok || !back.Equal(tm) {
			t.Fatalf("%q → %v does not round-trip", s, tm)
		}
	})
}

// FuzzCall binds fuzzed string and integer arguments to every procedure: errors are fine, panics
// and broken invariants are not.
func FuzzCall(f *testing.F) {
	f.Add("jobs.sp_add_job", "job_name", "J", "enabled", int64(1))
	f.Add("jobs.sp_add_jobstep", "job_name", "J", "step_id", int64(0))
	f.Add("jobs.sp_update_jobstep", "new_id", "x", "max_parallelism", int64(-1))
	f.Add("jobs.sp_add_target_group_member", "target_type", "SqlServer", "server_name", int64(7))
	f.Add("sp_getapplock", "LockMode", "Exclusive", "LockTimeout", int64(0))
	f.Add("jobs.sp_purge_jobhistory", "oldest_date", "2020-01-01", "job_id", int64(3))
	f.Fuzz(func(t *testing.T, proc, n1, v1 string, n2 string, v2 int64) {
		db, err := Open(Options{})
		if err != nil {
			t.Fatal(err)
		}
		s := db.NewSession()
		fixture(t, s)
		addStep(t, s, "J", "a")
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		for _, args := range [][]Arg{
			{{Name: n1, Value: v1}, {Name: n2, Value: v2}},
			{{Value: v1}, {Value: v2}, {Name: n1, Value: nil, Output: true}},
			{{Name: "job_name", Value: "J"}, {Name: n1, Value: v1}, {Name: "target_group_name", Value: "G"}, {Name: n2, Value: v2}},
		} {
			res, cerr := s.Call(ctx, proc, args)
			if cerr != nil && cerr.Message == "" {
				t.Fatalf("error without message: %#v", cerr)
			}
			for k := range res.Outputs {
				if k != strings.ToLower(k) {
					t.Fatalf("output name %q not lower case", k)
				}
			}
		}
		for name := range views {
			r := rel(t, s, name)
			for _, row := range r.Rows {
				if len(row) != len(r.Columns) {
					t.Fatalf("%s: ragged row", name)
				}
			}
		}
		s.Close()
	})
}

// FuzzLoad opens fuzzed state files: an error naming the file or a usable database, never a panic.
func FuzzLoad(f *testing.F) {
	seedPath, good := populatedStateFile(f)
	key, err := os.ReadFile(keyPath(seedPath))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/3])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "state")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyPath(path), key, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := Open(Options{StatePath: path})
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		s := db.NewSession()
		for name := range views {
			rel(t, s, name)
		}
		if _, cerr := s.Call(context.Background(), "jobs.sp_add_job", named("job_name", "fuzz")); cerr != nil && cerr.Number != 2601 {
			t.Fatalf("loaded database unusable: %v", cerr)
		}
		if bytes.Equal(data, good) {
			eq(t, len(rel(t, s, "jobs.jobs").Rows), 2)
		}
	})
}

func FuzzConvert(f *testing.F) {
	f.Add("12", int64(3), 1.5, uint8(0))
	f.Add("2025-01-01", int64(-1), 0.0, uint8(9))
	f.Fuzz(func(t *testing.T, s string, i int64, x float64, typ uint8) {
		types := []sqlval.Column{tInt, tBit, tReal, tName, tNMax, tGUID, tDT2, {Type: sqlval.TinyInt}, {Type: sqlval.VarBinary, Size: 4}}
		c := types[int(typ)%len(types)]
		for _, v := range []sqlval.Value{s, i, x, nil, true, testNow, sqlval.UUID{1}, []byte(s)} {
			got, err := convertArg(v, c)
			if err != nil {
				if got != nil || err.Message == "" {
					t.Fatalf("convert %#v to %s: value with error", v, sqlval.TypeName(c))
				}
				continue
			}
			if sv, ok := got.(string); ok && c.Size > 0 && sqlval.CharLen(sv) > c.Size {
				t.Fatalf("not truncated: %q", sv)
			}
		}
	})
}

// FuzzDecodeRecord feeds the binary job and execution codecs: whatever decodes must survive an
// encode/decode round trip unchanged.
func FuzzDecodeRecord(f *testing.F) {
	j := &job{ID: sqlval.UUID{1}, Name: "J", IntervalType: "Once", IntervalCount: 1, StartTime: minTime, EndTime: maxSchedule}
	s1 := (&step{Name: "a", CommandType: "TSql", Command: "SELECT 1", BackoffMultiplier: 2, OutputSchema: strp("dbo")}).seal()
	j.Versions = []*jobVersion{{Steps: []*step{s1}}, {Steps: []*step{s1, s1}}}
	f.Add(encodeJob(j))
	f.Add(encodeExec(&Execution{Key: 3, Lifecycle: Created, CreateTime: testNow, LastMessage: "m"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if j, err := decodeJob(b); err == nil {
			once := encodeJob(j)
			j2, err := decodeJob(once)
			if err != nil {
				t.Fatalf("re-decode: %v", err)
			}
			if !bytes.Equal(encodeJob(j2), once) || !reflect.DeepEqual(j, j2) {
				t.Fatalf("job changes in a round trip")
			}
		}
		if x, err := decodeExec(b); err == nil {
			x2, err := decodeExec(encodeExec(x))
			if err != nil || *x2 != *x {
				t.Fatalf("execution changes in a round trip: %v", err)
			}
		}
	})
}

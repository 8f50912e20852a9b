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

// populate builds a database with something of every kind.
func populate(t testing.TB, db *DB) {
	t.Helper()
	s := db.NewSession()
	defer s.Close()
	fixture(t, s)
	if err := s.CreateMasterKey("pw"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCredential("c", "u", "secret"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSchema("ejops"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTable("ejops", "inv", []ColumnDef{{Name: "id", Type: tGUID, PrimaryKey: true}, {Name: "at", Type: tDT2}, {Name: "b", Type: tBit}, {Name: "note", Type: tNMax, Default: "d"}, {Name: "f", Type: tReal}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Insert("ejops.inv", nil, [][]sqlval.Value{{sqlval.NewUUID(), testNow, true, nil, 1.5}, {sqlval.NewUUID(), nil, nil, "x", nil}}); err != nil {
		t.Fatal(err)
	}
	addStep(t, s, "J", "a", "credential_name", "c", "max_parallelism", int64(3))
	addStep(t, s, "J", "b", "output_type", "SqlDatabase", "output_server_name", "s", "output_database_name", "d", "output_table_name", "t")
	mustCall(t, s, "jobs.sp_add_job", "job_name", "Gone")
	mustCall(t, s, "jobs.sp_delete_job", "job_name", "Gone")
	je := mustCall(t, s, "jobs.sp_start_job", "job_name", "J", "job_execution_id out", nil).Outputs["job_execution_id"].(sqlval.UUID)
	mustCall(t, s, "jobs.sp_stop_job", "job_execution_id", je)
	root := db.Executions(nil)[0]
	if _, err := db.AddExecution(context.Background(), Execution{Parent: root.Key, StepID: 1, Lifecycle: InProgress, StartTime: testNow}); err != nil {
		t.Fatal(err)
	}
}

func allRelations(t testing.TB, db *DB) map[string]*Relation {
	t.Helper()
	s := db.NewSession()
	out := map[string]*Relation{}
	for name := range views {
		out[name] = rel(t, s, name)
	}
	out["ejops.inv"] = rel(t, s, "ejops.inv")
	return out
}

func TestPersistRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	db, err := Open(Options{StatePath: path, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, db)
	before := allRelations(t, db)
	db.Close()
	db2, err := Open(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	after := allRelations(t, db2)
	for name, r := range before {
		if !reflect.DeepEqual(r, after[name]) {
			t.Errorf("%s differs after reload:\n before %v\n after  %v", name, r.Rows, after[name].Rows)
		}
	}
	// The reloaded database keeps working: names, indexes and sequence numbers were restored.
	s := db2.NewSession()
	callErr(t, s, "jobs.sp_add_job", "job_name", "j")
	mustCall(t, s, "jobs.sp_add_job", "job_name", "Gone")
	addStep(t, s, "J", "c")
	eq(t, rowsOf(t, rel(t, s, "jobs.jobs"), "job_name", "job_version"), []string{"J|3", "Gone|0"})
	if _, ok := db2.CancelRequested(db2.Executions(nil)[0].ExecutionID); !ok {
		t.Fatal("cancellation lost")
	}
	// No temp files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 3 {
		t.Fatalf("want the state, key and lock files, have %v", entries)
	}
}

// populatedStateFile writes a state file with something of every kind and returns its path and
// content.
func populatedStateFile(t testing.TB) (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	db, err := Open(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, db)
	db.Close()
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, good
}

func TestPersistCorruptFile(t *testing.T) {
	path, good := populatedStateFile(t)
	for name, data := range map[string][]byte{
		"torn":     good[:len(good)/2],
		"empty":    {},
		"garbage":  []byte("{not a state file"),
		"trailing": append(append([]byte(nil), good...), 0x01, 0x02),
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(Options{StatePath: path})
			if err == nil || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "in use") {
				t.Fatalf("want a corruption error naming %s, got %v", path, err)
			}
		})
	}
	// A corrupt key file is reported as well.
	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath(path), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{StatePath: path}); err == nil || !strings.Contains(err.Error(), keyPath(path)) {
		t.Fatalf("want key file error, got %v", err)
	}
}

func TestPersistFailureRollsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	db, err := Open(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	s := db.NewSession()
	mustCall(t, s, "jobs.sp_add_job", "job_name", "A")
	// A non-empty directory where the state file goes makes the rename fail, even for root.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(path, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	err2 := callErr(t, s, "jobs.sp_add_job", "job_name", "B")
	if err2.Number != 3314 || !strings.Contains(err2.Message, path) {
		t.Fatalf("want 3314 naming the file, got %v", err2)
	}
	eq(t, rowsOf(t, rel(t, s, "jobs.jobs"), "job_name"), []string{"A"})
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 3 { // the state (now a directory), its key and its lock
		t.Fatalf("temp file left behind: %v", entries)
	}
}

func TestPersistColumnDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	db, err := Open(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	cols := []ColumnDef{{Name: "id", Type: tGUID, PrimaryKey: true, DefaultExpr: "NEWID()"}, {Name: "n", Type: tNMax, Default: "d"}}
	s := db.NewSession()
	if err := s.CreateTable("dbo", "t", cols); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db.Close()
	db2, err := Open(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	got, serr := db2.NewSession().TableColumns("t")
	if serr != nil {
		t.Fatal(serr)
	}
	cols[0].Type.Nullable = false
	if !reflect.DeepEqual(got, cols) {
		t.Fatalf("columns after reload = %+v, want %+v", got, cols)
	}
	if _, serr := db2.NewSession().TableColumns("jobs.jobs"); serr == nil || serr.Number != 208 {
		t.Fatalf("view: %v", serr)
	}
}

func TestStateFileIsLockedWhileOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	db, err := Open(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{StatePath: path}); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second open of the same state file: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(Options{StatePath: path})
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	again.Close()
}

func TestStatePathIsADirectory(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(Options{StatePath: dir}); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("a directory as state file: %v", err)
	}
	if _, err := os.Stat(dir + ".lock"); err == nil {
		t.Fatal("a lock file was left beside the directory")
	}
}

// Any byte of a state file damaged after it was written makes Open refuse the file, naming it;
// without the checksum most such changes loaded silently (a member, a row or a command lost).
func TestPersistRefusesEveryFlippedByte(t *testing.T) {
	path, good := populatedStateFile(t)
	step := max(1, len(good)/200)
	for at := 0; at < len(good); at += step {
		for _, mask := range []byte{0x01, 0xFF} {
			bad := append([]byte(nil), good...)
			bad[at] ^= mask
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := Open(Options{StatePath: path})
			if err == nil {
				db.Close()
				t.Fatalf("byte %d of %d xor %#x: the damaged file loaded", at, len(good), mask)
			}
			if !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "in use") {
				t.Fatalf("byte %d: want an error naming %s, got %v", at, path, err)
			}
		}
	}
	// A damaged body is reported as such.
	bad := append([]byte(nil), good...)
	bad[len(bad)/2] ^= 0x20
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{StatePath: path}); err == nil || !strings.Contains(err.Error(), "checksum does not match") {
		t.Fatalf("damaged body: %v", err)
	}
}

// A state file of format 1 (no checksum) is still read, and the next commit rewrites it with one.
func TestPersistReadsFormat1(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "jobdb.state")
	for _, name := range []string{"jobdb.state", "jobdb.state.key"} {
		b, err := os.ReadFile(filepath.Join("testdata", "state-v1", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old, _ := os.ReadFile(path)
	if !bytes.Contains(old, []byte(stateFormatV1)) {
		t.Fatal("the fixture is not a format 1 file")
	}
	db, err := Open(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := db.NewSession()
	eq(t, rowsOf(t, rel(t, s, "jobs.jobs"), "job_name", "job_version"), []string{"J|2"})
	eq(t, len(rel(t, s, "ejops.inv").Rows), 2)
	if _, secret, ok := db.Credential("c"); !ok || secret != "secret" {
		t.Fatal("the sealed credential was not read back")
	}
	mustCall(t, s, "jobs.sp_add_job", "job_name", "K")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sf, err := readStateFile(f)
	if err != nil {
		t.Fatalf("rewritten file: %v", err)
	}
	eq(t, len(sf.Jobs), 3)
	if n, err := checkSum(f); err != nil || n <= 0 {
		t.Fatalf("the rewritten file has no valid checksum: %d, %v", n, err)
	}
}

// Temporary files that a process stopped in the middle of a save left behind are removed at
// Open; other files are left alone.
func TestOpenRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	stale := []string{"state.tmp123", "state.key.tmp9"}
	kept := []string{"state.tmpnotes", "other.tmp123", "state.tmp", "state.lock.tmp1"}
	for _, n := range append(append([]string(nil), stale...), kept...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("half a save"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			t.Errorf("%s was left behind", n)
		}
	}
	for _, n := range kept {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s was removed: %v", n, err)
		}
	}
}

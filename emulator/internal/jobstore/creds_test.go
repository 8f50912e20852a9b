package jobstore

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ejops/ejops/emulator/internal/sqlval"
)

const sentinel = "S3ntinel-Secret-7f1c"

func TestCredentials(t *testing.T) {
	db := openTest(t)
	s := db.NewSession()
	wantErr(t, s.CreateCredential("c", "u", sentinel), 15581,
		"Please create a master key in the database or open the master key in the session before performing this operation.")
	if err := s.CreateMasterKey("pw"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.CreateMasterKey("pw"), 15578, "There is already a master key in the database. Please drop it before performing this statement.")
	if err := s.CreateCredential("JobCred", "jobuser", sentinel); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.CreateCredential("jobcred", "x", "y"), 15530, "The database scoped credential with name \"jobcred\" already exists.")
	wantErr(t, s.AlterCredential("nope", "x", "y"), 15151, "Cannot alter the credential 'nope', because it does not exist or you do not have permission.")
	wantErr(t, s.DropCredential("nope"), 15151, "Cannot drop the credential 'nope', because it does not exist or you do not have permission.")
	if err := s.CreateCredential("other", "o", ""); err != nil {
		t.Fatal(err)
	}
	eq(t, rowsOf(t, rel(t, s, "sys.database_scoped_credentials"), "name", "credential_id", "credential_identity", "target_id"),
		[]string{"JobCred|65536|jobuser|0", "other|65537|o|0"})
	id, sec, ok := db.Credential("JOBCRED")
	eq(t, []any{id, sec, ok}, []any{"jobuser", sentinel, true})
	if err := s.AlterCredential("jobcred", "user2", ""); err != nil {
		t.Fatal(err)
	}
	id, sec, _ = db.Credential("jobcred")
	eq(t, []any{id, sec}, []any{"user2", ""}) // ALTER without SECRET clears it [D]
	if err := s.DropCredential("OTHER"); err != nil {
		t.Fatal(err)
	}
	eq(t, rowsOf(t, rel(t, s, "sys.database_scoped_credentials"), "name"), []string{"JobCred"})
}

// TestSecretNeverShown puts a sentinel secret everywhere a credential can appear and looks for it
// in every relation, error, printed value and the state file.
func TestSecretNeverShown(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	db, err := Open(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	s := db.NewSession()
	if err := s.CreateMasterKey(sentinel); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCredential("c", "u", sentinel); err != nil {
		t.Fatal(err)
	}
	fixture(t, s)
	addStep(t, s, "J", "a", "credential_name", "c")
	var seen []string
	seen = append(seen, s.CreateCredential("c", "u", sentinel).Error(), callErr(t, s, "jobs.sp_add_job", "job_name", "J").Error())
	for name := range views {
		seen = append(seen, fmt.Sprintf("%v", rel(t, s, name).Rows))
	}
	st := db.snapshot()
	seen = append(seen, fmt.Sprintf("%v %+v %#v", st.Credentials["c"], *st.Credentials["c"], *st.Credentials["c"]),
		fmt.Sprintf("%v %#v", st.MasterKey, *st.MasterKey), fmt.Sprint(db), fmt.Sprintf("%+v", s))
	for _, x := range seen {
		if strings.Contains(x, sentinel) {
			t.Fatalf("secret shown in %q", x)
		}
	}
	for _, f := range []string{path, keyPath(path)} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(sentinel)) {
			t.Fatalf("secret in plain text in %s", f)
		}
	}
	// It survives a reopen (unsealed with the key file).
	db.Close()
	db2, err := Open(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	_, sec, _ := db2.Credential("c")
	eq(t, sec, sentinel)
	db2.Close()
	// Without the key file the sealed secret cannot be opened: an error, not a silent loss.
	if err := os.Remove(keyPath(path)); err != nil {
		t.Fatal(err)
	}
	_, err = Open(Options{StatePath: path})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("want error naming %s, got %v", path, err)
	}
}

func TestUserTables(t *testing.T) {
	s := openTest(t).NewSession()
	wantErr(t, s.CreateTable("ejops", "inventory", nil), 2760, "The specified schema name \"ejops\" either does not exist or you do not have permission to use it.")
	if err := s.CreateSchema("ejops"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.CreateSchema("EJOPS"), 2714, "There is already an object named 'EJOPS' in the database.")
	wantErr(t, s.CreateSchema("dbo"), 2714, "There is already an object named 'dbo' in the database.")
	cols := []ColumnDef{
		{Name: "kind", Type: nvarchar(20), PrimaryKey: true},
		{Name: "name", Type: nvarchar(128), PrimaryKey: true},
		{Name: "owner", Type: sqlval.Column{Type: sqlval.NVarChar, Size: 10}, Default: "ejops"},
		{Name: "n", Type: tInt},
	}
	if err := s.CreateTable("ejops", "inventory", cols); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.CreateTable("EJOPS", "Inventory", cols), 2714, "There is already an object named 'Inventory' in the database.")
	n, err := s.Insert("ejops.inventory", []string{"kind", "NAME", "n"}, [][]sqlval.Value{{"job", "A", "1"}, {"job", "B", nil}})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, n, int64(2))
	_, err = s.Insert("ejops.inventory", []string{"kind", "name"}, [][]sqlval.Value{{"JOB", "a"}})
	wantErr(t, err, 2627, "Violation of PRIMARY KEY constraint 'PK_inventory'. Cannot insert duplicate key in object 'ejops.inventory'. The duplicate key value is (JOB, a).")
	_, err = s.Insert("ejops.inventory", []string{"kind"}, [][]sqlval.Value{{"job"}})
	wantErr(t, err, 515, "Cannot insert the value NULL into column 'name', table 'jobdb.ejops.inventory'; column does not allow nulls. INSERT fails.")
	_, err = s.Insert("ejops.inventory", nil, [][]sqlval.Value{{"job", "C", "this is too long", nil}})
	wantErr(t, err, 8152, "String or binary data would be truncated.")
	_, err = s.Insert("ejops.inventory", []string{"nope"}, [][]sqlval.Value{{1}})
	wantErr(t, err, 207, "Invalid column name 'nope'.")
	_, err = s.Insert("ejops.missing", nil, nil)
	wantErr(t, err, 208, "Invalid object name 'ejops.missing'.")
	// A failing multi-row insert inserts nothing.
	_, err = s.Insert("ejops.inventory", []string{"kind", "name"}, [][]sqlval.Value{{"tg", "X"}, {"tg", nil}})
	wantErr(t, err, 515, "Cannot insert the value NULL into column 'name', table 'jobdb.ejops.inventory'; column does not allow nulls. INSERT fails.")
	eq(t, rowsOf(t, rel(t, s, "EJOPS.INVENTORY"), "kind", "name", "owner", "n"), []string{"job|A|ejops|1", "job|B|ejops|NULL"})

	byName := func(name string) func([]sqlval.Value) (bool, *sqlval.Error) {
		return func(r []sqlval.Value) (bool, *sqlval.Error) { return r[1] == name, nil }
	}
	n, err = s.Update("ejops.inventory", byName("B"), func(r []sqlval.Value) ([]sqlval.Value, *sqlval.Error) {
		r[3] = int64(7)
		return r, nil
	})
	eq(t, []any{n, err == nil}, []any{int64(1), true})
	_, err = s.Update("ejops.inventory", byName("B"), func(r []sqlval.Value) ([]sqlval.Value, *sqlval.Error) {
		r[1] = "a"
		return r, nil
	})
	wantErr(t, err, 2627, "Violation of PRIMARY KEY constraint 'PK_inventory'. Cannot insert duplicate key in object 'ejops.inventory'. The duplicate key value is (job, a).")
	n, err = s.Delete("ejops.inventory", byName("A"))
	eq(t, []any{n, err == nil}, []any{int64(1), true})
	eq(t, rowsOf(t, rel(t, s, "ejops.inventory"), "name", "n"), []string{"B|7"})
	wantErr(t, s.DropTable("ejops.nope"), 3701, "Cannot drop the table 'ejops.nope', because it does not exist or you do not have permission.")
	if err := s.DropTable("ejops.inventory"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Relation("ejops.inventory")
	wantErr(t, err, 208, "Invalid object name 'ejops.inventory'.")
	// dbo tables work unqualified for writes and qualified for reads.
	if err := s.CreateTable("dbo", "t", []ColumnDef{{Name: "a", Type: tInt}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Insert("t", nil, [][]sqlval.Value{{int64(1)}}); err != nil {
		t.Fatal(err)
	}
	eq(t, len(rel(t, s, "dbo.t").Rows), 1)
}

func TestIdentifierLength(t *testing.T) {
	s := openTest(t).NewSession()
	long := strings.Repeat("a", 129)
	msg := "The identifier that starts with '" + long[:128] + "' is too long. Maximum length is 128."
	wantErr(t, s.CreateSchema(long), 103, msg)
	wantErr(t, s.CreateTable("dbo", long, []ColumnDef{{Name: "a", Type: tInt}}), 103, msg)
	wantErr(t, s.CreateTable("dbo", "t", []ColumnDef{{Name: long, Type: tInt}}), 103, msg)
	wantErr(t, s.CreateCredential(long, "i", ""), 103, msg)
	if err := s.CreateTable("dbo", "t", []ColumnDef{{Name: "a", Type: tInt}, {Name: "A", Type: tInt}}); err == nil || err.Number != 2705 {
		t.Fatalf("duplicate column: %v", err)
	}
}

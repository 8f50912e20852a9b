package jobdb

import (
	"errors"
	"strings"
	"testing"

	"github.com/microsoft/go-mssqldb/msdsn"

	"github.com/ejops/ejops/emulator"
)

func TestQuoting(t *testing.T) {
	cases := map[string][2]string{
		"plain":    {"[plain]", "N'plain'"},
		"br]ack[":  {"[br]]ack[]", "N'br]ack['"},
		"it's; --": {"[it's; --]", "N'it''s; --'"},
		"日本":       {"[日本]", "N'日本'"},
	}
	for in, want := range cases {
		if got := QuoteName(in); got != want[0] {
			t.Errorf("QuoteName(%q) = %s, want %s", in, got, want[0])
		}
		if got := QuoteString(in); got != want[1] {
			t.Errorf("QuoteString(%q) = %s, want %s", in, got, want[1])
		}
	}
}

func TestOpenKeepsPasswordsOutOfErrors(t *testing.T) {
	_, err := Open("sqlserver://user:Sup3rSecret@host:notaport?database=jobdb", nil)
	if err == nil {
		t.Fatal("an address with a bad port was accepted")
	}
	if strings.Contains(err.Error(), "Sup3rSecret") {
		t.Fatalf("error shows the password: %v", err)
	}
	if _, err := Open("mysql://x", nil); err == nil || !strings.Contains(err.Error(), "sqlserver://") {
		t.Fatalf("unknown scheme: %v", err)
	}
	if _, err := Open("", nil); err == nil {
		t.Fatal("embedded without an opener must fail")
	}
	if got := redact(errors.New("bad user:pw in sqlserver://user:pw@h"), "sqlserver://user:pw@h"); strings.Contains(got.Error(), "pw") {
		t.Fatalf("redact left the password: %v", got)
	}
	for _, dsn := range []string{
		`sqlserver://ejops:S3ntinel\XYZ@127.0.0.1:x?database=jobdb`,
		`sqlserver://ejops:S3ntinel "XYZ@127.0.0.1:x?database=jobdb`,
		`sqlserver://127.0.0.1:x?database=jobdb&user+id=ejops&password=S3ntinel-XYZ`,
		`azuresql://srv.database.windows.net:x?database=jobdb&user+id=appid@tenant&password=S3ntinel-XYZ`,
		`sqlserver://ejops:S3ntinel@XYZ@127.0.0.1:notaport`,
	} {
		_, err := Open(dsn, nil)
		if err == nil || strings.Contains(err.Error(), "S3ntinel") || strings.Contains(err.Error(), "XYZ") {
			t.Errorf("Open(%q): %v", dsn, err)
		}
	}
}

func TestConnectionURL(t *testing.T) {
	cases := []struct {
		dsn, host, db, fedauth string
		entra                  bool
	}{
		{"sqlserver://u:p@h1:1433?database=jobdb", "h1", "jobdb", "", false},
		{"azuresql://myserver.database.windows.net?database=jobdb", "myserver.database.windows.net", "jobdb", "ActiveDirectoryDefault", true},
		{"azuresql://myserver.database.windows.net?database=jobdb&fedauth=ActiveDirectoryManagedIdentity", "myserver.database.windows.net", "jobdb", "ActiveDirectoryManagedIdentity", true},
		{"sqlserver://app%40tenant:s@srv.database.windows.net?database=jobdb&fedauth=ActiveDirectoryServicePrincipal", "srv.database.windows.net", "jobdb", "ActiveDirectoryServicePrincipal", true},
	}
	for _, c := range cases {
		entra, u, err := connectionURL(c.dsn)
		if err != nil {
			t.Fatalf("%s: %v", c.dsn, err)
		}
		cfg, err := msdsn.Parse(u)
		if err != nil {
			t.Fatalf("%s: go-mssqldb cannot read %s: %v", c.dsn, u, err)
		}
		if entra != c.entra || cfg.Host != c.host || cfg.Database != c.db || cfg.Parameters["fedauth"] != c.fedauth {
			t.Errorf("%s: entra %t host %q database %q fedauth %q", c.dsn, entra, cfg.Host, cfg.Database, cfg.Parameters["fedauth"])
		}
	}
	if _, _, err := connectionURL("azuresql://?database=x"); err == nil {
		t.Error("an address without a server was accepted")
	}
}

// TestReadNamesTheJobDatabase: the one read round trip also names the job database and says
// whether the login can read the credentials; a reader login without CONTROL sees none.
func TestReadNamesTheJobDatabase(t *testing.T) {
	em, err := emulator.New(emulator.Options{ServerName: "jobs-east", Logins: []emulator.Login{{Name: "jobs_reader", Password: "reader-pw", Role: emulator.RoleReader}}})
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()
	addr, err := em.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	setup := "CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Test-master-key-1'; CREATE DATABASE SCOPED CREDENTIAL c WITH IDENTITY = 'u', SECRET = 's'"
	if err := exec(t, em.DSN(addr), setup); err != nil {
		t.Fatal(err)
	}
	for dsn, hidden := range map[string]bool{em.DSN(addr): false, em.LoginDSN("jobs_reader", addr): true} {
		db, err := Open(dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		st, err := db.Read(t.Context())
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		if st.Server != "jobs-east" || st.Database != emulator.Database || st.CredentialsHidden != hidden || (len(st.Credentials) == 0) != hidden {
			t.Errorf("hidden %t: server %q database %q hidden %t, %d credentials", hidden, st.Server, st.Database, st.CredentialsHidden, len(st.Credentials))
		}
	}
}

func exec(t *testing.T, dsn, stmt string) error {
	db, err := Open(dsn, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.sql.ExecContext(t.Context(), stmt)
	return err
}

func TestGUIDString(t *testing.T) {
	u, err := ParseExecutionID("6f9619ff-8b86-d011-b42d-00c04fc964ff")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := guidString(u), u.String(); got != want || got != "6F9619FF-8B86-D011-B42D-00C04FC964FF" {
		t.Fatalf("guidString = %s, String = %s", got, want)
	}
	for _, bad := range []string{"", "6f9619ff8b86d011b42d00c04fc964ff", "6f9619ff-8b86-d011-b42d-00c04fc964fg", "6f9619ff-8b86-d011-b42d00-c04fc964ff"} {
		if _, err := ParseExecutionID(bad); err == nil {
			t.Errorf("ParseExecutionID(%q) accepted", bad)
		}
	}
}

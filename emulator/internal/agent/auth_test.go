package agent

import (
	"strings"
	"testing"
)

// credStack is a stack whose job database has a master key and the credentials job_cred (user
// job_user) and refresh_cred (user refresh_user).
func credStack(t *testing.T, f *Fleet) *stack {
	t.Helper()
	s := newStack(t, f)
	s.exec("CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Str0ng!master-key'")
	s.exec("CREATE DATABASE SCOPED CREDENTIAL job_cred WITH IDENTITY = 'job_user', SECRET = 'pw-1'")
	s.exec("CREATE DATABASE SCOPED CREDENTIAL refresh_cred WITH IDENTITY = 'refresh_user', SECRET = 'pw-2'")
	return s
}

// poolGroup creates the target group g of the elastic pool s/p, with refresh as its refresh
// credential ("" for none).
func (s *stack) poolGroup(refresh string) {
	s.t.Helper()
	s.exec("EXEC jobs.sp_add_target_group @target_group_name = N'g'")
	q := "EXEC jobs.sp_add_target_group_member @target_group_name = N'g', @target_type = N'SqlElasticPool', @server_name = N's', @elastic_pool_name = N'p'"
	if refresh != "" {
		q += ", @refresh_credential_name = N'" + refresh + "'"
	}
	s.exec(q)
}

func tenantPool(auth string, logins ...[]string) *Fleet {
	var dbs []Database
	for i, l := range logins {
		dbs = append(dbs, Database{Name: "t" + string(rune('1'+i)), Logins: l})
	}
	return &Fleet{Authentication: auth, Servers: []Server{{Name: "s", ElasticPools: []ElasticPool{{Name: "p", Databases: dbs}}}}}
}

// In credential mode, a tenant database without the job user fails that database alone, with
// the login failure ("Elastic jobs in Azure SQL Database", section "Elastic job authentication":
// each target database needs a user for the credential's identity).
func TestCredentialModeMissingJobUserFailsThatDatabaseOnly(t *testing.T) {
	s := credStack(t, tenantPool(AuthCredential, []string{"job_user"}, []string{"other_user"}, nil))
	s.poolGroup("refresh_cred")
	s.job("j", "one g @retry_attempts = 0, @credential_name = N'job_cred'")
	id := s.start("j")
	s.advance(0)
	got := summary(targets(s.tree(id), 1))
	want := "1 SqlDatabase t1 Succeeded \n" +
		"1 SqlDatabase t2 Failed Msg 18456, Level 14, State 1: Login failed for user 'job_user'.\n" +
		"1 SqlDatabase t3 Succeeded \n"
	if got != want {
		t.Errorf("targets:\n%s\nwant:\n%s", got, want)
	}
}

// TestCredentialModeStepFailures: in credential mode a step without a credential, with a
// dropped one, or with an output but no output credential fails on its target ("Elastic jobs in
// Azure SQL Database", section "Elastic job authentication").
func TestCredentialModeStepFailures(t *testing.T) {
	cases := map[string]struct {
		step, before string
		want         []string
	}{
		"no credential":      {"", "", []string{"names no credential (@credential_name)"}},
		"dropped credential": {", @credential_name = N'job_cred'", "DROP DATABASE SCOPED CREDENTIAL job_cred", []string{"Msg 15151", "'job_cred'"}},
		"output without credential": {", @credential_name = N'job_cred', @output_type = N'SqlDatabase', @output_server_name = N's', @output_database_name = N'out', @output_table_name = N'r'",
			"", []string{"@output_credential_name"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := credStack(t, tenantPool(AuthCredential, nil))
			s.poolGroup("refresh_cred")
			s.job("j", "one g @retry_attempts = 0"+c.step)
			if c.before != "" {
				s.exec(c.before)
			}
			id := s.start("j")
			s.advance(0)
			tg := targets(s.tree(id), 1)
			if len(tg) != 1 || tg[0].Lifecycle != "Failed" {
				t.Fatalf("targets = %v", tg)
			}
			for _, w := range c.want {
				if !strings.Contains(tg[0].Message, w) {
					t.Errorf("message %q lacks %q", tg[0].Message, w)
				}
			}
			wantLife(t, "root", root(s.tree(id)), "Failed")
		})
	}
}

func TestCredentialModePoolWithoutRefreshCredentialFailsEnumeration(t *testing.T) {
	s := credStack(t, tenantPool(AuthCredential, nil))
	s.poolGroup("")
	s.job("j", "one g @retry_attempts = 0, @credential_name = N'job_cred'")
	id := s.start("j")
	s.advance(0)
	rows := s.tree(id)
	if tg := targets(rows, 1); len(tg) != 0 {
		t.Errorf("targets = %v", tg)
	}
	for _, r := range rows {
		if r.Type == "SqlElasticPool" && (r.Lifecycle != "Failed" || !strings.Contains(r.Message, "@refresh_credential_name")) {
			t.Errorf("enumeration row = %s", r)
		}
	}
	wantLife(t, "root", root(rows), "Failed")
}

// In managed identity mode the credentials may be omitted; the managed identity's user must
// exist where the database declares its users.
func TestManagedIdentityMode(t *testing.T) {
	f := tenantPool(AuthManagedIdentity, []string{"ejops-agent"}, []string{"job_user"})
	f.Identity = "ejops-agent"
	s := credStack(t, f)
	s.poolGroup("")
	s.job("j", "one g @retry_attempts = 0")
	id := s.start("j")
	s.advance(0)
	want := "1 SqlDatabase t1 Succeeded \n1 SqlDatabase t2 Failed Msg 18456, Level 14, State 1: Login failed for user '<token-identified principal>'.\n"
	if got := summary(targets(s.tree(id), 1)); got != want {
		t.Errorf("targets:\n%s\nwant:\n%s", got, want)
	}
}

func TestParseFleetAuthentication(t *testing.T) {
	f, err := ParseFleet("f.yaml", []byte("authentication: DatabaseScopedCredential\nservers:\n  - name: s\n    databases:\n      - {name: d, logins: [job_user]}\n      - {name: e, logins: []}\n      - x\n"))
	if err != nil {
		t.Fatal(err)
	}
	dbs := f.Servers[0].Databases
	if f.Authentication != AuthCredential || len(dbs[0].Logins) != 1 || dbs[1].Logins == nil || len(dbs[1].Logins) != 0 || dbs[2].Logins != nil {
		t.Errorf("fleet = %+v", f)
	}
	if _, err := ParseFleet("f.yaml", []byte("authentication: Password\n")); err == nil || !strings.Contains(err.Error(), `f.yaml:1:17: authentication must be DatabaseScopedCredential or ManagedIdentity, not "Password"`) {
		t.Errorf("err = %v", err)
	}
}

// A fleet without an authentication field runs in credential mode, the default of an agent
// without a user-assigned managed identity ("Elastic jobs in Azure SQL Database",
// https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-overview, section "Elastic
// job authentication"): a step without a credential fails, one with a credential runs.
func TestFleetWithoutAuthenticationChecksCredentials(t *testing.T) {
	f, err := ParseFleet("f.yaml", []byte("servers:\n  - name: s\n    elasticPools:\n      - {name: p, databases: [t1]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := credStack(t, f)
	s.poolGroup("refresh_cred")
	s.job("bare", "one g @retry_attempts = 0")
	s.job("cred", "one g @retry_attempts = 0, @credential_name = N'job_cred'")
	bare, cred := s.start("bare"), s.start("cred")
	s.advance(0)
	if tg := targets(s.tree(bare), 1); len(tg) != 1 || tg[0].Lifecycle != "Failed" || !strings.Contains(tg[0].Message, "@credential_name") {
		t.Errorf("step without a credential: %v", tg)
	}
	wantLife(t, "root with a credential", root(s.tree(cred)), "Succeeded")
}

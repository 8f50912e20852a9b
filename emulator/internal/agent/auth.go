package agent

import (
	"fmt"
	"strings"
)

// Authentication modes of the agent, as the fleet file's authentication field names them.
//
// [D] An elastic job agent authenticates to its targets either with database scoped credentials
// named by the job steps (@credential_name), the outputs (@output_credential_name) and the server
// and pool members (@refresh_credential_name, to enumerate databases), or with its Microsoft Entra
// user-assigned managed identity, where those parameters may be omitted; each target database
// needs a user for the credential's identity or the managed identity ("Elastic jobs in Azure SQL
// Database", https://learn.microsoft.com/azure/azure-sql/database/elastic-jobs-overview, section
// "Elastic job authentication"; "jobs.sp_add_jobstep (Azure Elastic Jobs) (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-jobstep-elastic-jobs-transact-sql;
// "jobs.sp_add_target_group_member (Azure Elastic Jobs) (Transact-SQL)",
// https://learn.microsoft.com/sql/relational-databases/system-stored-procedures/sp-add-target-group-member-elastic-jobs-transact-sql).
//
// Assumed: the texts of the failures (see the functions below) [I]; the checks happen when the step
// enumerates its targets, so a credential dropped after the step was added fails the step's next
// run [I]. A fleet without an authentication field runs in AuthCredential mode, the service's
// default and the Agent spec's [D]; without a fleet nothing is checked.
const (
	AuthCredential      = "DatabaseScopedCredential"
	AuthManagedIdentity = "ManagedIdentity"
)

// authMode is the mode a fleet's authentication field selects: AuthCredential when it is empty.
func authMode(field string) string {
	if field == "" {
		return AuthCredential
	}
	return field
}

// tokenPrincipal is the user name SQL Server prints in a failed Microsoft Entra token login. [I]
const tokenPrincipal = "<token-identified principal>"

// credentialMissing is the failure of a credential that does not exist: [I] SQL Server's Msg 15151
// text for a credential.
func credentialMissing(name string) string {
	return fmt.Sprintf("Msg 15151, Level 16, State 1: Cannot find the CREDENTIAL '%s', because it does not exist or you do not have permission.", name)
}

// loginFailure returns why an attempt of step s cannot connect to the fleet database fd
// (nil: not in the fleet), or "" when it connects.
func (a *Agent) loginFailure(ix *fleetIndex, s *stepDef, fd *fleetDB) string {
	if ix == nil {
		return ""
	}
	user, shown := ix.identity, tokenPrincipal
	switch {
	case s.Credential != "":
		id, _, ok := a.db.Credential(s.Credential)
		if !ok {
			return credentialMissing(s.Credential)
		}
		user, shown = id, id
	case ix.auth == AuthCredential:
		return fmt.Sprintf("The job agent authenticates with database scoped credentials, but step %d (%s) names no credential (@credential_name).", s.StepID, s.Name)
	}
	if s.OutputType != "" && ix.auth == AuthCredential {
		if s.OutputCred == "" {
			return fmt.Sprintf("The job agent authenticates with database scoped credentials, but step %d (%s) writes output with no output credential (@output_credential_name).", s.StepID, s.Name)
		}
		if _, _, ok := a.db.Credential(s.OutputCred); !ok {
			return credentialMissing(s.OutputCred)
		}
	}
	if fd != nil && !fd.HasLogin(user) {
		// [I] The most reported failure of the service: a database added to a pool or server
		// without the job user.
		return fmt.Sprintf("Msg 18456, Level 14, State 1: Login failed for user '%s'.", shown)
	}
	return ""
}

// hasLogin reports whether user is one of logins (case-insensitive, as user names are under the
// default collation); an empty user has no login.
func hasLogin(logins []string, user string) bool {
	for _, l := range logins {
		if user != "" && strings.EqualFold(l, user) {
			return true
		}
	}
	return false
}

// refreshFailure returns why a server or pool member cannot be enumerated, or "": in credential
// mode it needs a refresh credential that exists.
func (a *Agent) refreshFailure(ix *fleetIndex, m member) string {
	if ix == nil || ix.auth != AuthCredential {
		return ""
	}
	if m.Refresh == "" {
		return fmt.Sprintf("Failed to enumerate databases: the job agent authenticates with database scoped credentials, but the %s member '%s' names no refresh credential (@refresh_credential_name).", m.Type, m.Server)
	}
	if _, _, ok := a.db.Credential(m.Refresh); !ok {
		return "Failed to enumerate databases: " + credentialMissing(m.Refresh)
	}
	return ""
}

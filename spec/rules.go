package spec

import (
	"fmt"
	"strings"
)

// Codes of the loader's and checker's diagnostics. They are stable: CI filters and SARIF alerts key on them.
const (
	CodeRead          = "SPEC001" // a path or file cannot be read
	CodeNoSpecs       = "SPEC002" // a folder holds no *.yaml or *.yml file
	CodeTooLarge      = "SPEC003" // a file is larger than MaxFileSize
	CodeEncoding      = "SPEC004" // a file is not UTF-8
	CodeSyntax        = "SPEC005" // YAML syntax error
	CodeDuplicateKey  = "SPEC006" // a mapping repeats a key
	CodeAlias         = "SPEC007" // anchors, aliases, merge keys and non-standard tags
	CodeEmpty         = "SPEC008" // empty document or file
	CodeOutside       = "SPEC009" // a spec file or commandFile outside the folder ejops reads
	CodeLimit         = "SPEC010" // more documents or diagnostics than ejops reads or lists
	CodeUnknownField  = "SPEC101" // field the schema does not know
	CodeMissingField  = "SPEC102" // required field missing
	CodeType          = "SPEC103" // value of the wrong type
	CodeKind          = "SPEC104" // unknown kind
	CodeAPIVersion    = "SPEC105" // unknown apiVersion
	CodeValue         = "SPEC106" // value outside what the schema allows
	CodeDuplicateName = "SPEC201" // two objects of one kind share a name
	CodeNoTargetGroup = "SPEC202" // a step names an undeclared target group
	CodeNoCredential  = "SPEC203" // a credential reference names no Credential
	CodeMemberType    = "SPEC204" // a target group member is no valid target type
	CodeRefreshCred   = "SPEC205" // a server or pool member lacks its refresh credential
	CodeIgnoredCred   = "SPEC206" // a credential named while the agent uses a managed identity
	CodeStepCred      = "SPEC207" // a step or output lacks the credential the agent needs
	CodeAgents        = "SPEC208" // more than one Agent
	CodeDuplicateMem  = "SPEC209" // a target group lists one member twice
	CodeDuplicateStep = "SPEC210" // a job has two steps of one name
	CodeInterval      = "SPEC301" // schedule interval syntax or range
	CodeWindow        = "SPEC302" // schedule start after end
	CodeNeverFires    = "SPEC303" // schedule on a job that is not enabled
	CodeRetry         = "SPEC304" // retry policy the job database rejects
	CodeTimeout       = "SPEC305" // timeout the job database rejects
	CodeNameLength    = "SPEC306" // name longer than the job database allows
	CodeTextLength    = "SPEC307" // description or identifier longer than the job database allows
	CodeCommandSize   = "SPEC308" // command larger than 2 MiB
	CodeCommandFile   = "SPEC309" // commandFile missing or unreadable
	CodeTimeZone      = "SPEC310" // schedule timeZone not in the time zone database
	CodeAt            = "SPEC311" // schedule at malformed, or with an interval under a day
	CodeMonthDay      = "SPEC312" // monthly local-time schedule on a day UTC months cannot keep
	CodeJobPercent    = "SPEC313" // a job name holds the percent character
	CodeSecret        = "SPEC401" // a secret written inline
	CodeNUL           = "SPEC402" // a NUL character in a step's T-SQL
)

// Rule describes one diagnostic code for documentation and report formats such as SARIF.
type Rule struct {
	Code     string
	Name     string
	Severity Severity // default severity
	Summary  string
	Help     string
}

var rules = []Rule{
	{CodeRead, "unreadable", Error, "A path or file cannot be read.", "Check that the path exists and is readable by the user running ejops."},
	{CodeNoSpecs, "no-specs", Error, "A folder holds no spec files.", "Specs are *.yaml or *.yml files, in any case; hidden folders such as .git are skipped and links to folders are not followed. Pass the folder that holds them."},
	{CodeTooLarge, "file-too-large", Error, "A spec file is larger than 8 MiB.", "Split the file, or move long T-SQL into commandFile .sql files."},
	{CodeEncoding, "not-utf8", Error, "A file is not valid UTF-8.", "Save the file as UTF-8."},
	{CodeSyntax, "yaml-syntax", Error, "The file is not valid YAML.", "Fix the syntax at the position shown. Indent with spaces: YAML does not allow tabs in indentation."},
	{CodeDuplicateKey, "duplicate-key", Error, "A mapping repeats a key.", "Remove one of the keys; YAML parsers disagree on which one wins."},
	{CodeAlias, "alias", Error, "The spec uses YAML anchors, aliases, merge keys or tags other than the standard ones.", "Write the values out, untagged: specs are reviewed as text, aliases and merge keys hide what a document contains, and tags such as !Ref or !!binary would be ignored. The core tags !!str, !!int, !!float, !!bool, !!null, !!timestamp, !!map and !!seq are allowed where they match their value."},
	{CodeEmpty, "empty-document", Warning, "A document or file is empty.", "Remove the stray --- separator or the empty file."},
	{CodeOutside, "outside-folder", Error, "A spec file, commandFile or ignore file lies outside the folder ejops reads.", "ejops reads only the files inside the folders it is given (for a file argument, its folder): commandFile is a relative path that stays inside, and symbolic links must point inside too. Move the file into the folder, or give ejops the folder that holds both."},
	{CodeLimit, "limit", Error, "A file or a run holds more than ejops reads or lists.", "ejops reads at most 10,000 YAML documents per file and 100,000 per run, checks at most 1,000 problems per document, and lists at most 1,000 diagnostics per file and 10,000 per run, counting the rest in one line. Split very large files; fix the first problems and run again."},
	{CodeUnknownField, "unknown-field", Error, "A field the spec format does not know.", "Check the spelling against `ejops schema`; unknown fields are errors so that typos do not pass silently."},
	{CodeMissingField, "missing-field", Error, "A required field is missing.", "Add the field; `ejops schema` lists the required fields of every kind."},
	{CodeType, "wrong-type", Error, "A value has the wrong type.", "Write the value with the type the schema asks for, e.g. quote strings that look like numbers."},
	{CodeKind, "unknown-kind", Error, "A document has an unknown kind.", "Use Credential, TargetGroup, Job or Agent."},
	{CodeAPIVersion, "unknown-api-version", Error, "A document has an unknown apiVersion.", "Use apiVersion: ejops/v1."},
	{CodeValue, "invalid-value", Error, "A value is outside what the schema allows.", "See the schema's description of the field (`ejops schema`)."},
	{CodeDuplicateName, "duplicate-name", Error, "Two objects of one kind have the same name.", "Names are unique per kind and compared case-insensitively, as the job database does. Rename one."},
	{CodeNoTargetGroup, "undeclared-target-group", Error, "A step names a target group no spec declares.", "Declare a TargetGroup with that name or fix the reference."},
	{CodeNoCredential, "undeclared-credential", Error, "A credential reference names no declared Credential.", "Declare a Credential with that name or fix the reference."},
	{CodeMemberType, "member-type", Error, "A target group member is not a valid target type.", "A member is a server alone (SqlServer), server and elasticPool (SqlElasticPool) or server and database (SqlDatabase); a database member takes no refreshCredential."},
	{CodeRefreshCred, "refresh-credential-required", Error, "A server or elastic pool member has no refreshCredential.", "The agent needs a credential to enumerate the databases of a server or pool; add refreshCredential, or declare an Agent with authentication: ManagedIdentity."},
	{CodeIgnoredCred, "credential-ignored", Warning, "A credential is named while the agent uses a managed identity.", "The agent authenticates with its managed identity and ignores the credential; remove it."},
	{CodeStepCred, "credential-required", Error, "A step or output has no credential while the agent uses database scoped credentials.", "Add credential (or output.credential), or declare an Agent with authentication: ManagedIdentity."},
	{CodeAgents, "multiple-agents", Error, "More than one Agent is declared.", "A spec set describes one job agent; keep one Agent document."},
	{CodeDuplicateMem, "duplicate-member", Error, "A target group lists the same member twice.", "The job database refuses a member that already belongs to the group, even with the other membership; remove one."},
	{CodeDuplicateStep, "duplicate-step", Error, "A job has two steps with the same name.", "Step names are unique per job (case-insensitively); rename one."},
	{CodeInterval, "schedule-interval", Error, "A schedule interval is invalid.", "Write once, or a count from 1 followed by m, h, d, w or mo, e.g. 15m or 1d."},
	{CodeWindow, "schedule-window", Error, "A schedule starts after it ends.", "The job database requires start <= end."},
	{CodeNeverFires, "schedule-disabled", Warning, "A job has a schedule but is not enabled.", "A schedule fires only when the job is enabled; add enabled: true, or remove the schedule."},
	{CodeRetry, "retry-range", Error, "A retry policy is outside what the job database accepts.", "Intervals are whole seconds up to 2147483 s, initialInterval <= maxInterval, backoffMultiplier >= 1."},
	{CodeTimeout, "timeout-range", Error, "A step timeout is outside what the job database accepts.", "The timeout is whole seconds, greater than 0 and at most 2147483 s (the job database stores milliseconds in an int)."},
	{CodeNameLength, "name-length", Error, "A name is longer than 128 characters.", "The job database stores names as nvarchar(128)."},
	{CodeTextLength, "text-length", Error, "A description or identifier is longer than the job database stores.", "Descriptions hold 512 characters, server names 256, other identifiers 128."},
	{CodeCommandSize, "command-size", Error, "A step's command is larger than 2 MiB.", "The job database limits a command to 2 MiB (1,048,576 UTF-16 characters); split the step."},
	{CodeCommandFile, "command-file", Error, "A commandFile does not exist or cannot be read.", "commandFile is relative to the YAML file that names it."},
	{CodeTimeZone, "schedule-time-zone", Error, "A schedule names a time zone that does not exist.", "Name a zone of the IANA time zone database, such as America/Chicago, Europe/Berlin or Asia/Kolkata (case-sensitive); abbreviations such as CST and the machine's Local zone are not zones."},
	{CodeAt, "schedule-at", Error, "A schedule's time of day is malformed or has an interval under a day.", "Write at as HH:MM (24-hour, such as 08:00) together with timeZone, and every as a count of days, weeks or months (1d, 2w, 1mo): a job that runs every few minutes or hours has no time of day."},
	{CodeMonthDay, "schedule-month-day", Error, "A monthly schedule in local time falls on a day the job database's months cannot keep.", "The job database adds months to the start time in UTC: a run is kept on its day of the month only when that day is from 1 to 28 both in local time and in UTC. Pick another day of the month in start, or a time of day that does not cross midnight in UTC."},
	{CodeJobPercent, "job-name-percent", Error, "A job name contains the percent character (%).", "jobs.sp_add_job refuses a job name that contains %; rename the job (metadata.name)."},
	{CodeSecret, "inline-secret", Error, "A secret is written inline in a spec.", "Secrets never live in git: reference them with a Credential's secretFrom (env or file), and create credentials with ejops rather than with CREATE DATABASE SCOPED CREDENTIAL in a step."},
	{CodeNUL, "nul-character", Error, "A step's T-SQL holds a NUL character.", "Terminals, diffs and review tools stop at a NUL character, so the T-SQL after it can go unseen; remove it."},
}

// Rules returns the metadata of every diagnostic code of the loader and the checks, in code order.
func Rules() []Rule {
	return append([]Rule(nil), rules...)
}

// Explain returns a description of the given code, or false when the code is not a spec code.
func Explain(code string) (string, bool) {
	for _, r := range rules {
		if strings.EqualFold(r.Code, code) {
			return fmt.Sprintf("%s %s (default: %s)\n\n%s\n\n%s\n", r.Code, r.Name, r.Severity, r.Summary, r.Help), true
		}
	}
	return "", false
}

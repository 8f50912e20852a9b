// Package agent simulates the Elastic Jobs agent over a job database: it picks up started
// executions, expands target groups over a fleet of simulated servers, elastic pools and databases
// declared in a YAML fleet file, runs the steps with retries, timeouts, per-pool parallelism and
// cancellation, fires enabled schedules, and records every transition in jobs.job_executions. The T-SQL
// of a step is not executed: each database's outcome and duration come from the fleet file, except
// on databases that set execute: true, where the Executor runs it when the attempt ends (see
// execute.go).
//
// Assumed rules where the service is undocumented: steps run one after another, a step starting
// once the previous one finished on every target; when a step ends Failed, TimedOut or Canceled the
// job execution ends with that lifecycle and later steps never start. The step timeout applies to
// each attempt, and an attempt that times out ends its target TimedOut without a retry. Server and
// pool members get an enumeration row (Succeeded, counting the databases left after the group's
// exclusions, or Failed when the fleet has no such server or pool) beside the database rows, all
// children of the step row. Schedules fire at
// schedule_start_time + k × interval inside [schedule_start_time, schedule_end_time]; missed
// occurrences collapse into one run, and a Once job is disabled after it fired; a Once job that
// comes due before it has a step waits for one. Monthly occurrences clamp to the month's end and
// the fleet's tier caps concurrent target connections (see schedule.go and fleet.go for sources). Without a fleet,
// every SqlDatabase member exists and succeeds at once, and server and pool members enumerate to no
// databases. The authentication checks of a fleet (DatabaseScopedCredential unless it sets
// ManagedIdentity) are in auth.go with their sources. Job and step rows have a NULL target_type,
// the documented values being SqlServer, SqlElasticPool and SqlDatabase (see nextStep). A server
// the fleet declares unreachable fails, at once, the enumeration of its server and pool members and
// every attempt on its databases with NetworkError (a client's connection timeout is not simulated).
package agent

// Package runner plans and applies specs against a job database: Desired turns specs into the
// job database's terms, Diff compares them with the live state into a Plan (pure, deterministic),
// and Apply executes a Plan in one transaction under an application lock.
package runner

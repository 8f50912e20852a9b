package view

import (
	"encoding/json"
	"io"
	"time"

	"github.com/ejops/ejops/runner"
)

// RunFormatVersion is the version of the JSON documents of run, executions and stop. It changes
// only when a key is removed or changes meaning; new keys may appear within a version.
const RunFormatVersion = "1"

// runJSONExecution is an execution in JSON: the job-level row and, in a full tree, its steps.
type runJSONExecution struct {
	ExecutionID     string         `json:"executionId"`
	Job             string         `json:"job"`
	JobVersion      int            `json:"jobVersion"`
	Lifecycle       string         `json:"lifecycle"`
	Active          bool           `json:"active"`
	Succeeded       bool           `json:"succeeded"`
	CreateTime      *time.Time     `json:"createTime"`
	StartTime       *time.Time     `json:"startTime"`
	EndTime         *time.Time     `json:"endTime"`
	DurationSeconds float64        `json:"durationSeconds"`
	LastMessage     string         `json:"lastMessage"`
	TargetCounts    map[string]int `json:"targetCounts"`
	Steps           []runJSONStep  `json:"steps,omitempty"`
}

type runJSONStep struct {
	StepID          int             `json:"stepId"`
	StepName        string          `json:"stepName"`
	TargetGroup     string          `json:"targetGroup"`
	Lifecycle       string          `json:"lifecycle"`
	Active          bool            `json:"active"`
	StartTime       *time.Time      `json:"startTime"`
	EndTime         *time.Time      `json:"endTime"`
	DurationSeconds float64         `json:"durationSeconds"`
	LastMessage     string          `json:"lastMessage"`
	Targets         []runJSONTarget `json:"targets"`
}

type runJSONTarget struct {
	Type            string     `json:"type"`
	Server          string     `json:"server"`
	Database        string     `json:"database"`
	Lifecycle       string     `json:"lifecycle"`
	Active          bool       `json:"active"`
	Attempts        int        `json:"attempts"`
	StartTime       *time.Time `json:"startTime"`
	EndTime         *time.Time `json:"endTime"`
	NextAttemptTime *time.Time `json:"nextAttemptTime"`
	DurationSeconds float64    `json:"durationSeconds"`
	LastMessage     string     `json:"lastMessage"`
}

func runTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func runSeconds(started, ended, now time.Time) float64 {
	return runner.Duration(started, ended, now).Round(time.Millisecond).Seconds()
}

func runJSONOf(e *runner.Execution, now time.Time, withSteps bool) runJSONExecution {
	doc := runJSONExecution{ExecutionID: e.ID, Job: e.Job, JobVersion: e.JobVersion, Lifecycle: e.Lifecycle,
		Active: e.Active, Succeeded: e.Succeeded(), CreateTime: runTime(e.Created), StartTime: runTime(e.Started),
		EndTime: runTime(e.Ended), DurationSeconds: runSeconds(e.Started, e.Ended, now), LastMessage: e.LastMessage,
		TargetCounts: e.LifecycleCounts()}
	if !withSteps {
		return doc
	}
	doc.Steps = []runJSONStep{}
	for _, s := range e.Steps {
		js := runJSONStep{StepID: s.ID, StepName: s.Name, TargetGroup: s.TargetGroup, Lifecycle: s.Lifecycle,
			Active: s.Active, StartTime: runTime(s.Started), EndTime: runTime(s.Ended),
			DurationSeconds: runSeconds(s.Started, s.Ended, now), LastMessage: s.LastMessage, Targets: []runJSONTarget{}}
		for _, t := range s.Targets {
			js.Targets = append(js.Targets, runJSONTarget{Type: t.Type, Server: t.Server, Database: t.Database,
				Lifecycle: t.Lifecycle, Active: t.Active, Attempts: t.Attempts, StartTime: runTime(t.Started),
				EndTime: runTime(t.Ended), NextAttemptTime: runTime(t.NextAttempt),
				DurationSeconds: runSeconds(t.Started, t.Ended, now), LastMessage: t.LastMessage})
		}
		doc.Steps = append(doc.Steps, js)
	}
	return doc
}

func runEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// RunJSON prints one execution tree as a JSON document: formatVersion, then the execution with
// its steps and their targets. now measures rows still running.
func RunJSON(w io.Writer, e *runner.Execution, now time.Time) error {
	return runEncode(w, struct {
		FormatVersion string `json:"formatVersion"`
		runJSONExecution
	}{RunFormatVersion, runJSONOf(e, now, true)})
}

// RunStartedJSON prints the document of an execution just started and not followed.
func RunStartedJSON(w io.Writer, id, job string) error {
	return runEncode(w, struct {
		FormatVersion string `json:"formatVersion"`
		ExecutionID   string `json:"executionId"`
		Job           string `json:"job"`
	}{RunFormatVersion, id, job})
}

// RunExecutionsJSON prints a list of executions, without their steps.
func RunExecutionsJSON(w io.Writer, list []*runner.Execution, now time.Time) error {
	docs := make([]runJSONExecution, len(list))
	for i, e := range list {
		docs[i] = runJSONOf(e, now, false)
	}
	return runEncode(w, struct {
		FormatVersion string             `json:"formatVersion"`
		Executions    []runJSONExecution `json:"executions"`
	}{RunFormatVersion, docs})
}

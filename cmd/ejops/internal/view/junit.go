package view

import (
	"encoding/xml"
	"fmt"
	"io"
	"time"

	"github.com/ejops/ejops/runner"
)

// The JUnit XML report, in the form CI systems read (Jenkins, GitLab, Azure DevOps, GitHub
// actions that publish test results): one test suite per step, one test case per target database.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	ID         int             `xml:"id,attr"`
	Package    string          `xml:"package,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitOutcome `xml:"skipped"`
	Failure   *junitOutcome `xml:"failure"`
	Error     *junitOutcome `xml:"error"`
}

type junitOutcome struct {
	Type    string `xml:"type,attr,omitempty"`
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func junitSeconds(d time.Duration) string {
	return fmt.Sprintf("%.3f", d.Seconds())
}

// junitCaseOf is the test case of one target: skipped, failed (Failed, TimedOut, Canceled), in
// error while still running (the report was written before it ended), or passed.
func junitCaseOf(e *runner.Execution, s *runner.StepExecution, t *runner.TargetExecution, now time.Time) junitCase {
	c := junitCase{Name: t.Name(), Classname: e.Job + "." + s.Name,
		Time: junitSeconds(runner.Duration(t.Started, t.Ended, now))}
	detail := fmt.Sprintf("%s after %s on %s", t.Lifecycle, runPlural(t.Attempts, "attempt"), t.Name())
	if t.LastMessage != "" {
		detail += ": " + t.LastMessage
	}
	switch {
	case t.Lifecycle == runner.LifecycleSkipped:
		c.Skipped = &junitOutcome{Message: t.LastMessage}
	case runner.IsFailure(t.Lifecycle):
		c.Failure = &junitOutcome{Type: t.Lifecycle, Message: t.LastMessage, Text: detail}
	case t.Active:
		c.Error = &junitOutcome{Type: t.Lifecycle, Message: "still " + t.Lifecycle + " when the report was written", Text: detail}
	}
	return c
}

// RunJUnit prints an execution as a JUnit XML report: one test suite per step and one test case
// per target database (plus the enumerations of servers and pools that failed, and the step
// itself when it failed without a failing target), failures carrying the last message.
func RunJUnit(w io.Writer, e *runner.Execution, now time.Time) error {
	doc := junitSuites{Name: "ejops run " + e.Job, Time: junitSeconds(runner.Duration(e.Started, e.Ended, now))}
	for i, s := range e.Steps {
		suite := junitSuite{Name: fmt.Sprintf("%s: step %d %s", e.Job, s.ID, s.Name), ID: i, Package: e.Job,
			Time: junitSeconds(runner.Duration(s.Started, s.Ended, now)),
			Properties: []junitProperty{{"executionId", e.ID}, {"jobVersion", fmt.Sprint(e.JobVersion)},
				{"targetGroup", s.TargetGroup}, {"lifecycle", s.Lifecycle}}}
		if !s.Started.IsZero() {
			suite.Timestamp = s.Started.UTC().Format("2006-01-02T15:04:05")
		}
		failedTarget := false
		for _, t := range s.Targets {
			if !t.IsDatabase() && !runner.IsFailure(t.Lifecycle) {
				continue
			}
			c := junitCaseOf(e, s, t, now)
			failedTarget = failedTarget || c.Failure != nil
			suite.Cases = append(suite.Cases, c)
		}
		if runner.IsFailure(s.Lifecycle) && !failedTarget {
			suite.Cases = append(suite.Cases, junitCase{Name: "step " + s.Name, Classname: e.Job + "." + s.Name,
				Time: suite.Time, Failure: &junitOutcome{Type: s.Lifecycle, Message: s.LastMessage,
					Text: fmt.Sprintf("step %d %s: %s: %s", s.ID, s.Name, s.Lifecycle, s.LastMessage)}})
		}
		for _, c := range suite.Cases {
			suite.Tests++
			switch {
			case c.Failure != nil:
				suite.Failures++
			case c.Error != nil:
				suite.Errors++
			case c.Skipped != nil:
				suite.Skipped++
			}
		}
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Skipped += suite.Skipped
		doc.Suites = append(doc.Suites, suite)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

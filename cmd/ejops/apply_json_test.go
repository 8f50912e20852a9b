package main

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// applyDocument decodes the one JSON document apply --format json prints, failing on anything
// else on stdout.
func applyDocument(t *testing.T, stdout string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout is not a JSON document: %v\n%s", err, stdout)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		t.Fatalf("stdout holds more than one JSON document (%v):\n%s", err, stdout)
	}
	return doc
}

func TestApplyJSONIsOneDocument(t *testing.T) {
	j := startJobDB(t)
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("nightly", "a", "b")})
	doc := applyDocument(t, j.mustRun(t, 0, "apply", "--yes", "--format", "json", dir))
	plan, _ := doc["plan"].(map[string]any)
	report, _ := doc["report"].(map[string]any)
	if doc["formatVersion"] != "1" || plan == nil || plan["formatVersion"] != "2" || report == nil {
		t.Fatalf("apply document: %v", doc)
	}
	applied, _ := report["applied"].([]any)
	if len(applied) != 2 || report["replanned"] != false || report["calls"].(float64) < 2 {
		t.Fatalf("report: %v", report)
	}
	if job := applied[1].(map[string]any); job["name"] != "nightly" || job["action"] != "create" || job["version"] != float64(2) {
		t.Fatalf("applied job: %v", job)
	}
	if _, ok := report["durationMs"].(float64); !ok {
		t.Fatalf("report without durationMs: %v", report)
	}
}

// A failed apply still prints one document: the plan, and no report.
func TestApplyJSONFailedHasNoReport(t *testing.T) {
	j := startJobDB(t)
	t.Setenv("CRED_SECRET", "pw")
	dir := writeSpecs(t, map[string]string{"agent.yaml": miAgent, "tg.yaml": tenants, "job.yaml": jobSpec("nightly", "a"),
		"cred.yaml": "apiVersion: ejops/v1\nkind: Credential\nmetadata: {name: c}\nspec:\n  identity: u\n  secretFrom: {env: CRED_SECRET}\n"})
	code, out, errOut := j.ejops(t, "apply", "--yes", "--format", "json", dir)
	if code != 1 || !strings.Contains(errOut, "apply failed, rolled back") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	doc := applyDocument(t, out)
	if doc["plan"] == nil || doc["report"] != nil {
		t.Fatalf("failed apply document: %v", doc)
	}
}

package spec

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// invalidCodes are the diagnostic codes each case of testdata/invalid must produce, and the only
// ones it may produce: what the case is written to break, kept apart from the golden text so that
// -update cannot change it.
var invalidCodes = map[string]string{
	"alias-bomb.yaml":                  "SPEC007",
	"bad-date.yaml":                    "SPEC106",
	"bad-lint-config.yaml":             "SPEC106 SPEC205",
	"command-and-file.yaml":            "SPEC102",
	"control-character.yaml":           "SPEC005",
	"duplicate-key.yaml":               "SPEC006",
	"duplicate-member.yaml":            "SPEC209",
	"duplicate-names.yaml":             "SPEC201",
	"duplicate-step.yaml":              "SPEC210",
	"empty-document.yaml":              "SPEC008",
	"empty-file.yaml":                  "SPEC008",
	"integer-bounds.yaml":              "SPEC106",
	"interval-syntax.yaml":             "SPEC301",
	"invalid-still-declares":           "SPEC101",
	"managed-identity-credential.yaml": "SPEC206",
	"max-parallelism.yaml":             "SPEC106",
	"member-database-refresh.yaml":     "SPEC204",
	"member-pool-and-database.yaml":    "SPEC204",
	"membership-value.yaml":            "SPEC106",
	"merge-key.yaml":                   "SPEC007",
	"missing-command-file":             "SPEC309",
	"missing-fields.yaml":              "SPEC102",
	"missing-steps.yaml":               "SPEC102",
	"name-too-long.yaml":               "SPEC306 SPEC307",
	"name-utf16.yaml":                  "SPEC306 SPEC307",
	"no-specs":                         "SPEC002",
	"non-string-key.yaml":              "SPEC103",
	"not-a-mapping.yaml":               "SPEC103",
	"not-utf8.yaml":                    "SPEC004",
	"password-field.yaml":              "SPEC401",
	"refresh-credential-required.yaml": "SPEC205",
	"retry-attempts-negative.yaml":     "SPEC106",
	"retry-multiplier-float32.yaml":    "SPEC304",
	"retry-ranges.yaml":                "SPEC304",
	"scalar-document.yaml":             "SPEC103",
	"schedule-at.yaml":                 "SPEC102 SPEC311",
	"schedule-local-dates.yaml":        "SPEC106 SPEC302",
	"schedule-month-day.yaml":          "SPEC312",
	"schedule-not-enabled.yaml":        "SPEC303",
	"schedule-time-zone.yaml":          "SPEC310",
	"second-doc-syntax-error.yaml":     "SPEC005",
	"secret-in-command-file":           "SPEC401",
	"secret-in-connection-string.yaml": "SPEC401",
	"secret-in-tsql.yaml":              "SPEC401",
	"secret-no-source.yaml":            "SPEC106",
	"secret-two-sources.yaml":          "SPEC106",
	"start-after-end.yaml":             "SPEC302",
	"step-credential-required.yaml":    "SPEC207",
	"suggestions.yaml":                 "SPEC102 SPEC104 SPEC105 SPEC202 SPEC203",
	"syntax-unclosed-flow.yaml":        "SPEC005",
	"tab-indent.yaml":                  "SPEC005",
	"timeout-ranges.yaml":              "SPEC305",
	"timeout-syntax.yaml":              "SPEC103 SPEC106",
	"two-agents.yaml":                  "SPEC208",
	"undeclared-references.yaml":       "SPEC202 SPEC203",
	"unknown-api-version.yaml":         "SPEC105",
	"unknown-field.yaml":               "SPEC101",
	"unknown-kind.yaml":                "SPEC104",
	"wrong-types.yaml":                 "SPEC103",
	"yaml-tags.yaml":                   "SPEC007",
}

// checkInvalidCodes fails the test when the diagnostics of case name lack one of its codes or
// carry another.
func checkInvalidCodes(t *testing.T, name string, ds Diagnostics) {
	t.Helper()
	want, ok := invalidCodes[name]
	if !ok {
		t.Errorf("invalidCodes has no entry for %s: add the codes the case must produce", name)
		return
	}
	var got []string
	for _, d := range ds {
		if !slices.Contains(got, d.Code) {
			got = append(got, d.Code)
		}
	}
	slices.Sort(got)
	if strings.Join(got, " ") != want {
		t.Errorf("codes %v, want %s", got, want)
	}
}

// TestInvalidCodesNameCases: every entry of invalidCodes names a case of testdata/invalid.
func TestInvalidCodesNameCases(t *testing.T) {
	for name := range invalidCodes {
		if _, err := os.Stat(filepath.Join("testdata/invalid", name)); err != nil {
			t.Errorf("invalidCodes names %s: %v", name, err)
		}
	}
}

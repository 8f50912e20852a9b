package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ejops/ejops/spec"
)

func TestSummaryStrictFailsOnWarnings(t *testing.T) {
	ds := spec.Diagnostics{{Pos: spec.Pos{File: "a.yaml", Line: 1, Col: 1}, Severity: spec.Warning, Code: "EJ301", Message: "m"}}
	for strict, mark := range map[bool]string{false: ":white_check_mark:", true: ":x:"} {
		var b bytes.Buffer
		if err := Summary(&b, ds, 1, strict); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), mark) {
			t.Errorf("strict=%t: summary lacks %s:\n%s", strict, mark, b.String())
		}
	}
}

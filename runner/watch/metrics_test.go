package watch

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ejops/ejops/runner/jobdb"
)

// TestExampleAlertsUseServedMetrics checks that every ejops_* metric the example PrometheusRule
// names is one the sidecar serves, with the labels the rules group by.
func TestExampleAlertsUseServedMetrics(t *testing.T) {
	m := NewMetrics()
	m.count([]jobdb.ExecutionRow{
		{Job: "j", Lifecycle: "Failed"},
		{Job: "j", StepID: 1, TargetType: "SqlDatabase", Lifecycle: "Failed", TargetServer: "s", TargetDatabase: "d"},
	})
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]map[string]bool{}
	for _, f := range families {
		labels := map[string]bool{}
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				labels[l.GetName()] = true
			}
		}
		served[f.GetName()] = labels
	}
	b, err := os.ReadFile("../../examples/kubernetes/monitoring.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rules := string(b)
	names := regexp.MustCompile(`\bejops_[a-z_]+`).FindAllString(rules, -1)
	if len(names) < 5 {
		t.Fatalf("the example rules name %d metrics", len(names))
	}
	for _, name := range names {
		if served[name] == nil {
			t.Errorf("the example rules use %s, which the sidecar does not serve", name)
		}
	}
	groups := regexp.MustCompile(`by \(([a-z_, ]+)\) \((?:increase\()?(ejops_[a-z_]+)`).FindAllStringSubmatch(rules, -1)
	if len(groups) < 4 {
		t.Fatalf("found %d aggregations in the example rules", len(groups))
	}
	for _, by := range groups {
		for _, l := range strings.Split(by[1], ",") {
			if l = strings.TrimSpace(l); l != "namespace" && !served[by[2]][l] {
				t.Errorf("a rule groups %s by %s, a label it does not have", by[2], l)
			}
		}
	}
}

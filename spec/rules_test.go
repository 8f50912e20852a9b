package spec

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestRules(t *testing.T) {
	seen := map[string]bool{}
	names := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.Code] || names[r.Name] {
			t.Errorf("duplicate rule %s %s", r.Code, r.Name)
		}
		seen[r.Code], names[r.Name] = true, true
		if r.Summary == "" || r.Help == "" || !regexp.MustCompile(`^SPEC\d{3}$`).MatchString(r.Code) {
			t.Errorf("rule %+v: want a SPECnnn code, a summary and help", r)
		}
		if text, ok := Explain(strings.ToLower(r.Code)); !ok || !strings.Contains(text, r.Help) {
			t.Errorf("Explain(%s) = %q, %v", r.Code, text, ok)
		}
	}
	if _, ok := Explain("EJ201"); ok {
		t.Errorf("Explain(EJ201) documents a lint code")
	}
	// Every code the corpus produces is documented.
	goldens, _ := filepath.Glob("testdata/invalid/*.golden")
	code := regexp.MustCompile(`: (SPEC\d{3}): `)
	for _, g := range goldens {
		data, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range code.FindAllStringSubmatch(string(data), -1) {
			if !seen[m[1]] {
				t.Errorf("%s: code %s has no rule", g, m[1])
			}
		}
	}
}

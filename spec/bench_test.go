package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeBenchSpecs writes n documents in files of 100: an Agent, then groups of a Credential, a
// TargetGroup and two Jobs that reference them.
func writeBenchSpecs(tb testing.TB, dir string, n int) {
	tb.Helper()
	var b strings.Builder
	flush := func(i int) {
		if b.Len() == 0 {
			return
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("specs-%04d.yaml", i/100)), []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
		b.Reset()
	}
	for i := range n {
		if i%100 == 0 {
			flush(i - 1)
		} else {
			b.WriteString("---\n")
		}
		if i == 0 {
			b.WriteString("apiVersion: ejops/v1\nkind: Agent\nmetadata: {name: bench}\nspec: {authentication: DatabaseScopedCredential}\n")
			continue
		}
		g, k := (i-1)/4, (i-1)%4
		switch k {
		case 0:
			fmt.Fprintf(&b, "apiVersion: ejops/v1\nkind: Credential\nmetadata:\n  name: cred-%d\nspec:\n  identity: user%d\n  secretFrom:\n    env: EJOPS_CRED_%d\n", g, g, g)
		case 1:
			fmt.Fprintf(&b, "apiVersion: ejops/v1\nkind: TargetGroup\nmetadata:\n  name: group-%d\nspec:\n  members:\n    - server: tenants-%d.database.windows.net\n      refreshCredential: cred-%d\n    - server: tenants-%d.database.windows.net\n      database: scratch\n      membership: Exclude\n", g, g, g, g)
		default:
			fmt.Fprintf(&b, "apiVersion: ejops/v1\nkind: Job\nmetadata:\n  name: job-%d-%d\nspec:\n  description: Update statistics on group %d\n  enabled: true\n  schedule:\n    every: 1d\n    start: \"2026-01-01T02:00:00Z\"\n  steps:\n    - name: update-stats\n      targetGroup: group-%d\n      credential: cred-%d\n      command: |\n        EXEC sp_updatestats;\n      timeout: 2h\n      retry:\n        attempts: 3\n        initialInterval: 5s\n        maxInterval: 2m\n", g, k, g, g, g)
		}
	}
	flush(n - 1)
}

// BenchmarkLoad10000 loads and checks 10,000 documents; the budget is well under 1 s on 2 cores.
func BenchmarkLoad10000(b *testing.B) {
	dir := b.TempDir()
	writeBenchSpecs(b, dir, 10000)
	for b.Loop() {
		set, ds := Load(dir)
		if len(ds) > 0 || set.Documents != 10000 {
			b.Fatalf("%d documents, diagnostics:\n%s", set.Documents, render(ds[:min(len(ds), 5)]))
		}
	}
}

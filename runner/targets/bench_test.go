package targets

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/emulator"
	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/spec"
)

// benchFleet serves servers fleet servers of perServer databases each, and returns the resolver
// over them, its client, and the target group of every server.
func benchFleet(b *testing.B, servers, perServer int) (*Resolver, *Client, runner.DesiredTargetGroup) {
	b.Helper()
	var f strings.Builder
	f.WriteString("servers:\n")
	g := runner.DesiredTargetGroup{Name: "all"}
	for s := 0; s < servers; s++ {
		name := fmt.Sprintf("tenants-%02d.database.windows.net", s)
		fmt.Fprintf(&f, "  - name: %s\n    databases:\n", name)
		for d := 0; d < perServer; d++ {
			fmt.Fprintf(&f, "      - t%04d\n", d)
		}
		g.Members = append(g.Members, runner.DesiredMember{Membership: "Include", Type: "SqlServer", Server: name, RefreshCredential: "c"})
	}
	path := filepath.Join(b.TempDir(), "fleet.yaml")
	if err := os.WriteFile(path, []byte(f.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	em, err := emulator.New(emulator.Options{Fleet: path, ServeTargets: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { em.Close() })
	m, err := ParseMap(em.TargetMap())
	if err != nil {
		b.Fatal(err)
	}
	d := &runner.Desired{Credentials: []runner.DesiredCredential{{Name: "c", Identity: "u", SecretFrom: spec.SecretRef{Env: "S"}}}}
	secret := runner.ResolveSecret(func(string) string { return "secret" }, nil)
	c := &Client{Map: m, Timeout: 30 * time.Second}
	return &Resolver{Servers: c, Auth: NewAuth(d, secret, false), Parallel: 16}, c, g
}

// BenchmarkResolve resolves 5,000 databases over 20 servers: one listing per server.
func BenchmarkResolve(b *testing.B) {
	r, c, g := benchFleet(b, 20, 250)
	b.ResetTimer()
	for b.Loop() {
		gs := r.Resolve(context.Background(), []runner.DesiredTargetGroup{g})
		if len(gs[0].Databases) != 5000 || !gs[0].Complete() {
			b.Fatalf("%d databases, problems %v", len(gs[0].Databases), gs[0].Problems)
		}
	}
	b.ReportMetric(float64(c.Stats().RoundTrips())/float64(b.N), "roundtrips/op")
}

// BenchmarkCheck checks 1,000 databases over 4 servers with 16 connections at once.
func BenchmarkCheck(b *testing.B) {
	r, c, g := benchFleet(b, 4, 250)
	groups := Index(r.Resolve(context.Background(), []runner.DesiredTargetGroup{g}))
	jobs := []runner.DesiredJob{{Name: "j", Steps: []runner.DesiredStep{{Name: "s", TargetGroup: "all", Credential: "c"}}}}
	before := c.Stats()
	b.ResetTimer()
	for b.Loop() {
		checks := r.Check(context.Background(), jobs, groups)
		if checks[0].Databases != 1000 || checks[0].Failed() {
			b.Fatalf("check: %+v", checks[0])
		}
	}
	b.ReportMetric(float64(c.Stats().RoundTrips()-before.RoundTrips())/float64(b.N), "roundtrips/op")
}

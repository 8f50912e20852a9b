package jobdb

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ejops/ejops/emulator"
)

// TestResolutionsRoundTrip records resolutions (creating the table), replaces one, reads them
// back per scope, and a jobs_reader login reads but cannot record.
func TestResolutionsRoundTrip(t *testing.T) {
	em, addr := serve(t, emulator.Options{Logins: []emulator.Login{{Name: "jobs_reader", Password: "reader-pw", Role: emulator.RoleReader}}})
	db := open(t, em.DSN(addr))
	ctx := t.Context()
	have, err := db.ReadResolutions(ctx, "default")
	if err != nil || have.HasTable || len(have.Groups) != 0 {
		t.Fatalf("before: %+v, %v", have, err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	first := []Resolution{
		{Group: "tenants", Databases: []TargetDatabase{{Server: "t1", Database: "a", ElasticPool: "p"}, {Server: "t1", Database: "it's]"}}, ResolvedAt: at},
		{Group: "empty", ResolvedAt: at},
	}
	if err := db.SaveResolutions(ctx, "default", have, first); err != nil {
		t.Fatal(err)
	}
	if have, err = db.ReadResolutions(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	second := []Resolution{{Group: "TENANTS", Databases: []TargetDatabase{{Server: "t2", Database: "b"}}, ResolvedAt: at.Add(time.Hour)}}
	if err := db.SaveResolutions(ctx, "default", have, second); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveResolutions(ctx, "other", have, first[:1]); err != nil {
		t.Fatal(err)
	}
	got, err := db.ReadResolutions(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	want := []Resolution{{Group: "empty", Databases: []TargetDatabase{}, ResolvedAt: at}, second[0]}
	if diff := cmp.Diff(want, got.Groups); diff != "" || !got.HasSchema || !got.HasTable {
		t.Errorf("resolutions (-want +got):\n%s", diff)
	}
	if r, ok := got.Find("Tenants"); !ok || r.Databases[0].Database != "b" {
		t.Errorf("Find: %+v %v", r, ok)
	}

	reader := open(t, em.LoginDSN("jobs_reader", addr))
	rgot, err := reader.ReadResolutions(ctx, "default")
	if err != nil || len(rgot.Groups) != 2 {
		t.Fatalf("reader read: %+v, %v", rgot, err)
	}
	if err := reader.SaveResolutions(ctx, "default", rgot, second); err == nil {
		t.Error("a jobs_reader login recorded resolutions")
	}
}

// A scope of more groups than one request's parameters can carry is recorded whole.
func TestResolutionsManyGroups(t *testing.T) {
	_, db := openTestDB(t)
	ctx := t.Context()
	have, err := db.ReadResolutions(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rs := make([]Resolution, 1500)
	for i := range rs {
		rs[i] = Resolution{Group: fmt.Sprintf("g%04d", i), Databases: []TargetDatabase{{Server: "s", Database: fmt.Sprintf("d%d", i)}}, ResolvedAt: at}
	}
	if err := db.SaveResolutions(ctx, "default", have, rs); err != nil {
		t.Fatal(err)
	}
	got, err := db.ReadResolutions(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Groups) != len(rs) {
		t.Fatalf("%d groups recorded, want %d", len(got.Groups), len(rs))
	}
	if r, ok := got.Find("g1499"); !ok || r.Databases[0].Database != "d1499" {
		t.Errorf("last group: %+v, %v", r, ok)
	}
}

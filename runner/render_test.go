package runner

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

func TestUnifiedDiff(t *testing.T) {
	a := "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n"
	b := "one\ntwo\nTHREE\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven\n"
	got := strings.Join(UnifiedDiff(a, b), "\n")
	want := `@@ -1,6 +1,6 @@
 one
 two
-three
+THREE
 four
 five
 six
@@ -8,3 +8,4 @@
 eight
 nine
 ten
+eleven`
	if got != want {
		t.Fatalf("UnifiedDiff mismatch\n--- got\n%s\n--- want\n%s", got, want)
	}
	if d := UnifiedDiff("SELECT 1;\r\n", "SELECT 1;\n"); len(d) != 0 {
		t.Fatalf("line endings made a diff: %v", d)
	}
}

func TestRenderText(t *testing.T) {
	fp, _ := Fingerprint("old")
	live := &jobdb.State{
		Credentials: []jobdb.Credential{{Name: "cred", Identity: "u"}},
		Jobs:        []jobdb.Job{applied(job("nightly", step("a", "SELECT 1;\nSELECT 2;\n")))},
		Inventory: []jobdb.Owned{{Scope: "default", Kind: KindCredential, Name: "cred", SecretFingerprint: fp},
			owned("default", KindJob, "nightly"), owned("default", KindJob, "old")},
	}
	live.Jobs = append(live.Jobs, applied(job("old")), applied(job("handmade")))
	want := job("nightly", step("a", "SELECT 1;\nSELECT 3;\n"), step("b", "SELECT 4;"))
	want.Steps[0].TimeoutSecs = 300
	d := &Desired{Jobs: []DesiredJob{want}, Credentials: []DesiredCredential{{Name: "cred", Identity: "u", SecretFrom: spec.SecretRef{Env: "X"}}}}
	p := diff(t, d, live, false)
	var b bytes.Buffer
	RenderText(&b, p, Colors{})
	golden := `ejops will perform these actions (scope "default"):

  ~ credential cred
      secret: (sensitive) -> (sensitive)

  ~ job nightly
      ~ step a
          command:
              @@ -1,2 +1,2 @@
               SELECT 1;
              -SELECT 2;
              +SELECT 3;
          timeout: 12h -> 5m
      + step b (position 2)
          targetGroup: "tg"
          command:
              SELECT 4;
          timeout: 12h
          retry: 10 attempts, 1s initial, 2m max, x2

Objects in the job database that this scope does not manage (left alone):
  job handmade

Objects this scope applied that left the specs (kept; apply with --prune to delete):
  job old

Plan: 0 to add, 2 to change, 0 to destroy.
`
	if b.String() != golden {
		t.Fatalf("RenderText mismatch\n--- got\n%s\n--- want\n%s", b.String(), golden)
	}
	if strings.Contains(b.String(), "s3cret") {
		t.Fatal("the secret is shown")
	}
	b.Reset()
	if err := RenderJSON(&b, p); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FormatVersion string         `json:"format_version"`
		Summary       map[string]int `json:"summary"`
		Changes       []struct {
			Kind, Name, Action string
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FormatVersion != "1" || doc.Summary["change"] != 2 || len(doc.Changes) != 2 || doc.Changes[1].Action != "update" {
		t.Fatalf("JSON plan: %+v", doc)
	}
}

func TestRenderQuotesUnprintableNames(t *testing.T) {
	evil := "evil\nPlan: 0 to add\x1b[2J"
	p := diff(t, &Desired{Jobs: []DesiredJob{job(evil, step("s\x1b[31m", "SELECT 1;"))}}, &jobdb.State{}, false)
	var b bytes.Buffer
	RenderText(&b, p, Colors{})
	if strings.Contains(b.String(), "\x1b") || strings.Contains(b.String(), "\nPlan: 0 to add") {
		t.Fatalf("a name forged plan output:\n%s", b.String())
	}
	if !strings.Contains(b.String(), `+ job "evil\nPlan: 0 to add\x1b[2J"`) {
		t.Fatalf("the name is not shown quoted:\n%s", b.String())
	}
}

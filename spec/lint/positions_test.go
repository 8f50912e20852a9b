package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ejops/ejops/spec"
)

// positionCases are steps whose command holds one unguarded CREATE TABLE (EJ201, reported at the
// CREATE keyword), written in each YAML scalar style. The diagnostic must land on the CREATE of
// the YAML text, wherever folding and escapes moved it in the value.
// item starts a block-style step; each case adds its command.
const item = "    - name: s\n      targetGroup: g\n"

var positionCases = []struct{ name, steps string }{
	{"plain", item + `      command: SELECT N'é'; CREATE TABLE dbo.X (a int);`},
	{"plain-multiline", item + `      command: SELECT 1;
        SELECT 2;

          EXEC dbo.p; CREATE TABLE dbo.X (a int);`},
	{"single-quoted", item + `      command: 'SELECT ''a'', ''b'';  CREATE TABLE dbo.X (a int);'`},
	{"single-quoted-folded", item + `      command: 'SELECT ''a'';
         SELECT ''it''''s'';

        SELECT 1; CREATE TABLE dbo.X (a int);'`},
	{"double-quoted-escapes", item + `      command: "SELECT '\t', N'\u00e9', '\"', '\\', N'\U0001F600'; CREATE TABLE dbo.X (a int);"`},
	{"double-quoted-newline-escape", item + `      command: "SELECT 1;\n  SELECT '\x41'; CREATE TABLE dbo.X (a int);"`},
	{"double-quoted-folded", item + `      command: "SELECT 1;
        SELECT '\"';

          SELECT 2; CREATE TABLE dbo.X (a int);"`},
	{"double-quoted-escaped-break", item + `      command: "SELECT \
        1;\
        \ SELECT\t2;\
        \n CREATE TABLE dbo.X (a int);"`},
	{"flow-mapping", `    - {name: s, targetGroup: g, command: "SELECT\t1;\n\tCREATE TABLE dbo.X (a int);"}`},
	{"folded", item + `      command: >
        SELECT 1;
        SELECT 2;

        SELECT 3; CREATE TABLE dbo.X (a int);`},
	{"folded-strip-more-indented", item + `      command: >-
        SELECT 1;
          SELECT 2;
        SELECT 3;

          EXEC dbo.p;
        SELECT 4; CREATE TABLE dbo.X (a int);`},
	{"literal", item + `      command: |
        SELECT 1;
          EXEC dbo.p; CREATE TABLE dbo.X (a int);`},
	{"literal-indicator", item + `      command: |2
           SELECT 1;
          CREATE TABLE dbo.X (a int);`},
}

// TestCommandPositions loads one job per scalar style through spec.Load and checks the exact
// file position of the EJ201 diagnostic.
func TestCommandPositions(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: ejops/v1\nkind: Agent\nmetadata: {name: a}\nspec: {authentication: ManagedIdentity}\n" +
		"---\napiVersion: ejops/v1\nkind: TargetGroup\nmetadata: {name: g}\nspec: {members: [{server: s.database.windows.net, database: d}]}\n")
	want := map[string]string{}
	for _, c := range positionCases {
		fmt.Fprintf(&b, "---\napiVersion: ejops/v1\nkind: Job\nmetadata: {name: %s}\nspec:\n  steps:\n", c.name)
		before := b.String()
		b.WriteString(c.steps + "\n")
		i := strings.Index(c.steps, "CREATE")
		line := strings.Count(before, "\n") + strings.Count(c.steps[:i], "\n") + 1
		col := utf8.RuneCountInString(c.steps[strings.LastIndexByte(c.steps[:i], '\n')+1:i]) + 1
		want[c.name] = fmt.Sprintf("%d:%d", line, col)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	set, ds := spec.Load(path)
	if ds.HasErrors() {
		t.Fatalf("load: %v", ds)
	}
	// a diagnostic belongs to the last job declared above it
	got := map[string]string{}
	for _, d := range Lint(set) {
		if d.Code != "EJ201" || filepath.Base(d.Pos.File) != "job.yaml" {
			continue
		}
		var owner *spec.Job
		for _, j := range set.Jobs {
			if j.Pos.Line <= d.Pos.Line && (owner == nil || j.Pos.Line > owner.Pos.Line) {
				owner = j
			}
		}
		if owner != nil {
			got[owner.Name] += fmt.Sprintf("%d:%d", d.Pos.Line, d.Pos.Col)
		}
	}
	for _, c := range positionCases {
		if got[c.name] != want[c.name] {
			t.Errorf("%s: EJ201 at %q, want %s", c.name, got[c.name], want[c.name])
		}
	}
}

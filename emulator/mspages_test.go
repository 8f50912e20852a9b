package emulator

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ejops/ejops/emulator/internal/agent"
)

// pageExample is one T-SQL example printed on a Microsoft Learn page, with what the page states
// about its result. Its header lines start with "--!":
//
//	--! page: URL of the page
//	--! example: the heading the example appears under
//	--! setup: other examples of the corpus that run first (their own setups first)
//	--! job-database: the name the page gives the job database; USE of it means the emulator's
//	--! expect: success | error NUMBER [MESSAGE]
//	--! count N: FROM-clause (SELECT COUNT(*) FROM it must answer N after the example)
type pageExample struct {
	file    string
	page    string
	setup   []string
	jobDB   string
	errNum  int32
	errMsg  string
	checks  []countCheck
	batches []string
}

// countCheck is a query the page's text implies an answer to.
type countCheck struct {
	from string
	want int
}

var (
	headerLine = regexp.MustCompile(`^--!\s*([a-z-]+)(?:\s+(\d+))?:\s*(.*)$`)
	goLine     = regexp.MustCompile(`(?i)^\s*GO\s*;?\s*$`)
)

// loadPageExample reads testdata/mspages/name.
func loadPageExample(name string) (*pageExample, error) {
	f, err := os.Open(filepath.Join("testdata/mspages", name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ex := &pageExample{file: name}
	expect := ""
	var batch strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := headerLine.FindStringSubmatch(line); m != nil {
			if err := ex.header(m[1], m[2], strings.TrimSpace(m[3]), &expect); err != nil {
				return nil, fmt.Errorf("%s: %v", name, err)
			}
			continue
		}
		if goLine.MatchString(line) {
			ex.addBatch(batch.String())
			batch.Reset()
			continue
		}
		batch.WriteString(line)
		batch.WriteByte('\n')
	}
	ex.addBatch(batch.String())
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if ex.page == "" || expect == "" || len(ex.batches) == 0 {
		return nil, fmt.Errorf("%s: an example needs a page, an expect line and T-SQL", name)
	}
	return ex, nil
}

// header records one "--!" line.
func (ex *pageExample) header(key, n, value string, expect *string) error {
	switch key {
	case "page":
		ex.page = value
	case "example":
	case "setup":
		ex.setup = append(ex.setup, strings.Fields(value)...)
	case "job-database":
		ex.jobDB = value
	case "expect":
		*expect = value
		if value == "success" {
			return nil
		}
		fields := strings.SplitN(value+" ", " ", 3)
		if len(fields) < 3 || fields[0] != "error" {
			return fmt.Errorf("expect %q: want success or error NUMBER [MESSAGE]", value)
		}
		num, err := strconv.Atoi(fields[1])
		if err != nil || num == 0 {
			return fmt.Errorf("expect %q: want success or error NUMBER [MESSAGE]", value)
		}
		ex.errNum = int32(num)
		ex.errMsg = strings.TrimSpace(fields[2])
	case "count":
		want, err := strconv.Atoi(n)
		if err != nil {
			return fmt.Errorf("count needs a number: --! count N: FROM-clause")
		}
		ex.checks = append(ex.checks, countCheck{from: value, want: want})
	default:
		return fmt.Errorf("unknown header %q", key)
	}
	return nil
}

// addBatch keeps a batch that holds more than comments and blank lines.
func (ex *pageExample) addBatch(text string) {
	for _, line := range strings.Split(text, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "--") {
			ex.batches = append(ex.batches, text)
			return
		}
	}
}

// run sends the batches on one session, as SQL Server Management Studio does with a script
// split by GO, and returns the first error. A USE of the page's job database names the
// emulator's.
func (ex *pageExample) run(ctx context.Context, conn *sql.Conn) error {
	var first error
	for _, b := range ex.batches {
		if ex.jobDB != "" {
			b = regexp.MustCompile(`(?im)^(\s*USE\s+)\[?`+regexp.QuoteMeta(ex.jobDB)+`\]?`).ReplaceAllString(b, "${1}"+Database)
		}
		if err := drain(conn.QueryContext(ctx, b)); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// drain reads every result set of a query and returns its first error.
func drain(rows *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for {
		for rows.Next() {
		}
		if !rows.NextResultSet() {
			break
		}
	}
	return rows.Err()
}

// pageExampleFiles lists the examples of testdata/mspages/dir, named relative to testdata/mspages.
func pageExampleFiles(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata/mspages", dir, "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		names[i], _ = filepath.Rel("testdata/mspages", n)
	}
	return names
}

// TestMicrosoftPageExamples runs every T-SQL example of testdata/mspages, each copied from a
// Microsoft Learn page about elastic jobs, on a fresh emulator over TCP, and checks the result the
// page states: success or the error it prints, and the objects its text says exist afterwards.
// The expectations are written from the pages; nothing here is recorded from the emulator.
func TestMicrosoftPageExamples(t *testing.T) {
	names := pageExampleFiles(t, "")
	if len(names) < 20 {
		t.Fatalf("corpus has %d examples, want at least 20", len(names))
	}
	for _, name := range names {
		t.Run(strings.TrimSuffix(name, ".sql"), func(t *testing.T) {
			for _, d := range disagreements(t, name) {
				t.Error(d)
			}
		})
	}
}

// TestMicrosoftPageDifferences runs the examples of testdata/mspages/differences, where the
// emulator knowingly disagrees with the page (the README says why), and fails once one agrees, so
// that it moves to the corpus that must pass.
func TestMicrosoftPageDifferences(t *testing.T) {
	for _, name := range pageExampleFiles(t, "differences") {
		t.Run(strings.TrimSuffix(filepath.Base(name), ".sql"), func(t *testing.T) {
			if len(disagreements(t, name)) == 0 {
				t.Errorf("%s now gives what its page states: move it to testdata/mspages and out of the README's differences", name)
			}
		})
	}
}

// disagreements runs one example on a fresh emulator and returns how the outcome departs from
// what its page states.
func disagreements(t *testing.T, name string) []string {
	t.Helper()
	ex, err := loadPageExample(name)
	if err != nil {
		t.Fatal(err)
	}
	// A clock that never moves keeps the agent away: executions stay as sp_start_job leaves
	// them, the state the pages' monitoring queries show first.
	_, db := start(t, Options{Clock: agent.NewFakeClock(procT0)})
	ctx := t.Context()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range setupOrder(t, ex, map[string]bool{}) {
		if err := s.run(ctx, conn); err != nil {
			t.Fatalf("setup %s: %v", s.file, err)
		}
	}
	var out []string
	err = ex.run(ctx, conn)
	if num, msg, _ := sqlErr(err); num != ex.errNum || (err != nil && num == 0) || (ex.errMsg != "" && msg != ex.errMsg) {
		out = append(out, fmt.Sprintf("%s: got error %v, the page states %s", ex.page, err, ex.expectation()))
	}
	for _, c := range ex.checks {
		var got int
		if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+c.from).Scan(&got); err != nil {
			t.Fatalf("count %s: %v", c.from, err)
		}
		if got != c.want {
			out = append(out, fmt.Sprintf("SELECT COUNT(*) FROM %s = %d, want %d (%s)", c.from, got, c.want, ex.page))
		}
	}
	return out
}

// expectation describes the outcome the page states.
func (ex *pageExample) expectation() string {
	if ex.errNum == 0 {
		return "success"
	}
	return fmt.Sprintf("error %d %s", ex.errNum, ex.errMsg)
}

// setupOrder returns the examples that must run before ex, each once, setups first.
func setupOrder(t *testing.T, ex *pageExample, seen map[string]bool) []*pageExample {
	t.Helper()
	var out []*pageExample
	for _, name := range ex.setup {
		if seen[name] {
			continue
		}
		seen[name] = true
		s, err := loadPageExample(name)
		if err != nil {
			t.Fatal(err)
		}
		if s.errNum != 0 {
			t.Fatalf("setup %s expects an error", name)
		}
		out = append(append(out, setupOrder(t, s, seen)...), s)
	}
	return out
}

// TestMicrosoftPageExamplesListed: the corpus README lists every example it runs, so the list of
// what runs and what is left out (with the reason) stays one document.
func TestMicrosoftPageExamplesListed(t *testing.T) {
	readme, err := os.ReadFile("testdata/mspages/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range append(pageExampleFiles(t, ""), pageExampleFiles(t, "differences")...) {
		if !strings.Contains(string(readme), "`"+filepath.ToSlash(name)+"`") {
			t.Errorf("README.md does not list %s", name)
		}
	}
}

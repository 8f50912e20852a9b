package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGitHub serves the part of GitHub's REST API that plan --github-comment uses, for one
// repository, with comments in memory.
type fakeGitHub struct {
	t     *testing.T
	mu    sync.Mutex
	token string
	// comments by id, and the ids of each pull request in order.
	comments map[int64]*fakeComment
	issues   map[int][]int64
	nextID   int64
	// limited answers the next requests with these rate-limit responses, one each.
	limited []func(http.ResponseWriter)
	calls   []string // "METHOD path" of every request
}

type fakeComment struct {
	issue int
	body  string
	owner string // the token that wrote it; another token cannot edit it
}

func newFakeGitHub(t *testing.T) (*fakeGitHub, *httptest.Server) {
	f := &fakeGitHub{t: t, token: "t0ken", comments: map[int64]*fakeComment{}, issues: map[int][]int64{}, nextID: 1000}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// add stores a comment written by owner.
func (f *fakeGitHub) add(issue int, owner, body string) int64 {
	f.nextID++
	f.comments[f.nextID] = &fakeComment{issue: issue, body: body, owner: owner}
	f.issues[issue] = append(f.issues[issue], f.nextID)
	return f.nextID
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	if len(f.limited) > 0 {
		next := f.limited[0]
		f.limited = f.limited[1:]
		next(w)
		return
	}
	var in struct{ Body string }
	if r.Body != nil {
		_ = json.NewDecoder(r.Body).Decode(&in)
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/repos/o/r/issues/"), "/")
	switch {
	case r.Method == http.MethodGet && len(parts) == 2 && parts[1] == "comments":
		n, _ := strconv.Atoi(parts[0])
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		ids := f.issues[n]
		from, to := min((page-1)*per, len(ids)), min(page*per, len(ids))
		out := []map[string]any{}
		for _, id := range ids[from:to] {
			out = append(out, f.doc(id))
		}
		_ = json.NewEncoder(w).Encode(out)
	case r.Method == http.MethodPost && len(parts) == 2 && parts[1] == "comments":
		n, _ := strconv.Atoi(parts[0])
		id := f.add(n, f.token, in.Body)
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(f.doc(id))
	case r.Method == http.MethodPatch && len(parts) == 2 && parts[0] == "comments":
		id, _ := strconv.ParseInt(parts[1], 10, 64)
		c := f.comments[id]
		switch {
		case c == nil:
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		case c.owner != f.token:
			http.Error(w, `{"message":"Resource not accessible by integration"}`, http.StatusForbidden)
		default:
			c.body = in.Body
			_ = json.NewEncoder(w).Encode(f.doc(id))
		}
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	}
}

func (f *fakeGitHub) doc(id int64) map[string]any {
	c := f.comments[id]
	return map[string]any{"id": id, "body": c.body, "html_url": fmt.Sprintf("https://github.com/o/r/pull/%d#issuecomment-%d", c.issue, id)}
}

// bodies returns the bodies of a pull request's comments.
func (f *fakeGitHub) bodies(issue int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, id := range f.issues[issue] {
		out = append(out, f.comments[id].body)
	}
	return out
}

// testPullRequest is pull request 7 of o/r on srv, with sleeps recorded instead of waited.
func testPullRequest(srv *httptest.Server, slept *[]time.Duration) *pullRequest {
	return &pullRequest{api: srv.URL, token: "t0ken", repo: "o/r", number: 7, client: srv.Client(),
		now: func() time.Time { return time.Unix(1_700_000_000, 0) },
		sleep: func(_ context.Context, d time.Duration) error {
			*slept = append(*slept, d)
			return nil
		}}
}

func TestUpsertComment(t *testing.T) {
	f, srv := newFakeGitHub(t)
	var slept []time.Duration
	pr := testPullRequest(srv, &slept)
	ctx := t.Context()
	f.add(7, "someone", "LGTM")
	url, created, err := pr.upsertComment(ctx, commentMarker("default"), "plan one")
	if err != nil || !created || !strings.HasPrefix(url, "https://github.com/o/r/pull/7#issuecomment-") {
		t.Fatalf("first run: %q, created %v, %v", url, created, err)
	}
	url2, created, err := pr.upsertComment(ctx, commentMarker("default"), "plan two")
	if err != nil || created || url2 != url {
		t.Fatalf("second run: %q (first %q), created %v, %v", url2, url, created, err)
	}
	if _, created, err := pr.upsertComment(ctx, commentMarker("prod"), "prod plan"); err != nil || !created {
		t.Fatalf("another scope: created %v, %v", created, err)
	}
	want := []string{"LGTM", "<!-- ejops-plan scope=default -->\nplan two", "<!-- ejops-plan scope=prod -->\nprod plan"}
	if got := f.bodies(7); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("comments:\n%q\nwant\n%q", got, want)
	}
	if len(slept) != 0 {
		t.Errorf("waited %v without a rate limit", slept)
	}
}

func TestUpsertCommentFindsItsCommentOnALaterPage(t *testing.T) {
	f, srv := newFakeGitHub(t)
	var slept []time.Duration
	for i := range 150 {
		f.add(7, "someone", fmt.Sprint("comment ", i))
	}
	// Someone quoted the marker: that comment cannot be edited and is left alone.
	f.add(7, "someone", commentMarker("default")+"\ncopied")
	mine := f.add(7, "t0ken", commentMarker("default")+"\nold plan")
	url, created, err := testPullRequest(srv, &slept).upsertComment(t.Context(), commentMarker("default"), "new plan")
	if err != nil || created || !strings.HasSuffix(url, fmt.Sprint(mine)) {
		t.Fatalf("got %q, created %v, %v; want comment %d updated", url, created, err, mine)
	}
	got := f.bodies(7)
	if len(got) != 152 || got[150] != commentMarker("default")+"\ncopied" || got[151] != commentMarker("default")+"\nnew plan" {
		t.Errorf("comments after the update: %d, last two %q", len(got), got[150:])
	}
}

func TestUpsertCommentWaitsOutRateLimits(t *testing.T) {
	f, srv := newFakeGitHub(t)
	var slept []time.Duration
	f.limited = []func(http.ResponseWriter){
		func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "3")
			http.Error(w, `{"message":"You have exceeded a secondary rate limit"}`, http.StatusTooManyRequests)
		},
		func(w http.ResponseWriter) {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", "1700000005")
			http.Error(w, `{"message":"API rate limit exceeded"}`, http.StatusForbidden)
		},
		func(w http.ResponseWriter) { http.Error(w, "bad gateway", http.StatusBadGateway) },
		func(w http.ResponseWriter) {
			http.Error(w, `{"message":"You have exceeded a secondary rate limit."}`, http.StatusForbidden)
		},
	}
	if _, created, err := testPullRequest(srv, &slept).upsertComment(t.Context(), commentMarker("default"), "plan"); err != nil || !created {
		t.Fatalf("created %v, %v", created, err)
	}
	want := []time.Duration{3 * time.Second, 6 * time.Second, 4 * time.Second, time.Minute}
	if fmt.Sprint(slept) != fmt.Sprint(want) {
		t.Errorf("waited %v, want %v", slept, want)
	}
	if len(f.bodies(7)) != 1 {
		t.Errorf("comments: %q", f.bodies(7))
	}
}

func TestUpsertCommentGivesUp(t *testing.T) {
	limit := func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"message":"slow down"}`, http.StatusTooManyRequests)
	}
	tests := map[string]struct {
		limited []func(http.ResponseWriter)
		token   string
		want    string
		waits   int
	}{
		"too many rate limits": {limited: []func(http.ResponseWriter){limit, limit, limit, limit, limit, limit}, waits: githubAttempts - 1,
			want: "GitHub API GET /repos/o/r/issues/7/comments?per_page=100&page=1: 429 slow down"},
		"a reset an hour away": {limited: []func(http.ResponseWriter){func(w http.ResponseWriter) {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", "1700003600")
			http.Error(w, `{"message":"API rate limit exceeded"}`, http.StatusForbidden)
		}}, want: "GitHub API GET /repos/o/r/issues/7/comments?per_page=100&page=1: 403 API rate limit exceeded; the rate limit resets in 1h0m1s, later than ejops waits"},
		"a forbidden token": {limited: []func(http.ResponseWriter){func(w http.ResponseWriter) {
			http.Error(w, `{"message":"Resource not accessible by integration"}`, http.StatusForbidden)
		}}, want: "403 Resource not accessible by integration (the job needs `permissions: {pull-requests: write}`"},
		"a wrong token": {token: "other", want: "401 Bad credentials (check GITHUB_TOKEN)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeGitHub(t)
			f.limited = tc.limited
			var slept []time.Duration
			pr := testPullRequest(srv, &slept)
			if tc.token != "" {
				pr.token = tc.token
			}
			_, _, err := pr.upsertComment(t.Context(), commentMarker("default"), "plan")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want it to hold %q", err, tc.want)
			}
			if len(slept) != tc.waits || len(f.bodies(7)) != 0 {
				t.Errorf("waited %v, comments %q", slept, f.bodies(7))
			}
			if strings.Contains(err.Error(), pr.token) {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
}

func TestCommentMarkerKeepsTheScopeInside(t *testing.T) {
	if got := commentMarker("a --> <b> c"); got != "<!-- ejops-plan scope=a+--%3E+%3Cb%3E+c -->" {
		t.Errorf("commentMarker = %q", got)
	}
}

// githubEnv is the environment of a pull request's workflow run against srv.
func githubEnv(t *testing.T, srv *httptest.Server, event string) map[string]string {
	dir := t.TempDir()
	path := filepath.Join(dir, "event.json")
	if err := os.WriteFile(path, []byte(event), 0o644); err != nil {
		t.Fatal(err)
	}
	api := "http://127.0.0.1:1"
	if srv != nil {
		api = srv.URL
	}
	return map[string]string{"GITHUB_TOKEN": "t0ken", "GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_PATH": path,
		"GITHUB_API_URL": api, "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "42",
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md")}
}

func TestPullRequestFromEnv(t *testing.T) {
	pr := `{"number": 7, "pull_request": {"number": 7}}`
	tests := map[string]struct {
		event string
		unset string
		set   map[string]string
		want  string // error, or "" for pull request 7
	}{
		"pull_request":             {event: pr},
		"comment on a PR":          {event: `{"issue": {"number": 7, "pull_request": {"url": "x"}}}`},
		"no token":                 {event: pr, unset: "GITHUB_TOKEN", want: "--github-comment needs GITHUB_TOKEN"},
		"no repository":            {event: pr, unset: "GITHUB_REPOSITORY", want: "needs GITHUB_REPOSITORY"},
		"no event file":            {event: pr, unset: "GITHUB_EVENT_PATH", want: "needs GITHUB_EVENT_PATH"},
		"a push":                   {event: `{"ref": "refs/heads/main"}`, set: map[string]string{"GITHUB_EVENT_NAME": "push"}, want: "the push event is not for one"},
		"a comment on an issue":    {event: `{"issue": {"number": 7}}`, want: "the this event is not for one"},
		"a bad repository":         {event: pr, set: map[string]string{"GITHUB_REPOSITORY": "o/r/../x"}, want: `GITHUB_REPOSITORY "o/r/../x" is not owner/name`},
		"a bad API address":        {event: pr, set: map[string]string{"GITHUB_API_URL": "file:///etc"}, want: "is not an http(s) URL"},
		"an event that is no JSON": {event: "{", want: "read the event file"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			vars := githubEnv(t, nil, tc.event)
			delete(vars, tc.unset)
			for k, v := range tc.set {
				vars[k] = v
			}
			got, err := pullRequestFromEnv(&env{getenv: func(k string) string { return vars[k] }})
			switch {
			case tc.want == "" && (err != nil || got.number != 7 || got.repo != "o/r"):
				t.Fatalf("got %+v, %v", got, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v; want it to hold %q", err, tc.want)
			}
		})
	}
}

// runWithEnv runs ejops with vars as its whole environment.
func runWithEnv(vars map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] },
		readFile: os.ReadFile}
	code = run(e, args)
	return code, out.String(), errb.String()
}

func TestPlanGitHubComment(t *testing.T) {
	f, srv := newFakeGitHub(t)
	vars := githubEnv(t, srv, `{"number": 7, "pull_request": {"number": 7}}`)
	vars["CI"] = "true"
	specs := filepath.Join("..", "..", "examples", "quickstart")
	state := "embedded:" + filepath.Join(t.TempDir(), "jobdb.json")
	for run := 1; run <= 2; run++ {
		code, stdout, stderr := runWithEnv(vars, "plan", "--github-comment", "--job-db", state, specs)
		verb := map[int]string{1: "created", 2: "updated"}[run]
		if code != exitOK || !strings.Contains(stderr, "ejops: plan comment "+verb+": https://github.com/o/r/pull/7#issuecomment-") {
			t.Fatalf("run %d: exit %d\n%s", run, code, stderr)
		}
		if !strings.Contains(stdout, "Plan: 2 to add, 0 to change, 0 to destroy.") {
			t.Errorf("run %d: the text plan is not on stdout:\n%s", run, stdout)
		}
	}
	bodies := f.bodies(7)
	if len(bodies) != 1 || !strings.HasPrefix(bodies[0], "<!-- ejops-plan scope=default -->\n📝 **ejops plan** for scope <code>default</code>: 2 to add") ||
		!strings.Contains(bodies[0], "```sql\nIF OBJECT_ID(N'dbo.ejops_heartbeat'") {
		t.Fatalf("comments: %q", bodies)
	}
	summary, err := os.ReadFile(vars["GITHUB_STEP_SUMMARY"])
	if err != nil || strings.Count(string(summary), "**ejops plan**") != 2 {
		t.Errorf("job summary: %v\n%s", err, summary)
	}
}

func TestPlanGitHubCommentNeedsATokenFirst(t *testing.T) {
	vars := githubEnv(t, nil, `{"number": 7, "pull_request": {"number": 7}}`)
	delete(vars, "GITHUB_TOKEN")
	// A job database that cannot be reached: the missing token is reported before it is tried.
	code, stdout, stderr := runWithEnv(vars, "plan", "--github-comment", "--job-db", "sqlserver://127.0.0.1:1?database=jobs", ".")
	if code != exitFailure || stdout != "" || !strings.HasPrefix(stderr, "ejops: --github-comment needs GITHUB_TOKEN") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
}

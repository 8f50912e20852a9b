package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// defaultGitHubAPI is GitHub's REST API; GITHUB_API_URL names another (GitHub Enterprise Server).
const defaultGitHubAPI = "https://api.github.com"

// Bounds on waiting out GitHub's rate limits and outages.
const (
	githubAttempts = 5               // requests, the first included
	githubMaxWait  = 2 * time.Minute // the longest single wait; a later reset is an error
)

// pullRequest is a pull request that plan --github-comment writes to, through GitHub's REST API.
type pullRequest struct {
	api    string // base URL of the REST API, without a trailing slash
	token  string
	repo   string // owner/name
	number int

	client *http.Client
	// sleep waits out a rate limit; now reads the clock for x-ratelimit-reset. Tests replace both.
	sleep func(context.Context, time.Duration) error
	now   func() time.Time
}

var repoName = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

// pullRequestFromEnv returns the pull request of the GitHub Actions run: GITHUB_TOKEN,
// GITHUB_REPOSITORY, the number from the event file GITHUB_EVENT_PATH, and GITHUB_API_URL.
func pullRequestFromEnv(e *env) (*pullRequest, error) {
	pr := &pullRequest{api: strings.TrimRight(e.getenv("GITHUB_API_URL"), "/"), token: e.getenv("GITHUB_TOKEN"),
		repo: e.getenv("GITHUB_REPOSITORY"), client: &http.Client{Timeout: 30 * time.Second}, sleep: sleep, now: time.Now}
	if pr.api == "" {
		pr.api = defaultGitHubAPI
	}
	switch {
	case pr.token == "":
		return nil, errors.New("--github-comment needs GITHUB_TOKEN: give the step `env: {GITHUB_TOKEN: ${{ github.token }}}` and the job `permissions: {pull-requests: write}`")
	case pr.repo == "":
		return nil, errors.New("--github-comment needs GITHUB_REPOSITORY (owner/name), which GitHub Actions sets")
	case !repoName.MatchString(pr.repo):
		return nil, fmt.Errorf("GITHUB_REPOSITORY %q is not owner/name", pr.repo)
	}
	if u, err := url.Parse(pr.api); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("GITHUB_API_URL %q is not an http(s) URL", pr.api)
	}
	var err error
	pr.number, err = pullRequestNumber(e.getenv("GITHUB_EVENT_PATH"), e.getenv("GITHUB_EVENT_NAME"))
	return pr, err
}

// pullRequestNumber reads the pull request's number from a workflow's event file: the events
// pull_request and pull_request_target, and comments on a pull request (issue_comment).
func pullRequestNumber(path, event string) (int, error) {
	if path == "" {
		return 0, errors.New("--github-comment needs GITHUB_EVENT_PATH, the event file GitHub Actions writes")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read the event file: %w", err)
	}
	var ev struct {
		PullRequest *struct {
			Number int `json:"number"`
		} `json:"pull_request"`
		Issue *struct {
			Number      int             `json:"number"`
			PullRequest json.RawMessage `json:"pull_request"`
		} `json:"issue"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return 0, fmt.Errorf("read the event file %s: %w", path, err)
	}
	switch {
	case ev.PullRequest != nil && ev.PullRequest.Number > 0:
		return ev.PullRequest.Number, nil
	case ev.Issue != nil && ev.Issue.Number > 0 && len(ev.Issue.PullRequest) > 0:
		return ev.Issue.Number, nil
	}
	if event == "" {
		event = "this"
	}
	return 0, fmt.Errorf("--github-comment comments on pull requests, and the %s event is not for one: run it `on: pull_request`", event)
}

// commentMarker is the hidden first line that finds the plan comment of a scope again.
func commentMarker(scope string) string {
	return fmt.Sprintf("<!-- ejops-plan scope=%s -->", url.QueryEscape(scope))
}

// issueComment is the part of a GitHub issue comment that ejops reads.
type issueComment struct {
	ID      int64  `json:"id"`
	Body    string `json:"body"`
	HTMLURL string `json:"html_url"`
}

// upsertComment updates the pull request's comment that starts with marker, or creates one, so
// that each scope has one plan comment however often plan runs; it deletes nothing. It returns
// the comment's address and whether it was created.
func (pr *pullRequest) upsertComment(ctx context.Context, marker, body string) (string, bool, error) {
	body = marker + "\n" + body
	comments, err := pr.comments(ctx)
	if err != nil {
		return "", false, err
	}
	for _, c := range comments {
		if !strings.HasPrefix(c.Body, marker) {
			continue
		}
		var got issueComment
		err := pr.call(ctx, http.MethodPatch, fmt.Sprintf("/repos/%s/issues/comments/%d", pr.repo, c.ID), map[string]string{"body": body}, &got)
		var ae *githubError
		if errors.As(err, &ae) && (ae.status == http.StatusForbidden || ae.status == http.StatusNotFound) {
			continue // a comment of someone else that copied the marker
		}
		return got.HTMLURL, false, err
	}
	var got issueComment
	err = pr.call(ctx, http.MethodPost, fmt.Sprintf("/repos/%s/issues/%d/comments", pr.repo, pr.number), map[string]string{"body": body}, &got)
	return got.HTMLURL, true, err
}

// maxCommentPages bounds the listing of a pull request's comments (100 a page).
const maxCommentPages = 100

// comments lists the pull request's comments, oldest first.
func (pr *pullRequest) comments(ctx context.Context) ([]issueComment, error) {
	var all []issueComment
	for page := 1; page <= maxCommentPages; page++ {
		var got []issueComment
		path := fmt.Sprintf("/repos/%s/issues/%d/comments?per_page=100&page=%d", pr.repo, pr.number, page)
		if err := pr.call(ctx, http.MethodGet, path, nil, &got); err != nil {
			return nil, err
		}
		all = append(all, got...)
		if len(got) < 100 {
			break
		}
	}
	return all, nil
}

// githubError is a response of GitHub's API that is not a success.
type githubError struct {
	method, path string
	status       int
	message      string
}

func (e *githubError) Error() string {
	msg := fmt.Sprintf("GitHub API %s %s: %d %s", e.method, e.path, e.status, e.message)
	switch e.status {
	case http.StatusUnauthorized:
		msg += " (check GITHUB_TOKEN)"
	case http.StatusForbidden, http.StatusNotFound:
		if strings.Contains(strings.ToLower(e.message), "rate limit") {
			break
		}
		msg += " (the job needs `permissions: {pull-requests: write}`; pull requests from forks get a read-only token)"
	}
	return msg
}

// call sends one request to GitHub's API and decodes the answer into out, waiting out rate limits
// and outages a bounded number of times.
func (pr *pullRequest) call(ctx context.Context, method, path string, in, out any) error {
	var payload []byte
	if in != nil {
		payload, _ = json.Marshal(in)
	}
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, pr.api+path, bytes.NewReader(payload))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+pr.token)
		req.Header.Set("Accept", "application/vnd.github+json")
		req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
		req.Header.Set("User-Agent", "ejops/"+buildVersion())
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := pr.client.Do(req)
		if err != nil {
			return fmt.Errorf("GitHub API %s %s: %w", method, path, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("GitHub API %s %s: %w", method, path, err)
		}
		if resp.StatusCode < 300 {
			if out == nil {
				return nil
			}
			return json.Unmarshal(data, out)
		}
		ge := &githubError{method: method, path: path, status: resp.StatusCode, message: apiMessage(data, resp.Status)}
		wait, again := retryWait(resp, ge.message, attempt, pr.now())
		if !again || attempt == githubAttempts {
			return ge
		}
		if wait > githubMaxWait {
			return fmt.Errorf("%w; the rate limit resets in %s, later than ejops waits", ge, wait.Round(time.Second))
		}
		if err := pr.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// apiMessage is the message of an error document, else the HTTP status.
func apiMessage(data []byte, status string) string {
	var doc struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &doc) == nil && doc.Message != "" {
		return doc.Message
	}
	return status
}

// retryWait says whether a failed request is worth sending again, and after how long: a rate
// limit (403 or 429) waits for Retry-After or x-ratelimit-reset, or a minute for a secondary rate
// limit that names neither; a server error backs off exponentially.
func retryWait(resp *http.Response, message string, attempt int, now time.Time) (time.Duration, bool) {
	switch s := resp.StatusCode; {
	case s == http.StatusForbidden || s == http.StatusTooManyRequests:
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second, true
		}
		if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
			if reset, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
				return max(time.Unix(reset, 0).Sub(now), 0) + time.Second, true
			}
		}
		if s == http.StatusTooManyRequests || strings.Contains(strings.ToLower(message), "rate limit") {
			return time.Minute, true
		}
	case s == http.StatusBadGateway || s == http.StatusServiceUnavailable || s == http.StatusGatewayTimeout:
		return time.Duration(1<<(attempt-1)) * time.Second, true
	}
	return 0, false
}

// sleep waits for d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

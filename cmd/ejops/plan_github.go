package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/ejops/ejops/cmd/ejops/internal/view"
	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/spec"
	"github.com/ejops/ejops/spec/lint"
)

// planMarkdown returns the Markdown view of the plan, with the lint findings of the steps it adds
// or changes and, in a GitHub Actions run, a pointer to the run that holds the full plan.
func planMarkdown(e *env, v *view.View, set *spec.Set, p *runner.Plan) *view.PlanMarkdown {
	return &view.PlanMarkdown{View: v, Findings: changedStepFindings(set, p), FullPlan: fullPlanPointer(e)}
}

// changedStepFindings lints the steps of the specs that the plan adds or changes.
func changedStepFindings(set *spec.Set, p *runner.Plan) map[view.StepRef]spec.Diagnostics {
	var cfg lint.Config
	if set.Agent != nil {
		cfg.Severity = set.Agent.Lint
	}
	jobs := make(map[string]*spec.Job, len(set.Jobs))
	for _, j := range set.Jobs {
		jobs[strings.ToLower(j.Name)] = j
	}
	out := map[view.StepRef]spec.Diagnostics{}
	for _, c := range p.Changes {
		job := jobs[strings.ToLower(c.Name)]
		if c.Kind != runner.KindJob || c.Action == runner.Delete || job == nil {
			continue
		}
		for _, s := range c.Subs {
			name := s.Name
			if s.NewName != "" {
				name = s.NewName
			}
			for _, st := range job.Steps {
				if s.Action != runner.Delete && strings.EqualFold(st.Name, name) {
					if ds := lint.LintStep(st, cfg); len(ds) > 0 {
						out[view.StepRef{Job: c.Name, Step: name}] = ds
					}
				}
			}
		}
	}
	return out
}

var digits = regexp.MustCompile(`^[0-9]+$`)

// fullPlanPointer says where the full plan is: the log and artifacts of the GitHub Actions run,
// or a plan run by hand.
func fullPlanPointer(e *env) string {
	server, repo, run := e.getenv("GITHUB_SERVER_URL"), e.getenv("GITHUB_REPOSITORY"), e.getenv("GITHUB_RUN_ID")
	if !strings.HasPrefix(server, "https://") || !repoName.MatchString(repo) || !digits.MatchString(run) || strings.ContainsAny(server, "()<> \n") {
		return "Run `ejops plan` for the full plan."
	}
	return fmt.Sprintf("The full plan is in the log and the artifacts of [workflow run %s](%s/%s/actions/runs/%s).",
		run, strings.TrimRight(server, "/"), repo, run)
}

// publishPlan appends the Markdown plan to the job summary of a GitHub Actions step when
// GITHUB_STEP_SUMMARY is set and, with --github-comment, writes it as the scope's comment on the
// pull request. It runs only when the plan is asked for in Markdown or as a comment.
func publishPlan(ctx context.Context, e *env, a planArgs, md *view.PlanMarkdown, p *runner.Plan) error {
	if a.view.Format != view.Markdown && a.comment == nil {
		return nil
	}
	text := md.Render(p)
	if path := e.getenv("GITHUB_STEP_SUMMARY"); path != "" {
		// A blank line ends it, so that the next summary of the job starts a paragraph of its own.
		if !strings.HasSuffix(text, "\n\n") {
			text += "\n"
		}
		if err := appendFile(path, text); err != nil {
			fmt.Fprintf(e.stderr, "ejops: warning: the job summary was not written: %s\n", view.Escape(err.Error()))
		}
	}
	if a.comment == nil {
		return nil
	}
	url, created, err := a.comment.upsertComment(ctx, commentMarker(p.Scope), text)
	if err != nil {
		return fmt.Errorf("plan comment: %w", err)
	}
	verb := "updated"
	if created {
		verb = "created"
	}
	fmt.Fprintf(e.stderr, "ejops: plan comment %s: %s\n", verb, view.Escape(url))
	return nil
}

// appendFile appends text to the file at path.
func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

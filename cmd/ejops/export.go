package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ejops/ejops/cmd/ejops/internal/view"
	"github.com/ejops/ejops/runner"
)

func init() {
	commands["export"] = command{summary: "write specs for what the live job database holds", run: runExport, interruptible: true}
}

func runExport(ctx context.Context, e *env, args []string) int {
	var f dbFlags
	fs := newFlags(e, "export", "--out DIR [flags]", `  ejops export --out jobs/ --job-db "$EJOPS_JOB_DB"
  ejops plan jobs/        # shows no changes`)
	f.register(fs)
	out := fs.String("out", "", "write the specs under `DIR` (created; existing files are not overwritten)")
	force := fs.Bool("force", false, "overwrite existing files")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if code := f.check(e); code >= 0 {
		return code
	}
	if *out == "" || fs.NArg() > 0 {
		return usageErrorf(e, "export: --out DIR is required and no arguments are taken")
	}
	v := view.NewExport(e.view(view.Text, false))
	db, err := f.open(e)
	if err != nil {
		return fail(e, err)
	}
	defer db.Close()
	ctx, cancel := f.bound(ctx)
	defer cancel()
	live, err := db.Read(ctx)
	if err != nil {
		return fail(e, err)
	}
	files := runner.Export(live)
	paths := runner.SortedPaths(files)
	if !*force {
		for _, p := range paths {
			if _, err := os.Stat(filepath.Join(*out, p)); err == nil {
				return fail(e, fmt.Errorf("%s exists; nothing was written (use --force to overwrite)", filepath.Join(*out, p)))
			}
		}
	}
	for _, p := range paths {
		dst := filepath.Join(*out, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fail(e, err)
		}
		if err := os.WriteFile(dst, files[p], 0o644); err != nil {
			return fail(e, err)
		}
		v.Wrote(dst)
	}
	v.Exported(len(paths))
	return exitOK
}

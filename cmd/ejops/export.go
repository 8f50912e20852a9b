package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ejops/ejops/cmd/ejops/internal/view"
	"github.com/ejops/ejops/runner"
)

func init() {
	commands["export"] = command{summary: "write specs for what the live job database holds", run: runExport, interruptible: true}
}

func runExport(ctx context.Context, e *env, args []string) int {
	var f dbFlags
	fs := newFlags(e, "export", "--out DIR [flags]", `  ejops export --out jobs/ --job-db-file /run/secrets/job-db
  ejops plan jobs/        # shows no changes`)
	f.register(fs)
	out := fs.String("out", "", "write the specs under `DIR` (created; existing files are not overwritten)")
	force := fs.Bool("force", false, "overwrite existing files")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if *out == "" || fs.NArg() > 0 {
		return usageErrorf(e, "export: --out DIR is required and no arguments are taken")
	}
	if code := f.check(e); code >= 0 {
		return code
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
	files := runner.ExportAt(live, e.now())
	written, err := writeTree(*out, files, *force)
	for _, path := range written {
		v.Wrote(path)
	}
	if err != nil {
		return fail(e, err)
	}
	v.Exported(len(written), len(live.Credentials))
	return exitOK
}

// writeTree writes files (slash paths under dir) all or nothing: into a folder beside dir first,
// then moved into place. It refuses to write through a symbolic link in dir, and, unless force, to
// replace a file. It returns the paths written.
func writeTree(dir string, files map[string][]byte, force bool) ([]string, error) {
	paths := runner.SortedPaths(files)
	for _, p := range paths {
		if err := checkTarget(dir, filepath.FromSlash(p), force); err != nil {
			return nil, fmt.Errorf("%w; nothing was written", err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(dir)), 0o755); err != nil {
		return nil, err
	}
	stage, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), ".ejops-export-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	for _, p := range paths {
		dst := filepath.Join(stage, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, files[p], 0o644); err != nil {
			return nil, fmt.Errorf("%w; nothing was written", err)
		}
	}
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(stage, dir); err != nil {
			return nil, err
		}
		written := make([]string, len(paths))
		for i, p := range paths {
			written[i] = filepath.Join(dir, filepath.FromSlash(p))
		}
		return written, nil
	}
	var written []string
	for _, p := range paths {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return written, err
		}
		if err := os.Rename(filepath.Join(stage, filepath.FromSlash(p)), dst); err != nil {
			return written, err
		}
		written = append(written, dst)
	}
	return written, nil
}

// checkTarget refuses a path under dir that goes through a symbolic link, or that exists unless
// force allows replacing a regular file.
func checkTarget(dir, rel string, force bool) error {
	cur := dir
	parts := strings.Split(rel, string(filepath.Separator))
	for i, part := range parts {
		cur = filepath.Join(cur, part)
		st, err := os.Lstat(cur)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil
		case err != nil:
			return err
		case st.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link; export writes only inside %s", cur, dir)
		case i < len(parts)-1 && !st.IsDir():
			return fmt.Errorf("%s is not a folder", cur)
		case i == len(parts)-1 && !force:
			return fmt.Errorf("%s exists (use --force to overwrite)", cur)
		case i == len(parts)-1 && !st.Mode().IsRegular():
			return fmt.Errorf("%s is not a regular file", cur)
		}
	}
	return nil
}

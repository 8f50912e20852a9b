package main

import (
	"context"
	"fmt"

	"github.com/ejops/ejops/schema"
)

func init() {
	commands["schema"] = command{summary: "print the JSON Schema of spec files", run: runSchema}
}

func runSchema(_ context.Context, e *env, args []string) int {
	fs := newFlags(e, "schema", "", `  ejops schema > ejops.schema.json
  # then, at the top of a spec file:
  # yaml-language-server: $schema=./ejops.schema.json`)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return usageErrorf(e, "schema takes no arguments")
	}
	if _, err := e.stdout.Write(schema.JSON); err != nil {
		return fail(e, fmt.Errorf("write schema: %w", err))
	}
	return exitOK
}

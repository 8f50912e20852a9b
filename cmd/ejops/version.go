package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and commit are set at build time with -ldflags "-X main.version=v1.2.3 -X main.commit=…";
// without them, the module version and the VCS revision Go records stand in.
var version, commit = "", ""

func init() {
	commands["version"] = command{summary: "print the version, commit, Go version and platform", run: runVersion}
}

// buildInfo is what ejops version prints.
type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Modified  bool   `json:"modified,omitempty"` // built from a work tree with uncommitted changes
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

func runVersion(_ context.Context, e *env, args []string) int {
	fs := newFlags(e, "version", "[--format text|json]", "  ejops version --format json")
	format := fs.String("format", "text", "output format: text or json")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return usageErrorf(e, "version takes no arguments")
	}
	info := readBuildInfo()
	switch *format {
	case "json":
		b, _ := json.MarshalIndent(info, "", "  ")
		fmt.Fprintf(e.stdout, "%s\n", b)
	case "text":
		commit := info.Commit
		if commit == "" {
			commit = "unknown"
		} else if info.Modified {
			commit += " (modified)"
		}
		fmt.Fprintf(e.stdout, "ejops %s\ncommit %s\n%s %s\n", info.Version, commit, info.GoVersion, info.Platform)
	default:
		return usageErrorf(e, "version: unknown --format %q (text or json)", *format)
	}
	return exitOK
}

func readBuildInfo() buildInfo {
	info := buildInfo{Version: buildVersion(), GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if commit != "" {
		info.Commit, info.Modified = commit, false
	}
	return info
}

// buildVersion is the release version set at build time, else the module version, else "devel".
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ejopsBinary returns the folder of an ejops executable: TestMain puts one on PATH (this test
// binary, which runs Main when called by that name).
func ejopsBinary(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("ejops")
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(path)
}

func completionScript(t *testing.T, shell string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"completion", shell}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("completion %s: exit %d: %s", shell, code, stderr.String())
	}
	path := filepath.Join(t.TempDir(), "ejops."+shell)
	if err := os.WriteFile(path, stdout.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBashCompletion completes command names and a command's flags in a real bash.
func TestBashCompletion(t *testing.T) {
	bin := ejopsBinary(t)
	script := completionScript(t, "bash")
	complete := func(words ...string) string {
		t.Helper()
		cmd := exec.Command("bash", "-c", `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($#-1)); _ejops; echo "${COMPREPLY[*]}"`, "bash", script)
		cmd.Args = append(cmd.Args, words...)
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := complete("ejops", "ap"); got != "apply" {
		t.Errorf("ejops ap<TAB> = %q, want apply", got)
	}
	if got := complete("ejops", "plan", "--det"); got != "--detailed-exitcode" {
		t.Errorf("ejops plan --det<TAB> = %q, want --detailed-exitcode", got)
	}
	if got := complete("ejops", "validate", "--st"); got != "--strict" {
		t.Errorf("ejops validate --st<TAB> = %q, want --strict", got)
	}
}

// requireTool skips a test when program is not installed, naming the Debian package to install,
// unless EJOPS_REQUIRE_TOOLS=1 (which .ci/run sets after installing them) makes that a failure.
func requireTool(t *testing.T, program, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(program); err != nil {
		if os.Getenv("EJOPS_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s is not installed (apt-get install %s)", program, pkg)
		}
		t.Skipf("%s is not installed (apt-get install %s)", program, pkg)
	}
}

// TestFishCompletion completes a command name and a command's flags in a real fish.
func TestFishCompletion(t *testing.T) {
	requireTool(t, "fish", "fish")
	bin := ejopsBinary(t)
	script := completionScript(t, "fish")
	cmd := exec.Command("fish", "--no-config", "-c", `source $argv[1]; complete -C "ejops valid"; complete -C "ejops plan --det"`, script)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("fish: %v\n%s", err, out)
	}
	if got := strings.Fields(string(out)); strings.Join(got, " ") != "validate --detailed-exitcode" {
		t.Errorf("fish completions = %q, want validate and --detailed-exitcode", got)
	}
}

// TestZshCompletionSyntax checks that the zsh script parses.
func TestZshCompletionSyntax(t *testing.T) {
	requireTool(t, "zsh", "zsh")
	if out, err := exec.Command("zsh", "-n", completionScript(t, "zsh")).CombinedOutput(); err != nil {
		t.Errorf("zsh script does not parse: %v\n%s", err, out)
	}
}

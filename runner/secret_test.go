package runner

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ejops/ejops/spec"
)

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	resolve := ResolveSecret(func(string) string { return "" }, ReadSecretFile)
	good := write("good", []byte("s3cret\n"))
	if v, err := resolve(spec.SecretRef{File: good}); err != nil || v != "s3cret" {
		t.Fatalf("good file: %q, %v", v, err)
	}
	cases := map[string]struct{ path, want string }{
		"device":    {"/dev/zero", "not a regular file"},
		"directory": {dir, "not a regular file"},
		"huge":      {write("huge", make([]byte, MaxSecretFile+1)), "larger than"},
		"empty":     {write("empty", []byte("\n")), "is empty"},
		"not utf-8": {write("latin1", []byte{'p', 0xe9}), "not UTF-8"},
		"missing":   {filepath.Join(dir, "nope"), "no such file"},
	}
	for name, c := range cases {
		_, err := resolve(spec.SecretRef{File: c.path})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, c.want)
		}
	}
	if _, err := resolve(spec.SecretRef{Env: "UNSET_SECRET"}); err == nil || !strings.Contains(err.Error(), "UNSET_SECRET is not set") {
		t.Errorf("unset variable: %v", err)
	}
}

// TestSecretUnavailable: an unset variable and a missing file are unavailable secrets; a secret
// that is there but unreadable is not.
func TestSecretUnavailable(t *testing.T) {
	dir := t.TempDir()
	resolve := ResolveSecret(func(string) string { return "" }, ReadSecretFile)
	for ref, want := range map[spec.SecretRef]bool{
		{Env: "UNSET_SECRET"}:                    true,
		{File: filepath.Join(dir, "missing")}:    true,
		{File: dir}:                              false,
		{File: filepath.Join(dir, "missing/in")}: true,
	} {
		_, err := resolve(ref)
		if err == nil || errors.Is(err, ErrSecretUnavailable) != want {
			t.Errorf("%+v: %v, unavailable %t", ref, err, want)
		}
	}
}

package runner

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestVerifyFingerprintParameters checks that only fingerprints with the parameters ejops writes
// are computed: an inventory row edited to costlier parameters (minutes and gigabytes of scrypt),
// weaker ones, or other salt and digest lengths does not match, and is refused at once.
func TestVerifyFingerprintParameters(t *testing.T) {
	fp, err := Fingerprint("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if !VerifyFingerprint("s3cret", fp) || VerifyFingerprint("other", fp) {
		t.Fatalf("VerifyFingerprint does not tell the secret from another one: %s", fp)
	}
	parts := strings.Split(fp, "$")
	salt, key := parts[4], parts[5]
	rawSalt, _ := base64.RawStdEncoding.DecodeString(salt)
	weaker, err := fingerprint("s3cret", rawSalt, 1<<10, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"costlier":      "scrypt$1048576$32$4$" + salt + "$" + key,
		"weaker":        weaker,
		"leading zero":  "scrypt$032768$8$1$" + salt + "$" + key,
		"short salt":    "scrypt$32768$8$1$" + salt[:8] + "$" + key,
		"long digest":   fp + "AAAA",
		"extra field":   fp + "$x",
		"other scheme":  "bcrypt$32768$8$1$" + salt + "$" + key,
		"invalid salt":  "scrypt$32768$8$1$" + strings.Repeat("!", len(salt)) + "$" + key,
		"empty":         "",
		"prefix only":   "scrypt$32768$8$1$",
		"no digest sep": "scrypt$32768$8$1$" + salt + key,
	}
	for name, edited := range cases {
		done := make(chan bool, 1)
		go func() { done <- VerifyFingerprint("s3cret", edited) }()
		select {
		case ok := <-done:
			if ok {
				t.Errorf("%s: %q matches", name, edited)
			}
		case <-time.After(time.Second):
			t.Fatalf("%s: %q is still being computed after a second", name, edited)
		}
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

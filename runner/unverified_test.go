package runner

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ejops/ejops/runner/jobdb"
	"github.com/ejops/ejops/spec"
)

// envSecrets resolves secrets from a map standing for the environment.
func envSecrets(env map[string]string) func(spec.SecretRef) (string, error) {
	return ResolveSecret(func(k string) string { return env[k] }, func(string) ([]byte, error) { return nil, os.ErrNotExist })
}

func cred(name, env, pos string) DesiredCredential {
	return DesiredCredential{Name: name, Identity: "u", SecretFrom: spec.SecretRef{Env: env}, SecretPos: pos}
}

// TestPreviewWithoutSecrets: a preview lists the credentials whose secret is not there as
// unverified and plans the rest; without Preview, every missing secret is reported at once, each
// at its spec position.
func TestPreviewWithoutSecrets(t *testing.T) {
	fp, _ := Fingerprint("old")
	live := &jobdb.State{Credentials: []jobdb.Credential{{Name: "kept", Identity: "u"}},
		Inventory: []jobdb.Owned{{Scope: "default", Kind: KindCredential, Name: "kept", SecretFingerprint: fp}}}
	live.Inventory[0].SpecHash = specHash(cred("kept", "", ""))
	d := &Desired{Credentials: []DesiredCredential{cred("kept", "KEPT", "a.yaml:6:21: spec.secretFrom.env"),
		cred("new", "NEW", "b.yaml:6:21: spec.secretFrom.env"), cred("ok", "OK", "c.yaml:6:21: spec.secretFrom.env")}}
	opt := Options{Scope: "default", Secret: envSecrets(map[string]string{"OK": "x"}), Now: time.Now(), Preview: true}
	p, err := Diff(d, live, opt)
	if err != nil {
		t.Fatal(err)
	}
	want := []Unverified{
		{Name: "kept", Reason: "secret not checked: KEPT is not set", Pos: "a.yaml:6:21: spec.secretFrom.env"},
		{Name: "new", Reason: "secret not checked: NEW is not set", Pos: "b.yaml:6:21: spec.secretFrom.env"},
	}
	if fmt.Sprint(p.Unverified) != fmt.Sprint(want) {
		t.Errorf("unverified = %+v, want %+v", p.Unverified, want)
	}
	if got := procs(p); strings.Join(got, ",") != "CREATE CREDENTIAL,CREATE CREDENTIAL" || p.Changes[0].Name != "new" {
		t.Errorf("calls = %v: want the two creates, nothing for the unverified existing credential", got)
	}

	opt.Preview = false
	_, err = Diff(d, live, opt)
	var ce *CredentialsError
	if !errors.As(err, &ce) || len(ce.Problems) != 2 {
		t.Fatalf("without Preview: %v, want a CredentialsError of 2", err)
	}
	for _, want := range []string{
		"2 credentials cannot be checked; nothing was changed:",
		"\n  a.yaml:6:21: spec.secretFrom.env: credential \"kept\": secret: environment variable KEPT is not set",
		"\n  b.yaml:6:21: spec.secretFrom.env: credential \"new\": secret: environment variable NEW is not set",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestPreviewFailsOnUnreadableSecret: a secret that is there but cannot be read fails a preview too.
func TestPreviewFailsOnUnreadableSecret(t *testing.T) {
	broken := func(spec.SecretRef) (string, error) { return "", errors.New("secret: /s is not a regular file") }
	d := &Desired{Credentials: []DesiredCredential{cred("c", "", "a.yaml:1:1: spec.secretFrom.file")}}
	_, err := Diff(d, &jobdb.State{}, Options{Scope: "default", Secret: broken, Preview: true})
	if err == nil || err.Error() != `a.yaml:1:1: spec.secretFrom.file: credential "c": secret: /s is not a regular file` {
		t.Fatalf("err = %v", err)
	}
}

// TestHiddenCredentials: when the login cannot read the credentials, a preview shows every
// credential of the specs (and, pruning, every owned one) as not verifiable, plans no create and
// forgets no inventory row; without Preview it is an error.
func TestHiddenCredentials(t *testing.T) {
	live := &jobdb.State{CredentialsHidden: true,
		Inventory: []jobdb.Owned{owned("default", KindCredential, "gone"), owned("default", KindCredential, "c")}}
	d := &Desired{Credentials: []DesiredCredential{cred("c", "C", "a.yaml:6:21: spec.secretFrom.env")}}
	opt := Options{Scope: "default", Prune: true, Secret: noSecret, Preview: true}
	p, err := Diff(d, live, opt)
	if err != nil {
		t.Fatal(err)
	}
	reason := "not verifiable (the login cannot read sys.database_scoped_credentials)"
	if len(p.Unverified) != 2 || p.Unverified[0].Name != "c" || p.Unverified[1].Name != "gone" || p.Unverified[1].Reason != reason {
		t.Errorf("unverified = %+v", p.Unverified)
	}
	if p.Writes() {
		t.Errorf("the plan writes: %v %+v", procs(p), p.Inventory)
	}
	opt.Preview = false
	if _, err := Diff(d, live, opt); err == nil || !strings.Contains(err.Error(), "it needs CONTROL on the job database") {
		t.Fatalf("without Preview: %v", err)
	}
}

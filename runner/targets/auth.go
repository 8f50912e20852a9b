package targets

import (
	"strings"

	"github.com/ejops/ejops/runner"
	"github.com/ejops/ejops/spec"
)

// NotCheckedManagedIdentity is why a member, step or output that authenticates with the agent's
// managed identity is not checked: ejops has no Microsoft Entra sign-in of the agent's identity.
const NotCheckedManagedIdentity = "not checked: the agent authenticates with its managed identity"

// Login is the user and secret a connection authenticates with. It prints as its user alone.
type Login struct {
	User     string
	Password string
}

func (l Login) String() string   { return l.User }
func (l Login) GoString() string { return "targets.Login{User: " + l.User + "}" }

// Auth gives the logins of the specs' credentials, their secrets resolved the way apply resolves
// them, each once.
type Auth struct {
	creds           map[string]runner.DesiredCredential
	secret          func(spec.SecretRef) (string, error)
	managedIdentity bool
	logins          map[string]loginResult
}

type loginResult struct {
	login Login
	err   error
}

// NewAuth returns the logins of d's credentials; secret resolves a secret reference
// (runner.ResolveSecret). With managedIdentity, what names no credential authenticates with the
// agent's managed identity and is not checked.
func NewAuth(d *runner.Desired, secret func(spec.SecretRef) (string, error), managedIdentity bool) *Auth {
	a := &Auth{creds: map[string]runner.DesiredCredential{}, secret: secret, managedIdentity: managedIdentity, logins: map[string]loginResult{}}
	for _, c := range d.Credentials {
		a.creds[strings.ToLower(c.Name)] = c
	}
	return a
}

// login returns the login of credential, or the failure that stops it from being used, or (with
// neither) that it is not checked and why. It is not safe for concurrent use: logins are resolved
// before connections start.
func (a *Auth) login(credential string) (Login, *Failure, string) {
	if credential == "" {
		if a.managedIdentity {
			return Login{}, nil, NotCheckedManagedIdentity
		}
		return Login{}, &Failure{Stage: StageCredential, Message: "no credential named, and the agent authenticates with database scoped credentials"}, ""
	}
	key := strings.ToLower(credential)
	r, done := a.logins[key]
	if !done {
		c, ok := a.creds[key]
		switch {
		case !ok:
			r.err = &Failure{Stage: StageCredential, Message: "credential " + credential + " is not in the specs"}
		default:
			s, err := a.secret(c.SecretFrom)
			r.login, r.err = Login{User: c.Identity, Password: s}, err
		}
		a.logins[key] = r
	}
	if r.err != nil {
		if f, ok := r.err.(*Failure); ok {
			return Login{}, f, ""
		}
		// ResolveSecret's errors name the source, never the value.
		return Login{}, &Failure{Stage: StageCredential, Message: "credential " + credential + ": " + r.err.Error()}, ""
	}
	return r.login, nil, ""
}

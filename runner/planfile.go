package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/ejops/ejops/spec"
)

// PlanFileVersion is the format of the file plan --out writes; ReadPlanFile reads only this one.
// Any change to the file's fields needs a new version (TestPlanFileFormatIsPinned).
const PlanFileVersion = "3" // 3: the job database, the operations and the secrets' fingerprints

// PlanFile is what plan --out saves and apply --plan applies: the desired state (secret references,
// never secrets) and how it was planned, with what binds it (see NewPlanFile and PlanFile.Diff):
// the job database it was made for, the digest of the live state it was planned against, and the
// digests of its operations with the fingerprints of the secrets they use.
type PlanFile struct {
	Scope            string
	Prune            bool
	Desired          *Desired
	Server, Database string
	LiveHash         string
	Operations       []Operation
	Secrets          []SecretPrint
}

// ErrNotPlanFile is returned, wrapped, for a file that is not a plan file of PlanFileVersion.
var ErrNotPlanFile = errors.New("not a plan saved by this version of ejops plan --out")

// WritePlanFile writes pf as indented JSON.
func WritePlanFile(w io.Writer, pf *PlanFile) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // T-SQL's < and > stay readable
	return enc.Encode(planFileOf(pf))
}

// SavePlanFile writes pf to path, readable by its owner only.
func SavePlanFile(path string, pf *PlanFile) error {
	var b bytes.Buffer
	if err := WritePlanFile(&b, pf); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// ReadPlanFile reads a plan file written by WritePlanFile. A file of another format version, or no
// plan file at all, is refused with an error that wraps ErrNotPlanFile.
func ReadPlanFile(r io.Reader) (*PlanFile, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Version  json.RawMessage `json:"formatVersion"`
		Version1 json.RawMessage `json:"format_version"` // how format 1 spelled it
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPlanFile, err)
	}
	version := probe.Version
	if version == nil {
		version = probe.Version1
	}
	switch {
	case version == nil:
		return nil, fmt.Errorf("%w: no formatVersion", ErrNotPlanFile)
	case string(version) != strconv.Quote(PlanFileVersion):
		return nil, fmt.Errorf("%w: its format is %s, this ejops reads format %q only; run ejops plan --out again", ErrNotPlanFile, version, PlanFileVersion)
	}
	var f planFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPlanFile, err)
	}
	if f.Desired == nil {
		return nil, fmt.Errorf("%w: no desired state", ErrNotPlanFile)
	}
	pf := &PlanFile{Scope: f.Scope, Prune: f.Prune, Server: f.JobDB.Server, Database: f.JobDB.Database, LiveHash: f.LiveHash,
		Desired: f.Desired.desired()}
	for _, o := range f.Operations {
		pf.Operations = append(pf.Operations, Operation(o))
	}
	for _, sp := range f.Secrets {
		pf.Secrets = append(pf.Secrets, SecretPrint(sp))
	}
	return pf, nil
}

// LoadPlanFile reads the plan file at path.
func LoadPlanFile(path string) (*PlanFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pf, err := ReadPlanFile(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pf, nil
}

// The file's own structs: their JSON tags are the format of PlanFileVersion, apart from the Go
// types that serve elsewhere.

type planFile struct {
	FormatVersion string          `json:"formatVersion"`
	Scope         string          `json:"scope"`
	Prune         bool            `json:"prune"`
	JobDB         fileJobDB       `json:"jobDatabase"`
	LiveHash      string          `json:"liveHash"`
	Operations    []fileOperation `json:"operations"`
	Secrets       []fileSecret    `json:"secrets"`
	Desired       *fileDesired    `json:"desired"`
}

type fileJobDB struct {
	Server   string `json:"server"`
	Database string `json:"database"`
}

type fileOperation struct {
	Change string `json:"change"`
	Digest string `json:"digest"`
}

type fileSecret struct {
	Credential  string `json:"credential"`
	Fingerprint string `json:"fingerprint"`
}

type fileDesired struct {
	Credentials  []fileCredential  `json:"credentials"`
	TargetGroups []fileTargetGroup `json:"targetGroups"`
	Jobs         []fileJob         `json:"jobs"`
}

type fileCredential struct {
	Name       string        `json:"name"`
	Identity   string        `json:"identity"`
	SecretFrom fileSecretRef `json:"secretFrom"`
	SecretPos  string        `json:"secretPosition,omitempty"` // where the spec names the secret
}

type fileSecretRef struct {
	Env  string `json:"env,omitempty"`
	File string `json:"file,omitempty"` // absolute
}

type fileTargetGroup struct {
	Name    string       `json:"name"`
	Members []fileMember `json:"members"`
}

type fileMember struct {
	Membership        string `json:"membership"`
	Type              string `json:"type"`
	Server            string `json:"server"`
	Database          string `json:"database,omitempty"`
	ElasticPool       string `json:"elasticPool,omitempty"`
	RefreshCredential string `json:"refreshCredential,omitempty"`
}

type fileJob struct {
	Name          string     `json:"name"`
	Description   string     `json:"description"`
	Enabled       bool       `json:"enabled"`
	IntervalType  string     `json:"intervalType"`
	IntervalCount int        `json:"intervalCount"`
	Start         time.Time  `json:"start"`
	End           time.Time  `json:"end"`
	Steps         []fileStep `json:"steps"`
}

type fileStep struct {
	Name                string      `json:"name"`
	Command             string      `json:"command"`
	Credential          string      `json:"credential,omitempty"`
	TargetGroup         string      `json:"targetGroup"`
	InitialRetrySeconds int         `json:"initialRetrySeconds"`
	MaxRetrySeconds     int         `json:"maxRetrySeconds"`
	BackoffMultiplier   float64     `json:"backoffMultiplier"`
	RetryAttempts       int         `json:"retryAttempts"`
	TimeoutSeconds      int         `json:"timeoutSeconds"`
	MaxParallelism      int         `json:"maxParallelism,omitempty"`
	Output              *fileOutput `json:"output,omitempty"`
}

type fileOutput struct {
	Server     string `json:"server"`
	Database   string `json:"database"`
	Schema     string `json:"schema"`
	Table      string `json:"table"`
	Credential string `json:"credential,omitempty"`
}

func planFileOf(pf *PlanFile) planFile {
	d := pf.Desired
	fd := &fileDesired{Credentials: []fileCredential{}, TargetGroups: []fileTargetGroup{}, Jobs: []fileJob{}}
	for _, c := range d.Credentials {
		fd.Credentials = append(fd.Credentials, fileCredential{Name: c.Name, Identity: c.Identity,
			SecretFrom: fileSecretRef{Env: c.SecretFrom.Env, File: c.SecretFrom.File}, SecretPos: c.SecretPos})
	}
	for _, g := range d.TargetGroups {
		fg := fileTargetGroup{Name: g.Name, Members: []fileMember{}}
		for _, m := range g.Members {
			fg.Members = append(fg.Members, fileMember(m))
		}
		fd.TargetGroups = append(fd.TargetGroups, fg)
	}
	for _, j := range d.Jobs {
		fj := fileJob{Name: j.Name, Description: j.Description, Enabled: j.Enabled, IntervalType: j.IntervalType,
			IntervalCount: j.IntervalCount, Start: j.Start, End: j.End, Steps: []fileStep{}}
		for _, s := range j.Steps {
			fs := fileStep{Name: s.Name, Command: s.Command, Credential: s.Credential, TargetGroup: s.TargetGroup,
				InitialRetrySeconds: s.InitialRetrySecs, MaxRetrySeconds: s.MaxRetrySecs, BackoffMultiplier: s.BackoffMultiplier,
				RetryAttempts: s.RetryAttempts, TimeoutSeconds: s.TimeoutSecs, MaxParallelism: s.MaxParallelism}
			if o := s.Output; o != nil {
				fo := fileOutput(*o)
				fs.Output = &fo
			}
			fj.Steps = append(fj.Steps, fs)
		}
		fd.Jobs = append(fd.Jobs, fj)
	}
	f := planFile{FormatVersion: PlanFileVersion, Scope: pf.Scope, Prune: pf.Prune, JobDB: fileJobDB{pf.Server, pf.Database},
		LiveHash: pf.LiveHash, Operations: []fileOperation{}, Secrets: []fileSecret{}, Desired: fd}
	for _, o := range pf.Operations {
		f.Operations = append(f.Operations, fileOperation(o))
	}
	for _, sp := range pf.Secrets {
		f.Secrets = append(f.Secrets, fileSecret(sp))
	}
	return f
}

func (fd *fileDesired) desired() *Desired {
	d := &Desired{}
	for _, c := range fd.Credentials {
		d.Credentials = append(d.Credentials, DesiredCredential{Name: c.Name, Identity: c.Identity,
			SecretFrom: spec.SecretRef{Env: c.SecretFrom.Env, File: c.SecretFrom.File}, SecretPos: c.SecretPos})
	}
	for _, g := range fd.TargetGroups {
		dg := DesiredTargetGroup{Name: g.Name, Members: []DesiredMember{}}
		for _, m := range g.Members {
			dg.Members = append(dg.Members, DesiredMember(m))
		}
		d.TargetGroups = append(d.TargetGroups, dg)
	}
	for _, j := range fd.Jobs {
		dj := DesiredJob{Name: j.Name, Description: j.Description, Enabled: j.Enabled, IntervalType: j.IntervalType,
			IntervalCount: j.IntervalCount, Start: j.Start, End: j.End, Steps: []DesiredStep{}}
		for _, s := range j.Steps {
			ds := DesiredStep{Name: s.Name, Command: s.Command, Credential: s.Credential, TargetGroup: s.TargetGroup,
				InitialRetrySecs: s.InitialRetrySeconds, MaxRetrySecs: s.MaxRetrySeconds, BackoffMultiplier: s.BackoffMultiplier,
				RetryAttempts: s.RetryAttempts, TimeoutSecs: s.TimeoutSeconds, MaxParallelism: s.MaxParallelism}
			if o := s.Output; o != nil {
				do := DesiredOutput(*o)
				ds.Output = &do
			}
			dj.Steps = append(dj.Steps, ds)
		}
		d.Jobs = append(d.Jobs, dj)
	}
	return d
}

package runner

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ejops/ejops/spec"
)

// planFileFields records the fields of each plan file format, as fieldList prints them. A change
// of the file's structs fails TestPlanFileFormatIsPinned until PlanFileVersion moves on and the new
// format is recorded here, with its golden file testdata/planfile-vN.json.
var planFileFields = map[string]string{
	"3": `formatVersion string
scope string
prune bool
jobDatabase object
jobDatabase.server string
jobDatabase.database string
liveHash string
operations[] object
operations[].change string
operations[].digest string
secrets[] object
secrets[].credential string
secrets[].fingerprint string
desired object
desired.credentials[] object
desired.credentials[].name string
desired.credentials[].identity string
desired.credentials[].secretFrom object
desired.credentials[].secretFrom.env string,omitempty
desired.credentials[].secretFrom.file string,omitempty
desired.credentials[].secretPosition string,omitempty
desired.targetGroups[] object
desired.targetGroups[].name string
desired.targetGroups[].members[] object
desired.targetGroups[].members[].membership string
desired.targetGroups[].members[].type string
desired.targetGroups[].members[].server string
desired.targetGroups[].members[].database string,omitempty
desired.targetGroups[].members[].elasticPool string,omitempty
desired.targetGroups[].members[].refreshCredential string,omitempty
desired.jobs[] object
desired.jobs[].name string
desired.jobs[].description string
desired.jobs[].enabled bool
desired.jobs[].intervalType string
desired.jobs[].intervalCount int
desired.jobs[].start time
desired.jobs[].end time
desired.jobs[].steps[] object
desired.jobs[].steps[].name string
desired.jobs[].steps[].command string
desired.jobs[].steps[].credential string,omitempty
desired.jobs[].steps[].targetGroup string
desired.jobs[].steps[].initialRetrySeconds int
desired.jobs[].steps[].maxRetrySeconds int
desired.jobs[].steps[].backoffMultiplier float64
desired.jobs[].steps[].retryAttempts int
desired.jobs[].steps[].timeoutSeconds int
desired.jobs[].steps[].maxParallelism int,omitempty
desired.jobs[].steps[].output object,omitempty
desired.jobs[].steps[].output.server string
desired.jobs[].steps[].output.database string
desired.jobs[].steps[].output.schema string
desired.jobs[].steps[].output.table string
desired.jobs[].steps[].output.credential string,omitempty
`,
}

// fieldList prints the JSON fields of a type, one a line: path, JSON type and tag options.
func fieldList(t *testing.T, typ reflect.Type) string {
	var b strings.Builder
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				t.Fatalf("%s%s: every field of the plan file needs a JSON name", prefix, f.Name)
			}
			path, ft := prefix+name, f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				if ft.Kind() == reflect.Slice {
					path += "[]"
				}
				ft = ft.Elem()
			}
			kind := ft.Kind().String()
			switch {
			case ft.String() == "time.Time":
				kind = "time"
			case ft.Kind() == reflect.Struct:
				kind = "object"
			}
			if opts != "" {
				kind += "," + opts
			}
			b.WriteString(path + " " + kind + "\n")
			if kind == "object" || strings.HasPrefix(kind, "object,") {
				walk(path+".", ft)
			}
		}
	}
	walk("", typ)
	return b.String()
}

func TestPlanFileFormatIsPinned(t *testing.T) {
	want, ok := planFileFields[PlanFileVersion]
	if !ok {
		t.Fatalf("no field list recorded for plan file format %s", PlanFileVersion)
	}
	if got := fieldList(t, reflect.TypeOf(planFile{})); got != want {
		t.Fatalf("the plan file's fields changed without a new PlanFileVersion (now %s):\n%s\nrecorded:\n%s", PlanFileVersion, got, want)
	}
}

func samplePlanFile() *PlanFile {
	d := sampleDesired()
	d.Credentials = append(d.Credentials, DesiredCredential{Name: "report-cred", Identity: "reporter", SecretFrom: spec.SecretRef{File: "/run/secrets/report"},
		SecretPos: "specs/creds.yaml:13:22: spec.secretFrom.file"})
	return &PlanFile{Scope: "team-a", Prune: true, Desired: d, Server: "jobs-east", Database: "jobdb",
		LiveHash:   "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Operations: []Operation{{Change: `create job "nightly"`, Digest: "4f2b0e3f5bd0c0e8f6c1b5b0d8e7d5c3a1f9e2d4c6b8a0f1e3d5c7b9a1f3e5d7"}},
		Secrets:    []SecretPrint{{Credential: "report-cred", Fingerprint: "scrypt$32768$8$1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"}}}
}

// TestPlanFileGolden: the plan file of a plan with every kind of object is the recorded one, and
// reads back to the same desired state.
func TestPlanFileGolden(t *testing.T) {
	pf := samplePlanFile()
	var b bytes.Buffer
	if err := WritePlanFile(&b, pf); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "planfile-v"+PlanFileVersion+".json")
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (each plan file format has its golden file)", err)
	}
	if b.String() != string(want) {
		t.Fatalf("WritePlanFile differs from %s:\n%s", golden, b.String())
	}
	got, err := ReadPlanFile(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, pf) {
		t.Fatalf("read back:\n%+v\nwant\n%+v", got, pf)
	}
	for i, j := range got.Desired.Jobs {
		if specHash(j) != specHash(pf.Desired.Jobs[i]) {
			t.Errorf("job %s: the spec hash changed on the way through the file", j.Name)
		}
	}
}

func TestSavePlanFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := SavePlanFile(path, samplePlanFile()); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("stat: %v %v", st, err)
	}
	got, err := LoadPlanFile(path)
	if err != nil || !reflect.DeepEqual(got, samplePlanFile()) {
		t.Fatalf("LoadPlanFile: %+v %v", got, err)
	}
}

func TestReadPlanFileRefuses(t *testing.T) {
	cases := map[string]struct{ doc, msg string }{
		"format 1":        {`{"format_version": "1", "scope": "default", "desired": {}}`, `its format is "1", this ejops reads format "3" only`},
		"format 2":        {`{"formatVersion": "2", "scope": "default", "desired": {}}`, `its format is "2", this ejops reads format "3" only`},
		"format 4":        {`{"formatVersion": "4", "desired": {}}`, `its format is "4"`},
		"number":          {`{"formatVersion": 2, "desired": {}}`, `its format is 2,`},
		"no version":      {`{"scope": "default"}`, "no formatVersion"},
		"not JSON":        {`plan: yes`, "invalid character"},
		"no desired":      {`{"formatVersion": "3", "scope": "default"}`, "no desired state"},
		"unknown field":   {`{"formatVersion": "3", "desired": {}, "extra": 1}`, `unknown field "extra"`},
		"misspelt nested": {`{"formatVersion": "3", "desired": {"jobs": [{"name": "j", "step": []}]}}`, `unknown field "step"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ReadPlanFile(strings.NewReader(tc.doc))
			if !errors.Is(err, ErrNotPlanFile) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want ErrNotPlanFile saying %q", err, tc.msg)
			}
		})
	}
	if _, err := LoadPlanFile(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

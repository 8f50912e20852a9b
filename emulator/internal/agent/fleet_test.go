package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadExampleFleet(t *testing.T) {
	f, err := LoadFleet("../../../examples/fleet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if f.DefaultDuration != 2*time.Second || len(f.Servers) != 2 {
		t.Fatalf("fleet = %+v", f)
	}
	s := f.Servers[0]
	if s.Name != "tenants-1.database.windows.net" || len(s.Databases) != 4 || len(s.ElasticPools) != 2 {
		t.Fatalf("server = %+v", s)
	}
	if d := s.Databases[1]; d.Name != "reporting" || d.Duration != 45*time.Second {
		t.Errorf("reporting = %+v", d)
	}
	if fl := s.Databases[2].Failure; fl == nil || fl.Number != 1205 || fl.Attempts != 2 || fl.Always || !strings.Contains(fl.Message, "deadlocked") {
		t.Errorf("flaky failure = %+v", fl)
	}
	if fl := s.Databases[3].Failure; fl == nil || !fl.Always || fl.Number != 208 {
		t.Errorf("broken failure = %+v", fl)
	}
	if p := s.ElasticPools[1]; p.Name != "pool-b" || len(p.Databases) != 2 || p.Databases[1].Name != "tenant-102" {
		t.Errorf("pool-b = %+v", p)
	}
	ix := indexFleet(f)
	if d := ix.duration(s.Databases[0]); d != 2*time.Second {
		t.Errorf("default duration = %v", d)
	}
	if si := ix.servers[serverKey("TENANTS-1")]; si == nil || len(si.all) != 9 || len(si.pools["pool-a"]) != 3 {
		t.Errorf("index = %+v", si)
	}
}

func TestParseFleetErrors(t *testing.T) {
	cases := map[string]struct {
		yaml string
		want []string
	}{
		"unknown top field":   {"server: []\n", []string{`f.yaml:1:1: unknown field "server" in the fleet`}},
		"unknown db field":    {"servers:\n  - name: s\n    databases:\n      - name: d\n        durations: 1s\n", []string{`f.yaml:5:9: unknown field "durations" in a database`}},
		"bad duration":        {"servers:\n  - name: s\n    databases:\n      - name: d\n        duration: soon\n", []string{`f.yaml:5:19: duration must be a non-negative duration such as 30s or 2m, not "soon"`}},
		"negative duration":   {"defaults: {duration: -1s}\n", []string{`f.yaml:1:22: defaults.duration must be a non-negative duration`}},
		"server without name": {"servers:\n  - databases: [a]\n", []string{`f.yaml:2:5: a server needs a name`}},
		"duplicate server":    {"servers:\n  - name: S.database.windows.net\n  - name: s\n", []string{`f.yaml:3:5: server "s" is declared twice (first at line 2)`}},
		"duplicate database":  {"servers:\n  - name: s\n    databases: [a]\n    elasticPools:\n      - name: p\n        databases: [A]\n", []string{`f.yaml:6:21: database "A" is declared twice on server "s" (first at line 3)`}},
		"duplicate pool":      {"servers:\n  - name: s\n    elasticPools:\n      - name: p\n      - name: P\n", []string{`f.yaml:5:9: elastic pool "P" is declared twice`}},
		"failure no count":    {"servers:\n  - name: s\n    databases:\n      - name: d\n        failure: {message: boom}\n", []string{`f.yaml:5:18: a failure needs attempts (how many attempts fail) or always: true`}},
		"failure both":        {"servers:\n  - name: s\n    databases:\n      - name: d\n        failure: {message: boom, attempts: 1, always: true}\n", []string{`f.yaml:5:55: a failure takes attempts or always, not both`}},
		"failure no message":  {"servers:\n  - name: s\n    databases:\n      - name: d\n        failure: {attempts: 1}\n", []string{`f.yaml:5:18: a failure needs a message`}},
		"attempts zero":       {"servers:\n  - name: s\n    databases:\n      - name: d\n        failure: {message: m, attempts: 0}\n", []string{`f.yaml:5:41: failure attempts must be between 1 and 2147483647`}},
		"number text":         {"servers:\n  - name: s\n    databases:\n      - name: d\n        failure: {message: m, number: x, attempts: 1}\n", []string{`f.yaml:5:39: failure number must be an integer`}},
		"servers not list":    {"servers: {name: s}\n", []string{`f.yaml:1:10: servers must be a list`}},
		"not a mapping":       {"- a\n", []string{`f.yaml:1:1: the fleet must be a mapping`}},
		"two documents":       {"servers: []\n---\nservers: []\n", []string{`f.yaml:2:1: a fleet file holds one YAML document`}},
		"syntax":              {"servers: [\n", []string{`f.yaml: `}},
		"every problem": {"servers:\n  - name: s\n    colour: red\n    databases:\n      - name: d\n        duration: x\n", []string{
			`f.yaml:3:5: unknown field "colour" in a server`, `f.yaml:6:19: duration must be`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseFleet("f.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("ParseFleet succeeded, want errors %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestParseFleetForms(t *testing.T) {
	for _, src := range []string{"", "# nothing\n", "servers:\n", "servers: []\n", "defaults: {}\n"} {
		f, err := ParseFleet("f.yaml", []byte(src))
		if err != nil || f == nil || len(f.Servers) != 0 {
			t.Errorf("ParseFleet(%q) = %+v, %v", src, f, err)
		}
	}
	f, err := ParseFleet("f.yaml", []byte("servers:\n  - name: s\n    databases:\n      - &d {name: a, duration: 3s}\n    elasticPools:\n      - name: p\n        databases: [b, {name: c, failure: {message: m, always: true}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := f.Servers[0]
	if s.Databases[0].Duration != 3*time.Second || s.ElasticPools[0].Databases[1].Failure.Number != 50000 {
		t.Errorf("fleet = %+v", s)
	}
}

func TestLoadFleetMissing(t *testing.T) {
	_, err := LoadFleet(filepath.Join(t.TempDir(), "none.yaml"))
	if err == nil || !strings.Contains(err.Error(), "load fleet") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParseFleet(f *testing.F) {
	if data, err := os.ReadFile("../../../examples/fleet.yaml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("servers:\n  - name: s\n    databases: [a, b]\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := ParseFleet("fuzz.yaml", data)
		if err == nil {
			ix := indexFleet(fl)
			for _, s := range fl.Servers {
				if s.Name == "" || ix.servers[serverKey(s.Name)] == nil {
					t.Fatalf("server %q not indexed", s.Name)
				}
			}
		}
	})
}

package schema

import (
	"encoding/json"
	"strings"
	"testing"
)

func decode(t *testing.T, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestValidate(t *testing.T) {
	tests := map[string]struct {
		doc  string
		want []string // "pointer kind"
	}{
		"valid job": {
			doc:  `{"apiVersion":"ejops/v1","kind":"Job","metadata":{"name":"j"},"spec":{"steps":[{"name":"s","targetGroup":"g","command":"SELECT 1;","timeout":"2h","retry":{"attempts":3}}]}}`,
			want: nil,
		},
		"valid agent": {
			doc:  `{"apiVersion":"ejops/v1","kind":"Agent","metadata":{"name":"a"},"spec":{"authentication":"ManagedIdentity","lint":{"EJ301":"off"}}}`,
			want: nil,
		},
		"job with no steps": {
			doc:  `{"apiVersion":"ejops/v1","kind":"Job","metadata":{"name":"j"},"spec":{"steps":[]}}`,
			want: nil,
		},
		"job without a steps field": {
			doc:  `{"apiVersion":"ejops/v1","kind":"Job","metadata":{"name":"j"},"spec":{"enabled":true}}`,
			want: []string{"/spec required"},
		},
		"target group with no members": {
			doc:  `{"apiVersion":"ejops/v1","kind":"TargetGroup","metadata":{"name":"g"},"spec":{"members":[]}}`,
			want: nil,
		},
		"unknown field in step": {
			doc:  `{"apiVersion":"ejops/v1","kind":"Job","metadata":{"name":"j"},"spec":{"steps":[{"name":"s","targetGroup":"g","command":"x","bogus":1}]}}`,
			want: []string{"/spec/steps/0 additionalProperties"},
		},
		"command and commandFile": {
			doc:  `{"apiVersion":"ejops/v1","kind":"Job","metadata":{"name":"j"},"spec":{"steps":[{"name":"s","targetGroup":"g","command":"x","commandFile":"a.sql"}]}}`,
			want: []string{"/spec/steps/0 oneOf"},
		},
		"unknown kind": {
			doc:  `{"apiVersion":"ejops/v1","kind":"Cron","metadata":{"name":"j"},"spec":{}}`,
			want: []string{"/kind enum"},
		},
		"wrong apiVersion and missing spec": {
			doc:  `{"apiVersion":"v2","kind":"Agent","metadata":{"name":"j"}}`,
			want: []string{" required", "/apiVersion const"},
		},
		"two secret sources": {
			doc:  `{"apiVersion":"ejops/v1","kind":"Credential","metadata":{"name":"c"},"spec":{"identity":"u","secretFrom":{"env":"A","file":"b"}}}`,
			want: []string{"/spec/secretFrom maxProperties"},
		},
		"wrong type": {
			doc:  `{"apiVersion":"ejops/v1","kind":"Job","metadata":{"name":"j"},"spec":{"enabled":"yes","steps":[{"name":"s","targetGroup":"g","command":"x"}]}}`,
			want: []string{"/spec/enabled type"},
		},
		"schedule in local time with local dates": {
			doc:  `{"apiVersion":"ejops/v1","kind":"Job","metadata":{"name":"j"},"spec":{"schedule":{"every":"1d","at":"08:00","timeZone":"America/Chicago","start":"2026-01-01","end":"2027-01-01T08:00"},"steps":[]}}`,
			want: nil,
		},
		"local date without a time zone": {
			doc:  `{"apiVersion":"ejops/v1","kind":"Job","metadata":{"name":"j"},"spec":{"schedule":{"every":"1d","start":"2026-01-01"},"steps":[]}}`,
			want: []string{"/spec/schedule/start format"},
		},
		"at without a time zone, malformed": {
			doc:  `{"apiVersion":"ejops/v1","kind":"Job","metadata":{"name":"j"},"spec":{"schedule":{"every":"1d","at":"8am"},"steps":[]}}`,
			want: []string{"/spec/schedule/at pattern", "/spec/schedule 0"}, // dependencies/at/0: timeZone is missing
		},
		"time zone, start neither RFC 3339 nor local": {
			doc:  `{"apiVersion":"ejops/v1","kind":"Job","metadata":{"name":"j"},"spec":{"schedule":{"every":"1w","at":"08:00","timeZone":"Europe/Berlin","start":"01/02/2026"},"steps":[]}}`,
			want: []string{"/spec/schedule/start anyOf"},
		},
		"bad lint override": {
			doc:  `{"apiVersion":"ejops/v1","kind":"Agent","metadata":{"name":"a"},"spec":{"lint":{"EJ301":"loud"}}}`,
			want: []string{"/spec/lint/EJ301 enum"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			vs, err := Validate(decode(t, tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, v.Pointer+" "+v.Kind())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("Validate() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSchemaIsJSON(t *testing.T) {
	var v map[string]any
	if err := json.Unmarshal(JSON, &v); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	if v["$id"] != URL {
		t.Errorf("$id = %v, want %s", v["$id"], URL)
	}
}

func BenchmarkValidate(b *testing.B) {
	d := json.NewDecoder(strings.NewReader(`{"apiVersion":"ejops/v1","kind":"Job","metadata":{"name":"j"},"spec":{"enabled":true,"schedule":{"every":"1d","start":"2026-01-01T02:00:00Z"},"steps":[{"name":"s","targetGroup":"g","credential":"c","command":"EXEC sp_updatestats;","timeout":"2h","retry":{"attempts":3,"initialInterval":"5s"}}]}}`))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if vs, err := Validate(v); err != nil || len(vs) > 0 {
			b.Fatal(err, vs)
		}
	}
}

func TestBoundMessages(t *testing.T) {
	step := `{"apiVersion":"ejops/v1","kind":"Job","metadata":{"name":"j"},"spec":{"steps":[{"name":"s","targetGroup":"g","command":"x",%s}]}}`
	tests := map[string]string{
		`"maxParallelism":3000000000`:      "must be <= 2147483647 but found 3000000000",
		`"maxParallelism":0`:               "must be >= 1 but found 0",
		`"retry":{"attempts":2147483648}`:  "must be <= 2147483647 but found 2147483648",
		`"retry":{"attempts":-1}`:          "must be >= 0 but found -1",
		`"retry":{"attempts":1e10}`:        "must be <= 2147483647 but found 1e10",
		`"maxParallelism":-21474836470000`: "must be >= 1 but found -21474836470000",
	}
	for field, want := range tests {
		vs, err := Validate(decode(t, strings.Replace(step, "%s", field, 1)))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range vs {
			got = append(got, v.Message)
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s: messages %q, want %q", field, got, want)
		}
	}
}

func TestIntegerBounds(t *testing.T) {
	tests := map[string]string{
		"must be <= 2.147483647e+09 but found 3e9": "must be <= 2147483647 but found 3e9",
		"must be >= -1e+06 but found -2e+06":       "must be >= -1000000 but found -2000000",
		"must be < 2.5 but found 3":                "must be < 2.5 but found 3",
		"must be <= 1.5e+300 but found 2e+300":     "must be <= 1.5e+300 but found 2e+300",
		"7 not multipleOf 1e+02":                   "7 not multipleOf 100",
		"length must be <= 128, but got 129":       "length must be <= 128, but got 129",
	}
	for in, want := range tests {
		if got := integerBounds(in); got != want {
			t.Errorf("integerBounds(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestKnownProperties checks that an unknown field's violation lists the fields allowed at its place.
func TestKnownProperties(t *testing.T) {
	doc := decode(t, `{"apiVersion":"ejops/v1","kind":"Job","metadata":{"name":"j"},"specs":1,"spec":{"steps":[{"name":"s","targetGroup":"g","command":"SELECT 1;","retyr":{}}]}}`)
	vs, err := Validate(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"":              "apiVersion kind metadata spec",
		"/spec/steps/0": "command commandFile credential lint maxParallelism name output retry targetGroup timeout",
	}
	for _, v := range vs {
		if v.Kind() != "additionalProperties" {
			t.Errorf("unexpected violation %+v", v)
			continue
		}
		if got := strings.Join(v.Known, " "); got != want[v.Pointer] {
			t.Errorf("%s: known %q, want %q", v.Pointer, got, want[v.Pointer])
		}
		delete(want, v.Pointer)
	}
	if len(want) > 0 {
		t.Errorf("no violation at %v", want)
	}
	if got := properties("/definitions/nowhere"); got != nil {
		t.Errorf("properties of a missing object: %q", got)
	}
}

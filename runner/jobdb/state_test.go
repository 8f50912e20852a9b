package jobdb

import (
	"reflect"
	"testing"
	"time"
)

// fullState has every field set, one of each slice element and a step with output.
func fullState() *State {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	return &State{
		Credentials:  []Credential{{Name: "c", Identity: "u"}},
		TargetGroups: []TargetGroup{{Name: "g", Members: []Member{{TargetID: "t", Membership: "Include", Type: "SqlServer", Server: "s", Database: "d", ElasticPool: "p", RefreshCredential: "c"}}}},
		Jobs: []Job{{Name: "j", Version: 3, Description: "x", Enabled: true, IntervalType: "Days", IntervalCount: 1, Start: at, End: at.Add(time.Hour),
			Steps: []Step{{Name: "s", Command: "SELECT 1;", Credential: "c", TargetGroup: "g", InitialRetrySecs: 1, MaxRetrySecs: 2,
				BackoffMultiplier: 2, RetryAttempts: 3, TimeoutSecs: 4, MaxParallelism: 5,
				Output: &Output{Server: "o", Database: "d", Schema: "dbo", Table: "t", Credential: "c"}}}}},
		Inventory:    []Owned{{Scope: "default", Kind: "Job", Name: "j", SpecHash: "h", SecretFingerprint: "f", AppliedAt: at, AppliedBy: "git 1"}},
		HasSchema:    true,
		HasInventory: true,
		Schedules:    []LocalSchedule{{Scope: "default", Job: "j", At: "08:00", TimeZone: "America/Chicago", Start: at}},
		HasSchedules: true,
		Server:       "srv",
		Database:     "jobdb",
	}
}

// TestHashCoversEveryField changes each field of the state in turn: every change must change the
// hash, so a field added to the model and left out of Hash fails here.
func TestHashCoversEveryField(t *testing.T) {
	s := fullState()
	base := s.Hash()
	if fullState().Hash() != base {
		t.Fatal("the hash of equal states differs")
	}
	n := 0
	var visit func(path string, v reflect.Value)
	visit = func(path string, v reflect.Value) {
		if v.Type() == reflect.TypeOf(time.Time{}) {
			old := v.Interface()
			v.Set(reflect.ValueOf(old.(time.Time).Add(time.Second)))
			check(t, s, base, path)
			v.Set(reflect.ValueOf(old))
			n++
			return
		}
		switch v.Kind() {
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				visit(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
			return
		case reflect.Slice:
			if v.Len() == 0 {
				t.Fatalf("%s: fullState leaves this slice empty", path)
			}
			old := v.Interface()
			v.Set(v.Slice(0, 0))
			check(t, s, base, path+" emptied")
			v.Set(reflect.ValueOf(old))
			visit(path+"[0]", v.Index(0))
			return
		case reflect.Pointer:
			if v.IsNil() {
				t.Fatalf("%s: fullState leaves this pointer nil", path)
			}
			old := v.Interface()
			v.Set(reflect.Zero(v.Type()))
			check(t, s, base, path+" = nil")
			v.Set(reflect.ValueOf(old))
			visit(path, v.Elem())
			return
		}
		old := reflect.ValueOf(v.Interface())
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Int:
			v.SetInt(v.Int() + 1)
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Float64:
			v.SetFloat(v.Float() + 0.5)
		default:
			t.Fatalf("%s: no mutation for %s", path, v.Kind())
		}
		check(t, s, base, path)
		v.Set(old)
		n++
	}
	visit("State", reflect.ValueOf(s).Elem())
	if s.Hash() != base {
		t.Fatal("the state was not restored")
	}
	if n < 40 {
		t.Fatalf("only %d fields visited", n)
	}
}

func check(t *testing.T, s *State, base, path string) {
	t.Helper()
	if s.Hash() == base {
		t.Errorf("changing %s leaves the hash unchanged", path)
	}
}

// TestHashSeparatesFields: moving text from one field to the next is a different state.
func TestHashSeparatesFields(t *testing.T) {
	a := &State{Credentials: []Credential{{Name: "ab", Identity: "c"}}}
	b := &State{Credentials: []Credential{{Name: "a", Identity: "bc"}}}
	if a.Hash() == b.Hash() {
		t.Fatal("field boundaries do not count")
	}
}

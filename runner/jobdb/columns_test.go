package jobdb

import (
	"strings"
	"testing"
)

func TestMembershipName(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
	}{
		{int64(0), "Include"}, {int64(1), "Exclude"}, {int32(1), "Exclude"}, {uint8(0), "Include"},
		{"Include", "Include"}, {"exclude", "Exclude"}, {[]byte("EXCLUDE"), "Exclude"}, {"Include ", "Include"},
	} {
		if got, err := membershipName(c.in); err != nil || got != c.want {
			t.Errorf("membershipName(%#v) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []any{int64(2), int64(-1), "Maybe", "", nil, 1.0} {
		if got, err := membershipName(bad); err == nil {
			t.Errorf("membershipName(%#v) = %q, want an error", bad, got)
		}
	}
}

// azureLikeBatch returns the read batch's result sets as a job database may send them: membership
// given by membership (an int or a name), and every result set with a column ejops does not read,
// first, and its columns in another order than the SELECT's.
func azureLikeBatch(membership string) string {
	return `SELECT 7 AS extra, N'jobdb' AS database_name, N'srv' AS server_name, 1 AS can_control, 5 AS object_id, 8 AS schedules_id, 3 AS schema_id;
SELECT 9 AS credential_id, N'u' AS credential_identity, N'c' AS name;
SELECT N'x' AS target_group_id, N'g' AS target_group_name;
SELECT N'sub' AS subscription_id, N'c' AS refresh_credential_name, N'p' AS elastic_pool_name, N'd' AS database_name, N's' AS server_name,
 N'SqlServer' AS target_type, ` + membership + ` AS membership_type, N'T1' AS target_id, N'g' AS target_group_name;
SELECT N'id' AS job_id, CAST('2026-05-01T13:00:00' AS datetime2) AS schedule_end_time, CAST('2026-05-01T12:00:00' AS datetime2) AS schedule_start_time,
 1 AS schedule_interval_count, N'Days' AS schedule_interval_type, CAST(1 AS bit) AS enabled, N'x' AS description, 3 AS job_version, N'j' AS job_name;
SELECT N'TSql' AS command_type, N'c' AS output_credential_name, N't' AS output_table_name, N'dbo' AS output_schema_name, N'd' AS output_database_name,
 N'o' AS output_server_name, N'SqlDatabase' AS output_type, 5 AS max_parallelism, 4 AS step_timeout_seconds, 3 AS retry_attempts,
 CAST(2 AS real) AS retry_interval_backoff_multiplier, 2 AS maximum_retry_interval_seconds, 1 AS initial_retry_interval_seconds,
 N'g' AS target_group_name, N'c' AS credential_name, N'SELECT 1;' AS command, N's' AS step_name, 1 AS step_id, N'j' AS job_name;
SELECT N'more' AS extra, N'git 1' AS applied_by, CAST('2026-05-01T12:00:00' AS datetime2) AS applied_at, N'f' AS secret_fingerprint,
 N'h' AS spec_hash, N'j' AS name, N'Job' AS kind, N'default' AS scope;
SELECT 1 AS extra, CAST('2026-05-01T12:00:00' AS datetime2) AS start_time, N'America/Chicago' AS time_zone, N'08:00' AS at, N'j' AS job, N'default' AS scope;`
}

// TestReadToleratesWhatAzureMaySend: result sets with columns ejops does not read, in any order,
// and membership_type as the documented int or as its name, read as the same state.
func TestReadToleratesWhatAzureMaySend(t *testing.T) {
	_, db := openTestDB(t)
	for membership, want := range map[string]string{"0": "Include", "CAST(1 AS int)": "Exclude", "N'Exclude'": "Exclude", "N'include'": "Include"} {
		rows, err := db.sql.QueryContext(t.Context(), azureLikeBatch(membership))
		if err != nil {
			t.Fatal(err)
		}
		st, err := scanState(rows)
		rows.Close()
		if err != nil {
			t.Fatalf("membership_type %s: %v", membership, err)
		}
		full := fullState()
		full.TargetGroups[0].Members[0].TargetID, full.TargetGroups[0].Members[0].Membership = "T1", want
		if got, wantHash := st.Hash(), full.Hash(); got != wantHash {
			t.Errorf("membership_type %s: read\n%+v\nwant\n%+v", membership, st, full)
		}
	}
	rows, err := db.sql.QueryContext(t.Context(), strings.Replace(azureLikeBatch("0"), "N'c' AS name", "N'c' AS credential_name", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if _, err := scanState(rows); err == nil || !strings.Contains(err.Error(), "result set 2: the result has no column name") {
		t.Fatalf("a result set without a column read: %v", err)
	}
}

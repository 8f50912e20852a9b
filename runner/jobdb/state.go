package jobdb

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// State is what the job database holds that ejops manages, as read in one round trip.
type State struct {
	Credentials  []Credential  `json:"credentials"`
	TargetGroups []TargetGroup `json:"targetGroups"`
	Jobs         []Job         `json:"jobs"`
	Inventory    []Owned       `json:"inventory"`    // every scope's inventory rows
	HasSchema    bool          `json:"hasSchema"`    // the ejops schema exists
	HasInventory bool          `json:"hasInventory"` // the ejops.inventory table exists
}

// Credential is a database scoped credential; its secret is never readable.
type Credential struct {
	Name     string `json:"name"`
	Identity string `json:"identity"`
}

// TargetGroup is a target group with its members.
type TargetGroup struct {
	Name    string   `json:"name"`
	Members []Member `json:"members"`
}

// Member is one member of a target group as the job database reports it.
type Member struct {
	TargetID          string `json:"targetId,omitempty"` // needed to delete the member; empty in desired state
	Membership        string `json:"membership"`         // Include or Exclude
	Type              string `json:"type"`               // SqlServer, SqlElasticPool, SqlDatabase
	Server            string `json:"server"`
	Database          string `json:"database,omitempty"`
	ElasticPool       string `json:"elasticPool,omitempty"`
	RefreshCredential string `json:"refreshCredential,omitempty"`
}

// Job is a job and the steps of its current version, in step order.
type Job struct {
	Name          string    `json:"name"`
	Version       int       `json:"version,omitempty"`
	Description   string    `json:"description"`
	Enabled       bool      `json:"enabled"`
	IntervalType  string    `json:"intervalType"`
	IntervalCount int       `json:"intervalCount"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	Steps         []Step    `json:"steps"`
}

// Step is one step of a job's current version.
type Step struct {
	Name              string  `json:"name"`
	Command           string  `json:"command"`
	Credential        string  `json:"credential,omitempty"`
	TargetGroup       string  `json:"targetGroup"`
	InitialRetrySecs  int     `json:"initialRetrySeconds"`
	MaxRetrySecs      int     `json:"maxRetrySeconds"`
	BackoffMultiplier float64 `json:"backoffMultiplier"`
	RetryAttempts     int     `json:"retryAttempts"`
	TimeoutSecs       int     `json:"timeoutSeconds"`
	MaxParallelism    int     `json:"maxParallelism,omitempty"` // 0: no limit
	Output            *Output `json:"output,omitempty"`
}

// Output is a step's output table.
type Output struct {
	Server     string `json:"server"`
	Database   string `json:"database"`
	Schema     string `json:"schema"`
	Table      string `json:"table"`
	Credential string `json:"credential,omitempty"`
}

// Owned is one row of ejops' inventory: an object applied by a scope.
type Owned struct {
	Scope             string    `json:"scope"`
	Kind              string    `json:"kind"` // Credential, TargetGroup, Job
	Name              string    `json:"name"`
	SpecHash          string    `json:"specHash"`
	SecretFingerprint string    `json:"-"` // salted scrypt; never rendered
	AppliedAt         time.Time `json:"appliedAt"`
	AppliedBy         string    `json:"appliedBy,omitempty"`
}

// Hash returns a digest of the state, used to refuse a saved plan when the live state has moved.
// The inventory's timestamps count too: any apply in between makes a plan stale.
func (s *State) Hash() string {
	type owned struct {
		Owned
		FP string
	}
	inv := make([]owned, len(s.Inventory))
	for i, o := range s.Inventory {
		inv[i] = owned{o, o.SecretFingerprint}
	}
	b, _ := json.Marshal(struct {
		S   *State
		Inv []owned
	}{s, inv})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

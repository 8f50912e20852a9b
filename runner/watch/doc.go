// Package watch is the sidecar loop of apply --watch: one goroutine waiting in one select on
// fsnotify events from the spec folders (debounced), a resync timer, a timer for the next time a
// pass asks to apply again (the next offset change of a schedule in local time), retries with
// capped backoff and leader checks. Each pass is injected (the command line passes the apply
// flow), so the loop knows nothing of plans; it decides when to pass, whether a pass may write
// (mode, suspend file, leadership), and reports through slog, readiness and Prometheus metrics.
package watch

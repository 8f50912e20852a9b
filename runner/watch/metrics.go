package watch

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ejops/ejops/runner/jobdb"
)

// The paths Handler serves.
const (
	HealthPath  = "/healthz"
	ReadyPath   = "/readyz"
	MetricsPath = "/metrics"
)

// Pass results, the values of the result label.
const (
	ResultApplied   = "applied"   // changes were written
	ResultUnchanged = "unchanged" // the job database matched the specs
	ResultPending   = "pending"   // changes were found and left (warn mode, suspended)
	ResultInvalid   = "invalid"   // the specs did not load
	ResultError     = "error"     // the job database failed or the apply rolled back
)

// Metrics are the sidecar's Prometheus metrics, in a registry of their own. An Elastic Job is
// labelled job_name, as in jobs.job_executions: Prometheus gives "job" to the scrape job.
type Metrics struct {
	Registry        *prometheus.Registry
	passes          *prometheus.CounterVec
	duration        prometheus.Histogram
	lastSuccess     prometheus.Gauge
	pending         prometheus.Gauge
	drift           prometheus.Counter
	applyErrors     prometheus.Counter
	leader          prometheus.Gauge
	suspended       prometheus.Gauge
	executions      *prometheus.CounterVec
	failedDatabases *prometheus.CounterVec
}

// NewMetrics registers the metrics, with the Go runtime's and the process's.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ejops_reconcile_passes_total", Help: "Reconcile passes by result: applied, unchanged, pending, invalid or error.",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ejops_reconcile_duration_seconds", Help: "Duration of reconcile passes.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ejops_reconcile_last_success_timestamp_seconds", Help: "When a reconcile pass last succeeded (Unix time).",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ejops_pending_changes", Help: "Changes the last plan found and did not apply (warn mode, suspended, failed apply).",
		}),
		drift: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ejops_drift_corrections_total", Help: "Changes applied while the specs were unchanged: corrections of changes made outside git.",
		}),
		applyErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ejops_apply_errors_total", Help: "Passes that failed on the job database: unreachable, or an apply rolled back.",
		}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ejops_leader", Help: "1 while this replica leads and applies, 0 while it follows.",
		}),
		suspended: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ejops_suspended", Help: "1 while a suspend file stops writes.",
		}),
		executions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ejops_job_executions_total", Help: "Job executions finished, by job and final lifecycle (from jobs.job_executions).",
		}, []string{"job_name", "lifecycle"}),
		failedDatabases: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ejops_job_failed_databases_total", Help: "Target databases on which a job execution failed or timed out, by job, server and database.",
		}, []string{"job_name", "server", "database"}),
	}
	for _, r := range []string{ResultApplied, ResultUnchanged, ResultPending, ResultInvalid, ResultError} {
		m.passes.WithLabelValues(r)
	}
	m.Registry.MustRegister(m.passes, m.duration, m.lastSuccess, m.pending, m.drift, m.applyErrors, m.leader,
		m.suspended, m.executions, m.failedDatabases,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// count adds finished execution rows: root rows by job and lifecycle, and the target databases
// that failed or timed out.
func (m *Metrics) count(rows []jobdb.ExecutionRow) {
	for _, r := range rows {
		switch {
		case r.StepID == 0:
			m.executions.WithLabelValues(r.Job, r.Lifecycle).Inc()
		case r.TargetType == "SqlDatabase" && (r.Lifecycle == "Failed" || r.Lifecycle == "TimedOut"):
			m.failedDatabases.WithLabelValues(r.Job, r.TargetServer, r.TargetDatabase).Inc()
		}
	}
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

func boolGauge(g prometheus.Gauge, v bool) {
	if v {
		g.Set(1)
	} else {
		g.Set(0)
	}
}

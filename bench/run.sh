#!/usr/bin/env bash
# Runs every benchmark recorded in BENCHMARKS.md, in one run: validate against kubeconform, the
# T-SQL lint, the emulator (TDS round trip, sp_add_jobstep throughput, views over 10,000 jobs,
# execution history, a persisted agent run), plan/apply against the emulator from 10 to 10,000
# jobs, following a run over 1,000 databases, the binary's plan and apply of 10,000 jobs against
# `ejops emulator`, and the sidecar's latency and idle footprint.
#
# Usage: bench/run.sh   (from anywhere; takes a few minutes)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
echo "## $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "### bench/validate.sh"
bench/validate.sh
echo
echo "### go test -bench"
go test -run '^$' -benchmem -bench 'BenchmarkLint1000x200|BenchmarkLintWorstCase' -benchtime 3x ./spec/lint
go test -run '^$' -benchmem -bench 'BenchmarkRPCRoundTrip' ./emulator/internal/tds
go test -run '^$' -benchmem -bench 'BenchmarkAddJobStepRPC|BenchmarkReadViews10k' ./emulator
go test -run '^$' -benchmem -bench 'BenchmarkHistory10k|BenchmarkRunPersisted' ./emulator/internal/agent
go test -run '^$' -benchmem -bench 'BenchmarkPlan' -benchtime 3x ./runner
go test -run '^$' -benchmem -bench 'BenchmarkApply' -benchtime 1x ./runner
go test -run '^$' -benchmem -bench 'BenchmarkFollow' -benchtime 100x ./runner
echo
echo "### bench/cli.sh"
bench/cli.sh
echo
echo "### bench/latency.sh"
bench/latency.sh 2>/dev/null
echo
echo "### bench/watch.sh"
bench/watch.sh

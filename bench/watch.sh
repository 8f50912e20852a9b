#!/usr/bin/env bash
# The sidecar's benchmarks, through the built binary against the emulator over TCP:
# - latency of a saved change: 50 edits of a spec, each timed from the write until the change is
#   visible in jobs.jobs (median, 95th percentile, maximum), with the default 250 ms debounce;
# - idle footprint: apply --watch on 1,000 jobs × 3 steps, after its first pass: resident memory
#   and the CPU it uses over 60 idle seconds.
#
# Usage: bench/watch.sh   (from anywhere; about 90 s)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
go test -run '^$' -bench 'BenchmarkWatchLatency50Edits|BenchmarkWatchIdleFootprint1000Jobs' -benchtime 1x ./cmd/ejops

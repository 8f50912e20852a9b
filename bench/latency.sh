#!/usr/bin/env bash
# Measures the ejops binary's plan and apply at a distance from the job database: an in-process
# emulator behind a proxy adding 0, 5 and 20 ms per round trip, for 100 and 1,000 jobs × 3 steps
# (and more with JOBS). Each command's requests are counted at the emulator; the table and the fit
# time ≈ a + b × round trips go to stdout, progress to stderr. Below 10,000 jobs each command keeps
# its best of five runs.
#
# Usage: bench/latency.sh [JOBS]   (default 100,1000; e.g. 100,1000,10000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${1:-100,1000}
out=$root/bench/out/latency
mkdir -p "$out"
(cd "$root" && go build -o "$out/ejops" ./cmd/ejops && go build -o "$out/latency" ./bench/latency)
echo "## $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$out/latency" -ejops "$out/ejops" -jobs "$jobs" -rtt 0,5ms,20ms

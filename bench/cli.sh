#!/usr/bin/env bash
# Times the ejops binary end to end against `ejops emulator` over TCP: apply of N jobs × 3 steps
# into an empty job database, then plan (load, validate, lint, read in one round trip, diff) on
# the unchanged database, best of three, with plan's peak resident set size (GNU time's "Maximum
# resident set size", the largest of the three runs).
#
# Usage: bench/cli.sh [JOBS]   (default 10000)
# Needs: go and GNU time (/usr/bin/time); EJOPS_BIN=path measures a prebuilt binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${1:-10000}
out=$root/bench/out/cli
rm -rf "$out"
mkdir -p "$out/specs"
ejops=${EJOPS_BIN:-$out/ejops}
if [[ -z "${EJOPS_BIN:-}" ]]; then
  (cd "$root" && go build -o "$ejops" ./cmd/ejops)
fi

"$ejops" emulator --listen 127.0.0.1:0 >"$out/dsn" 2>"$out/emulator.log" &
emulator=$!
trap 'kill $emulator 2>/dev/null; wait $emulator 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -s $out/dsn ]] && break; sleep 0.05; done
export EJOPS_JOB_DB=$(cat "$out/dsn")

awk -v jobs="$jobs" -v dir="$out/specs" '
BEGIN {
  print "apiVersion: ejops/v1\nkind: Agent\nmetadata: {name: bench}\nspec: {authentication: ManagedIdentity}\n---\napiVersion: ejops/v1\nkind: TargetGroup\nmetadata: {name: tenants}\nspec:\n  members:\n    - {server: t1.database.windows.net, database: a}" > dir "/base.yaml"
  for (i = 0; i < jobs; i++) {
    if (i % 100 == 0) { if (file) close(file); file = sprintf("%s/jobs-%04d.yaml", dir, i / 100) } else printf "---\n" > file
    printf "apiVersion: ejops/v1\nkind: Job\nmetadata: {name: job-%05d}\nspec:\n  description: maintenance\n  steps:\n", i > file
    for (s = 0; s < 3; s++)
      printf "    - name: step-%d\n      targetGroup: tenants\n      command: |\n        IF OBJECT_ID(N'"'"'dbo.t%d'"'"', N'"'"'U'"'"') IS NULL CREATE TABLE dbo.t%d (id int NOT NULL CONSTRAINT PK_t%d PRIMARY KEY);\n", s, s, s, s > file
  }
}'

ms() { # wall time of "$@" in milliseconds; its peak RSS in KiB goes to $out/rss
  local s e
  s=$(date +%s%N)
  /usr/bin/time -f %M -o "$out/time.txt" "$@" >"$out/last.txt" 2>&1 || { cat "$out/last.txt" >&2; exit 1; }
  e=$(date +%s%N)
  tail -n 1 "$out/time.txt" >"$out/rss"
  echo $(((e - s) / 1000000))
}
apply=$(ms "$ejops" apply --yes "$out/specs")
applyrss=$(cat "$out/rss")
best=999999999 rss=0
for _ in 1 2 3; do
  t=$(ms "$ejops" plan --detailed-exitcode "$out/specs")
  ((t < best)) && best=$t
  m=$(cat "$out/rss")
  ((m > rss)) && rss=$m
done
grep -q 'No changes.' "$out/last.txt" || { echo "bench: plan is not empty" >&2; exit 1; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
echo "jobs:             $jobs × 3 steps, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ejops apply:      ${apply} ms, peak RSS $(mib "$applyrss") (empty job database, one transaction)"
echo "ejops plan:       ${best} ms (unchanged job database, best of 3), peak RSS $(mib "$rss")"
if ((jobs == 10000 && rss >= 100 * 1024)); then
  echo "bench: ejops plan of 10,000 jobs peaks at 100 MiB or more" >&2
  exit 1
fi

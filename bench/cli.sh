#!/usr/bin/env bash
# Times the ejops binary end to end against `ejops emulator` over TCP: apply of N jobs × 3 steps
# into an empty job database, then plan (load, validate, lint, read in one round trip, diff) on
# the unchanged database, best of three.
#
# Usage: bench/cli.sh [JOBS]   (default 10000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${1:-10000}
out=$root/bench/out/cli
rm -rf "$out"
mkdir -p "$out/specs"
(cd "$root" && go build -o "$out/ejops" ./cmd/ejops)

"$out/ejops" emulator --listen 127.0.0.1:0 >"$out/dsn" 2>"$out/emulator.log" &
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

ms() { local s e; s=$(date +%s%N); "$@" >"$out/last.txt" 2>&1 || { cat "$out/last.txt" >&2; exit 1; }; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
apply=$(ms "$out/ejops" apply --yes "$out/specs")
best=999999999
for _ in 1 2 3; do t=$(ms "$out/ejops" plan --detailed-exitcode "$out/specs"); ((t < best)) && best=$t; done
grep -q 'No changes.' "$out/last.txt" || { echo "bench: plan is not empty" >&2; exit 1; }
echo "jobs:             $jobs × 3 steps, $(nproc) cores"
echo "ejops apply:      ${apply} ms (empty job database, one transaction)"
echo "ejops plan:       ${best} ms (unchanged job database, best of 3)"

#!/usr/bin/env bash
# Compares `ejops validate` with kubeconform on the same 10,000 spec documents and the same JSON
# Schema (schema/ejops.schema.json). Prints both wall times and their ratio, and both peak resident
# set sizes (GNU time's "Maximum resident set size") and theirs.
#
# Usage: bench/validate.sh [DOCUMENTS]   (default 10000; run from anywhere)
# Needs: go and GNU time (/usr/bin/time); EJOPS_BIN=path measures a prebuilt binary; installs
# kubeconform with go install when it is not on PATH.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
docs=${1:-10000}
out=$root/bench/out/validate
rm -rf "$out"
mkdir -p "$out/specs" "$out/bin"

export PATH="$(go env GOPATH)/bin:$PATH"
if ! command -v kubeconform >/dev/null; then
  go install github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0
fi
ejops=${EJOPS_BIN:-$out/bin/ejops} # EJOPS_BIN: measure an already built binary
if [[ -z "${EJOPS_BIN:-}" ]]; then
  (cd "$root" && go build -o "$ejops" ./cmd/ejops)
fi

# 100 documents per file: one Agent, and groups of a Credential, a TargetGroup and two Jobs.
awk -v docs="$docs" -v dir="$out/specs" '
function emit(s) { printf "%s", s > file }
BEGIN {
  per = 100
  for (i = 0; i < docs; i++) {
    if (i % per == 0) { if (file) close(file); file = sprintf("%s/specs-%04d.yaml", dir, i / per) } else emit("---\n")
    if (i == 0) { emit("apiVersion: ejops/v1\nkind: Agent\nmetadata:\n  name: bench\nspec:\n  authentication: DatabaseScopedCredential\n"); continue }
    j = i - 1; n = int(j / 4); k = j % 4
    if (k == 0) emit(sprintf("apiVersion: ejops/v1\nkind: Credential\nmetadata:\n  name: cred-%d\nspec:\n  identity: user%d\n  secretFrom:\n    env: EJOPS_CRED_%d\n", n, n, n))
    else if (k == 1) emit(sprintf("apiVersion: ejops/v1\nkind: TargetGroup\nmetadata:\n  name: group-%d\nspec:\n  members:\n    - server: tenants-%d.database.windows.net\n      refreshCredential: cred-%d\n    - server: tenants-%d.database.windows.net\n      database: scratch\n      membership: Exclude\n", n, n, n, n))
    else emit(sprintf("apiVersion: ejops/v1\nkind: Job\nmetadata:\n  name: job-%d-%d\nspec:\n  description: Update statistics on group %d\n  enabled: true\n  schedule:\n    every: 1d\n    start: \"2026-01-01T02:00:00Z\"\n  steps:\n    - name: update-stats\n      targetGroup: group-%d\n      credential: cred-%d\n      command: |\n        IF OBJECT_ID(N'"'"'dbo.stats_log'"'"', N'"'"'U'"'"') IS NULL\n            CREATE TABLE dbo.stats_log (id int NOT NULL CONSTRAINT PK_stats_log PRIMARY KEY, at datetime2 NOT NULL);\n        EXEC sp_updatestats;\n      timeout: 2h\n      retry:\n        attempts: 3\n        initialInterval: 5s\n        maxInterval: 2m\n", n, k, n, n, n))
  }
}'

# kubeconform resolves a schema per document; both templates point at the one ejops schema.
schema=$root/schema/ejops.schema.json

best() { # best of three wall times in milliseconds for the command "$@"; the largest peak RSS of
  # the three runs, in KiB, goes to $out/rss
  local b=999999999 r=0 s e t m
  for _ in 1 2 3; do
    s=$(date +%s%N)
    /usr/bin/time -f %M -o "$out/time.txt" "$@" >"$out/last.txt" 2>&1 || { cat "$out/last.txt" >&2; echo "bench: command failed: $*" >&2; exit 1; }
    e=$(date +%s%N)
    t=$(((e - s) / 1000000))
    ((t < b)) && b=$t
    m=$(tail -n 1 "$out/time.txt")
    ((m > r)) && r=$m
  done
  echo "$r" >"$out/rss"
  echo "$b"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

ej=$(best "$ejops" validate "$out/specs")
ejrss=$(cat "$out/rss")
kc=$(best kubeconform -strict -summary -n "$(nproc)" -schema-location "$schema" "$out/specs")
kcrss=$(cat "$out/rss")
echo "documents:        $docs in $(ls "$out/specs" | wc -l) files, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ejops validate:   ${ej} ms, peak RSS $(mib "$ejrss") (schema, references, job database rules and T-SQL lint)"
echo "kubeconform:      ${kc} ms, peak RSS $(mib "$kcrss") (schema only, -strict -n $(nproc))"
awk -v a="$ej" -v b="$kc" 'BEGIN { printf "time ratio:       kubeconform / ejops = %.1fx\n", (a > 0 ? b / a : 0) }'
awk -v a="$ejrss" -v b="$kcrss" 'BEGIN { printf "memory ratio:     ejops / kubeconform = %.1fx\n", (b > 0 ? a / b : 0) }'
if ((ej >= 1000)); then
  echo "bench: ejops validate took ${ej} ms, over the 1 s budget" >&2
  exit 1
fi
if ((ej >= kc)); then
  echo "bench: ejops validate is not faster than kubeconform" >&2
  exit 1
fi
if ((ejrss > 2 * kcrss)); then
  echo "bench: ejops validate peaks above twice kubeconform's memory" >&2
  exit 1
fi

#!/usr/bin/env bash
# Checks the release set-up and times the GitHub Actions' install step against it:
#   1. goreleaser check, then a snapshot release (every platform's archive and checksums.txt);
#   2. the snapshot served on loopback the way GitHub serves releases;
#   3. .github/actions/install.sh: a cold install (download, checksum, unpack), a warm one (the
#      binary a cache restored), and a tampered archive, which must be refused.
# The container image is not built here: that needs a Docker engine (the CI workflow builds it).
#
# Usage: bench/release.sh   (from anywhere)
# Needs: go (goreleaser on PATH, else the version pinned in tools/goreleaser.mod, built on first use:
# several minutes), python3, curl, tar.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$root/bench/out/release
rm -rf "$out"
mkdir -p "$out"

goreleaser() {
  if type -P goreleaser >/dev/null; then
    command goreleaser "$@"
  else
    go tool -modfile=tools/goreleaser.mod goreleaser "$@"
  fi
}

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

goreleaser check
start=$(date +%s%N)
goreleaser release --snapshot --clean
echo "snapshot release: $(ms "$start") ms"

version=$(python3 -c 'import json; print(json.load(open("dist/metadata.json"))["version"])')
tag="v$version"
for p in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64; do
  test -f "dist/ejops_${version}_${p}.tar.gz" || { echo "missing dist/ejops_${version}_${p}.tar.gz" >&2; exit 1; }
done
for p in windows_amd64 windows_arm64; do
  test -f "dist/ejops_${version}_${p}.zip" || { echo "missing dist/ejops_${version}_${p}.zip" >&2; exit 1; }
done
test "$(wc -l < dist/checksums.txt)" -eq 6

# Releases as GitHub lays them out: download/TAG/FILE. A second tag holds a tampered archive.
mkdir -p "$out/site/download/$tag" "$out/site/download/v0.0.0-tampered"
cp dist/*.tar.gz dist/*.zip dist/checksums.txt "$out/site/download/$tag/"
for f in dist/*.tar.gz dist/*.zip; do
  name=$(basename "$f")
  cp "$f" "$out/site/download/v0.0.0-tampered/${name/$version/0.0.0-tampered}"
done
sed "s/$version/0.0.0-tampered/" dist/checksums.txt > "$out/site/download/v0.0.0-tampered/checksums.txt"
printf 'x' >> "$out/site/download/v0.0.0-tampered/ejops_0.0.0-tampered_linux_amd64.tar.gz"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$out/site" >"$out/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$port/download/$tag/checksums.txt" >/dev/null && break
  sleep 0.1
done

export EJOPS_RELEASES="http://127.0.0.1:$port" EJOPS_OS=linux EJOPS_ARCH=amd64
start=$(date +%s%N)
.github/actions/install.sh install "$tag" "$out/bin"
echo "install step, cold (download, checksum, unpack): $(ms "$start") ms"
start=$(date +%s%N)
.github/actions/install.sh install "$tag" "$out/bin"
echo "install step, warm (binary restored from the cache): $(ms "$start") ms"
"$out/bin/ejops" version
if .github/actions/install.sh install v0.0.0-tampered "$out/tampered" 2>"$out/tampered.log"; then
  echo "a tampered archive was installed" >&2
  exit 1
fi
echo "tampered archive refused: $(cat "$out/tampered.log")"

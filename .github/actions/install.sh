#!/usr/bin/env bash
# Installs ejops for the ejops GitHub Actions: the released binary for this platform, checked
# against the release's checksums.txt, or a build from a checkout for a version that is a path.
#
#   install.sh resolve VERSION      print the release tag VERSION stands for ("latest" is looked
#                                   up), or "source" for a path such as ./
#   install.sh outputs VERSION      print the step outputs version, tag and dir (the folder to
#                                   install in and cache) for GITHUB_OUTPUT; an empty VERSION is
#                                   the tag the action is used at (EJOPS_ACTION_REF), else latest
#   install.sh install VERSION DIR  put ejops in DIR: download and verify the release, unless DIR
#                                   already holds that version (a restored cache); a path builds
#                                   ejops from that checkout with Go
#
# Environment: EJOPS_RELEASES (default https://github.com/ejops/ejops/releases) is where releases
# are downloaded from; EJOPS_OS and EJOPS_ARCH override the platform, which is otherwise taken
# from RUNNER_OS and RUNNER_ARCH, or from uname.
set -euo pipefail

releases="${EJOPS_RELEASES:-https://github.com/ejops/ejops/releases}"
releases="${releases%/}"
tmp="" # the download folder, removed on exit

die() {
  echo "ejops install: $*" >&2
  exit 1
}

is_path() { [[ "$1" == . || "$1" == ./* || "$1" == ../* || "$1" == /* ]]; }

fetch() { # URL FILE
  curl --fail --silent --show-error --location --retry 3 --retry-delay 2 --output "$2" "$1"
}

# resolve prints the release tag that a version input stands for.
resolve() {
  local version="$1"
  if is_path "$version"; then
    echo source
    return
  fi
  if [[ "$version" == latest ]]; then
    # The latest release's page redirects to the page of its tag.
    local url
    url=$(curl --fail --silent --show-error --location --retry 3 --output /dev/null --write-out '%{url_effective}' "$releases/latest") ||
      die "cannot look up the latest release at $releases/latest"
    version="${url##*/}"
  fi
  [[ "$version" == v* ]] || version="v$version"
  [[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]] ||
    die "version \"$1\" is not a release tag such as v1.2.3, latest, or a path such as ./"
  echo "$version"
}

platform() {
  local os="${EJOPS_OS:-}" arch="${EJOPS_ARCH:-}"
  if [[ -z "$os" ]]; then
    case "${RUNNER_OS:-$(uname -s)}" in
      Linux) os=linux ;;
      macOS | Darwin) os=darwin ;;
      Windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
      *) die "no ejops release for the operating system ${RUNNER_OS:-$(uname -s)}" ;;
    esac
  fi
  if [[ -z "$arch" ]]; then
    case "${RUNNER_ARCH:-$(uname -m)}" in
      X64 | x86_64 | amd64) arch=amd64 ;;
      ARM64 | aarch64 | arm64) arch=arm64 ;;
      *) die "no ejops release for the architecture ${RUNNER_ARCH:-$(uname -m)}" ;;
    esac
  fi
  echo "$os $arch"
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# install_release downloads the archive of tag for this platform into dir, after checking it
# against the release's checksums.
install_release() {
  local tag="$1" dir="$2" os arch exe=ejops ext=tar.gz
  read -r os arch < <(platform)
  if [[ "$os" == windows ]]; then
    exe=ejops.exe
    ext=zip
  fi
  # The output is read whole first: head closing the pipe early could fail the pipeline (pipefail).
  local installed=""
  [[ -x "$dir/$exe" ]] && installed=$("$dir/$exe" version 2>/dev/null || true)
  if [[ "${installed%%$'\n'*}" == "ejops $tag" ]]; then
    echo "ejops $tag is already in $dir"
    return
  fi
  local archive="ejops_${tag#v}_${os}_${arch}.$ext"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  fetch "$releases/download/$tag/checksums.txt" "$tmp/checksums.txt" ||
    die "cannot download $releases/download/$tag/checksums.txt (is $tag released?)"
  local want got
  want=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$tmp/checksums.txt")
  [[ "$want" =~ ^[0-9a-f]{64}$ ]] || die "checksums.txt of $tag has no entry for $archive"
  fetch "$releases/download/$tag/$archive" "$tmp/$archive" || die "cannot download $releases/download/$tag/$archive"
  got=$(sha256 "$tmp/$archive")
  [[ "$got" == "$want" ]] || die "$archive does not match checksums.txt of $tag (sha256 $got, want $want): refusing to install it"
  mkdir -p "$tmp/x" "$dir"
  if [[ "$ext" == zip ]]; then
    (cd "$tmp/x" && unzip -q "../$archive")
  else
    tar -xzf "$tmp/$archive" -C "$tmp/x"
  fi
  [[ -f "$tmp/x/$exe" ]] || die "$archive holds no $exe"
  mv -f "$tmp/x/$exe" "$dir/$exe"
  chmod +x "$dir/$exe"
  echo "installed ejops $tag ($os/$arch) in $dir"
}

# install_source builds ejops from the checkout at path, for this repository's own workflows.
install_source() {
  local path="$1" dir="$2"
  command -v go >/dev/null 2>&1 || die "version $path builds ejops from a checkout and needs Go (actions/setup-go)"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  (cd "$path" && CGO_ENABLED=0 go build -o "$dir/" ./cmd/ejops)
  echo "built ejops from $path in $dir"
}

# outputs prints the outputs of an action's step that resolves its version input.
outputs() {
  local version="$1" tag
  if [[ -z "$version" ]]; then
    version=latest
    if [[ "${EJOPS_ACTION_REF:-}" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]]; then
      version="$EJOPS_ACTION_REF"
    fi
  fi
  tag=$(resolve "$version")
  [[ "$tag" == source ]] || version="$tag"
  echo "version=$version"
  echo "tag=$tag"
  echo "dir=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/ejops/$tag"
}

case "${1:-}" in
  outputs)
    [[ $# == 2 ]] || die "usage: install.sh outputs VERSION"
    outputs "$2"
    ;;
  resolve)
    [[ $# == 2 ]] || die "usage: install.sh resolve VERSION"
    resolve "$2"
    ;;
  install)
    [[ $# == 3 ]] || die "usage: install.sh install VERSION DIR"
    if is_path "$2"; then
      install_source "$2" "$3"
    else
      install_release "$(resolve "$2")" "$3"
    fi
    ;;
  *)
    die "usage: install.sh resolve VERSION | install.sh outputs VERSION | install.sh install VERSION DIR"
    ;;
esac

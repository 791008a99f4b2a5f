#!/usr/bin/env bash
# `go install github.com/igw-dev/igw/cmd/igwctl@latest` as a user runs it, on this machine and
# offline: the module as committed (git archive of HEAD, so a generated file that is not committed
# is missing here as it would be for users) is served as its newest version from a file proxy,
# into an empty module cache, with GOFLAGS=-mod=mod. The dependencies come from this machine's
# module cache download directory, which is itself a valid GOPROXY. A replace directive, a file
# missing from the module or a go.sum gap fails the install; the installed igwctl must then know
# its version from the module, as `go install` leaves no ldflags.
set -euo pipefail
cd "$(dirname "$0")/.."
mod=github.com/igw-dev/igw
v=v0.99.0
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
d=$tmp/proxy/$mod/@v
mkdir -p "$d"
echo "$v" >"$d/list"
printf '{"Version":"%s","Time":"%s"}\n' "$v" "$(git log -1 --format=%cI)" >"$d/$v.info"
git show HEAD:go.mod >"$d/$v.mod"
git archive --format=zip --prefix="$mod@$v/" -o "$d/$v.zip" HEAD
if grep -q '^replace' "$d/$v.mod"; then
  echo "go.mod has replace directives: go install $mod/cmd/igwctl@latest refuses them" >&2
  exit 1
fi
start=$(date +%s)
# -trimpath keeps compiled packages independent of where the module cache is, so the build
# cache of earlier builds serves; users' own go install compiles the same code.
env GOPROXY="file://$tmp/proxy,file://$(go env GOMODCACHE)/cache/download" \
  GOMODCACHE="$tmp/modcache" GOBIN="$tmp/bin" GOFLAGS="-mod=mod -trimpath" \
  GONOSUMDB="$mod" GONOSUMCHECK=1 GOSUMDB=off GOTOOLCHAIN=local \
  go install "$mod/cmd/igwctl@latest" "$mod/cmd/bbr@latest"
out=$("$tmp/bin/igwctl" version)
echo "$out"
case $out in
  *"$v"*) ;;
  *) echo "igwctl installed with go install does not report its module version $v" >&2; exit 1 ;;
esac
"$tmp/bin/bbr" --version
echo "go install $mod/cmd/igwctl@latest and cmd/bbr@latest: ok ($(( $(date +%s) - start ))s)"

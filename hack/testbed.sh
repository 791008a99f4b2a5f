#!/usr/bin/env bash
# The project's Kubernetes test bed: a real kube-apiserver and etcd, compiled from the Go module proxy
# because that is all a fresh machine or CI runner is guaranteed to reach (no Docker, kind or release
# downloads). Usage: hack/testbed.sh {build|path|start|stop|status}; see usage() below.
set -euo pipefail

K8S_VERSION=v1.36.3
ETCD_VERSION=v3.6.16

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/igw/testbed"
# One directory per version pair, so bumping a version builds afresh instead of reusing stale binaries.
# internal/testbed computes the same path; its tests check the two stay in step.
BIN_DIR="$CACHE_ROOT/k8s-$K8S_VERSION-etcd-$ETCD_VERSION"
RUN_DIR="${IGW_TESTBED_DIR:-$CACHE_ROOT/run}"
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
  cat <<EOF
usage: hack/testbed.sh <command>

  build    build kube-apiserver $K8S_VERSION and etcd $ETCD_VERSION into the cache (only the missing
           ones; a cold build takes several minutes and about 2 GB of Go build cache)
  path     print the binary directory, for: export KUBEBUILDER_ASSETS=\$(hack/testbed.sh path)
  start    build if needed, run etcd + kube-apiserver on loopback until 'stop', print the
           KUBECONFIG export line; use as: eval "\$(hack/testbed.sh start)"
  stop     stop kube-apiserver, then etcd, and delete the run directory
  status   show the binaries and whether the control plane is up (exit 0 only if ready)

binaries: $BIN_DIR
run dir:  $RUN_DIR (override with IGW_TESTBED_DIR)
EOF
}

log() { printf 'testbed: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Paths removed on any exit, so an interrupted build leaves neither temp modules nor half-written binaries.
CLEANUP=()
cleanup() {
  local p
  for p in "${CLEANUP[@]+"${CLEANUP[@]}"}"; do rm -rf -- "$p"; done
}
trap cleanup EXIT
# Bash skips the EXIT trap when killed by a signal it has no trap for.
trap 'exit 130' INT
trap 'exit 143' TERM

have_binaries() { [[ -x $BIN_DIR/kube-apiserver && -x $BIN_DIR/etcd ]]; }

# The builder modules must not inherit the caller's module settings: a go.work or -mod=vendor from the
# environment would make them resolve something other than what the version pins say. CGO is off
# because upstream ships both binaries static, and it spares the build a C toolchain.
gobuild_env() {
  env GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 "$@"
}

# Prints the path of the go.mod that module@version was published with (downloading it if needed).
published_gomod() {
  local json
  json=$(gobuild_env go mod download -json "$1") || die "go mod download $1 failed: $json"
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p' <<<"$json"
}

go_directive() { awk '$1 == "go" { print $2; exit }' "$1"; }

build_kube_apiserver() {
  local work out gomod staging minor replaces
  work=$(mktemp -d "${TMPDIR:-/tmp}/igw-testbed-kube-apiserver.XXXXXX")
  CLEANUP+=("$work")
  out=$(mktemp -d "$BIN_DIR/.build.XXXXXX")
  CLEANUP+=("$out")

  gomod=$(cd "$work" && published_gomod "k8s.io/kubernetes@$K8S_VERSION")
  [[ -f $gomod ]] || die "no go.mod for k8s.io/kubernetes@$K8S_VERSION"
  # k8s.io/kubernetes points every staging module at ./staging/src/..., which the published module
  # zip does not contain; each one is published separately as v0.<minor>.<patch>.
  staging="v0.${K8S_VERSION#v1.}"
  minor=$(cut -d. -f2 <<<"$K8S_VERSION")
  replaces=$(awk -v v="$staging" '$2 == "=>" && $3 ~ /^\.\/staging\/src\// { printf "\t%s => %s %s\n", $1, $1, v }' "$gomod")
  [[ -n $replaces ]] || die "found no ./staging/src replaces in $gomod; has kubernetes changed its layout?"
  log "kube-apiserver: module with $(wc -l <<<"$replaces") staging replaces (-> $staging)"

  cat >"$work/go.mod" <<EOF
module igw.invalid/testbed/kube-apiserver

go $(go_directive "$gomod")

require k8s.io/kubernetes $K8S_VERSION

replace (
$replaces
)
EOF
  cat >"$work/main.go" <<'EOF'
package main

// Only anchors kube-apiserver's import graph for `go mod tidy`; the binary is built from
// k8s.io/kubernetes/cmd/kube-apiserver itself.
import _ "k8s.io/kubernetes/cmd/kube-apiserver/app"

func main() {}
EOF
  (cd "$work" && timed "kube-apiserver: go mod tidy" gobuild_env go mod tidy)

  # Without these stamps /version reports v0.0.0-master+$Format:%H$, which clients fail to parse.
  local v=k8s.io/component-base/version
  local ldflags="-s -w -X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor"
  ldflags+=" -X $v.gitTreeState=clean -X $v.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  log "kube-apiserver: compiling (the slow part: 3-4 min of 2 busy cores when the Go build cache is cold)"
  (cd "$work" && timed "kube-apiserver: go build" gobuild_env go build -trimpath -ldflags="$ldflags" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
  check_version "$out/kube-apiserver" "Kubernetes $K8S_VERSION"
  mv -f "$out/kube-apiserver" "$BIN_DIR/kube-apiserver"
}

build_etcd() {
  local work out gomod
  work=$(mktemp -d "${TMPDIR:-/tmp}/igw-testbed-etcd.XXXXXX")
  CLEANUP+=("$work")
  out=$(mktemp -d "$BIN_DIR/.build.XXXXXX")
  CLEANUP+=("$out")

  gomod=$(cd "$work" && published_gomod "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
  cat >"$work/go.mod" <<EOF
module igw.invalid/testbed/etcd

go $(go_directive "$gomod")

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
EOF
  cat >"$work/main.go" <<'EOF'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

// etcd's own main package lives in the go.etcd.io/etcd/v3 root module, which the proxy stopped
// serving after v3.6.8; its whole body is this call.
func main() { etcdmain.Main(os.Args) }
EOF
  (cd "$work" && timed "etcd: go mod tidy" gobuild_env go mod tidy)
  (cd "$work" && timed "etcd: go build" gobuild_env go build -trimpath -ldflags="-s -w" -o "$out/etcd" .)
  check_version "$out/etcd" "etcd Version: ${ETCD_VERSION#v}"
  mv -f "$out/etcd" "$BIN_DIR/etcd"
}

check_version() {
  local got
  got=$("$1" --version 2>&1) || die "$1 --version failed: $got"
  grep -qF -- "$2" <<<"$got" || die "$1 --version says '$got', expected '$2'"
}

# Runs "$@" under `time` so every build reports wall and CPU time; CPU time is the number that does
# not depend on what else the machine is doing.
timed() {
  local TIMEFORMAT="testbed: $1: %1Rs wall, %1Us user + %1Ss sys CPU"
  shift
  time "$@"
}

cmd_build() {
  if have_binaries; then
    log "binaries present in $BIN_DIR; nothing to build"
    return
  fi
  mkdir -p "$BIN_DIR"
  local lock="$CACHE_ROOT/k8s-$K8S_VERSION-etcd-$ETCD_VERSION.lock"
  if command -v flock >/dev/null; then
    exec 9>"$lock"
    if ! flock -n 9; then
      log "another build holds $lock; waiting for it to finish"
      flock 9
    fi
  else
    log "flock not found: building without a lock (a concurrent build would duplicate work, not corrupt it)"
  fi
  build_missing
  # Closed explicitly because `start` goes on to launch daemons, which would inherit the descriptor
  # and hold the lock for as long as they run.
  exec 9>&-
}

build_missing() {
  # The lock holder before us may have built everything while we waited.
  if have_binaries; then
    log "binaries present in $BIN_DIR (built by the lock holder)"
    return
  fi
  # Output directories of builds that were SIGKILLed; nobody else can be using them while we hold the lock.
  rm -rf "$BIN_DIR"/.build.*

  local gomodcache cached=lacks
  gomodcache=$(go env GOMODCACHE)
  [[ -f $gomodcache/cache/download/k8s.io/kubernetes/@v/$K8S_VERSION.zip ]] && cached="already has"
  log "building into $BIN_DIR with $(go env GOVERSION) on $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs"
  log "GOCACHE=$(go env GOCACHE); the module cache $cached k8s.io/kubernetes@$K8S_VERSION"
  local t0=$SECONDS
  [[ -x $BIN_DIR/kube-apiserver ]] || timed "kube-apiserver $K8S_VERSION total" build_kube_apiserver
  [[ -x $BIN_DIR/etcd ]] || timed "etcd $ETCD_VERSION total" build_etcd
  log "built in $((SECONDS - t0))s: $BIN_DIR"
}

cmd_path() { printf '%s\n' "$BIN_DIR"; }

# Whether the pid recorded for name is alive and still that process: pids get reused, and stop must
# never signal a stranger. Zombies count as gone (they have exited; only their parent has not reaped them).
running() {
  local name=$1 pid args
  [[ -f $RUN_DIR/$name.pid ]] || return 1
  pid=$(<"$RUN_DIR/$name.pid")
  if [[ -r /proc/$pid/cmdline ]]; then
    [[ $(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 1
    args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  else
    [[ $(ps -o stat= -p "$pid" 2>/dev/null) != Z* ]] || return 1
    args=$(ps -ww -o args= -p "$pid" 2>/dev/null) || return 1
  fi
  [[ $args == *"/$name "*"$RUN_DIR"* ]]
}

helper() { "$RUN_DIR/bin/testbed-helper" "$@"; }

apiserver_url() { printf 'https://127.0.0.1:%s' "$(<"$RUN_DIR/apiserver.port")"; }

ready() { running kube-apiserver && helper ready -pki "$RUN_DIR/pki" -server "$(apiserver_url)" 2>/dev/null; }

cmd_start() {
  cmd_build
  if ready; then
    log "already running (pid $(<"$RUN_DIR/kube-apiserver.pid")); 'hack/testbed.sh stop' to restart"
    printf 'export KUBECONFIG=%q\n' "$RUN_DIR/kubeconfig"
    return
  fi
  stop_all # whatever a crashed or half-finished earlier start left behind
  rm -rf "$RUN_DIR"
  mkdir -p "$RUN_DIR/bin" "$RUN_DIR/logs"
  # Stop what we started if anything below fails or is interrupted; start succeeded once this is cleared.
  STARTING=1
  trap 'if [[ ${STARTING:-} ]]; then log "start failed; stopping what it started (logs stay in $RUN_DIR/logs until stop)"; stop_all; fi; cleanup' EXIT

  local t0=$SECONDS ports etcd_port peer_port apiserver_port pki=$RUN_DIR/pki
  (cd "$REPO_ROOT" && go build -o "$RUN_DIR/bin/testbed-helper" ./hack/testbed)
  ports=$(helper ports 3)
  read -r etcd_port peer_port apiserver_port <<<"$ports"
  printf '%s\n' "$apiserver_port" >"$RUN_DIR/apiserver.port"
  helper pki -dir "$pki" -server "$(apiserver_url)" -kubeconfig "$RUN_DIR/kubeconfig"

  # nohup + </dev/null: both must outlive this script and the terminal it ran in.
  nohup "$BIN_DIR/etcd" --name=testbed --data-dir="$RUN_DIR/etcd" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-cluster="testbed=http://127.0.0.1:$peer_port" --unsafe-no-fsync=true \
    </dev/null >"$RUN_DIR/logs/etcd.log" 2>&1 &
  echo $! >"$RUN_DIR/etcd.pid"

  nohup "$BIN_DIR/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$apiserver_port" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 --cert-dir="$RUN_DIR/apiserver-certs" \
    </dev/null >"$RUN_DIR/logs/kube-apiserver.log" 2>&1 &
  echo $! >"$RUN_DIR/kube-apiserver.pid"

  local deadline=$((SECONDS + 60)) name
  until ready; do
    for name in etcd kube-apiserver; do
      running "$name" || { tail -n 30 "$RUN_DIR/logs/$name.log" >&2; die "$name exited during start (log above)"; }
    done
    if ((SECONDS > deadline)); then
      helper ready -pki "$pki" -server "$(apiserver_url)" || true
      die "kube-apiserver not ready after 60s"
    fi
    sleep 0.2
  done
  STARTING=
  log "ready in $((SECONDS - t0))s: $(apiserver_url) (etcd pid $(<"$RUN_DIR/etcd.pid"), kube-apiserver pid $(<"$RUN_DIR/kube-apiserver.pid"))"
  printf 'export KUBECONFIG=%q\n' "$RUN_DIR/kubeconfig"
}

stop_one() {
  local name=$1 pid i
  running "$name" || return 0
  pid=$(<"$RUN_DIR/$name.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    running "$name" || { log "stopped $name (pid $pid)"; return 0; }
    sleep 0.1
  done
  log "$name (pid $pid) ignored SIGTERM for 10s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

# kube-apiserver first: stopped together, it keeps retrying the vanished etcd and takes ~30s to exit.
stop_all() {
  stop_one kube-apiserver
  stop_one etcd
}

cmd_stop() {
  if [[ ! -d $RUN_DIR ]]; then
    log "not running (no $RUN_DIR)"
    return
  fi
  stop_all
  rm -rf "$RUN_DIR"
  log "removed $RUN_DIR"
}

cmd_status() {
  local name rc=0
  echo "binaries: $BIN_DIR"
  for name in kube-apiserver etcd; do
    if [[ -x $BIN_DIR/$name ]]; then
      echo "  $name: $("$BIN_DIR/$name" --version 2>&1 | head -n 1)"
    else
      echo "  $name: missing (hack/testbed.sh build)"
    fi
  done
  echo "run dir: $RUN_DIR"
  for name in etcd kube-apiserver; do
    if running "$name"; then
      echo "  $name: running, pid $(<"$RUN_DIR/$name.pid")"
    else
      echo "  $name: not running"
      rc=1
    fi
  done
  if ((rc == 0)) && ready; then
    echo "  $(apiserver_url)/readyz: ok"
    printf 'export KUBECONFIG=%q\n' "$RUN_DIR/kubeconfig"
  else
    rc=1
  fi
  return "$rc"
}

case "${1:-}" in
  build) cmd_build ;;
  path) cmd_path ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Regenerates everything generated from api/ and from pinned upstream modules:
#   api/**/zz_generated.deepcopy.go        controller-gen's object generator
#   config/crd/*.yaml                      controller-gen's crd generator, plus the bundle-version
#                                          annotation (api.BundleVersion, in api/doc.go)
#   config/gateway-api/{standard,experimental}/*.yaml, VERSION
#                                          copied unedited from sigs.k8s.io/gateway-api
# Tools come through `go run module@version` and the Go module proxy: nothing is installed.
#
#   hack/generate.sh           write the files
#   hack/generate.sh -check    change nothing; fail, naming the stale files, if any differs
set -euo pipefail
cd "$(dirname "$0")/.."

CONTROLLER_TOOLS_VERSION=v0.23.0 # sigs.k8s.io/controller-tools, for controller-gen
GATEWAY_API_VERSION=v1.6.3       # sigs.k8s.io/gateway-api, whose CRDs we ship

exec go run ./hack/gen \
  -controller-gen "sigs.k8s.io/controller-tools/cmd/controller-gen@${CONTROLLER_TOOLS_VERSION}" \
  -gateway-api "sigs.k8s.io/gateway-api@${GATEWAY_API_VERSION}" \
  "$@"

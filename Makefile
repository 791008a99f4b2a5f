# igw: the two binaries, their tests and benchmarks. `make help` lists targets.
SHELL := bash
GO ?= go
GORELEASER ?= $(GO) run github.com/goreleaser/goreleaser/v2@v2.15.1
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/igw-dev/igw/internal/version.version=$(VERSION)

.PHONY: help build test bench bench-instructions bench-go fuzz lint generate testbed release-check snapshot image clean

help: ## show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/bbr and bin/igwctl
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/bbr ./cmd/bbr
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/igwctl ./cmd/igwctl

test: testbed ## run every test (builds the Kubernetes test bed first when missing)
	KUBEBUILDER_ASSETS="$$(hack/testbed.sh path)" $(GO) test -count=1 ./...
	$(GO) test -count=1 -race ./internal/bbr/... ./internal/envoysim/...
	# The scanner's portable code, which amd64 builds never compile otherwise.
	$(GO) test -count=1 -tags purego ./internal/bbr/...

bench: ## bbr vs a no-op echo ext_proc server over loopback gRPC: req/s, p50/p99, RSS, ratios
	$(GO) run ./hack/bbrbench

bench-instructions: ## bbr vs echo in instructions per request under valgrind (repeatable on a busy machine)
	$(GO) run ./hack/bbrbench -instructions 2000

bench-go: ## Go micro-benchmarks of the scanner and the per-chunk path
	$(GO) test -run '^$$' -bench . -benchmem ./internal/bbr/...

# Fuzz budgets are execution counts (measured here: scanner 1m43s, decoder 55s): Go 1.26 can
# fail a duration-limited run with a spurious "context deadline exceeded" (golang/go#75804).
# Each entry is package:fuzzer:count; names are anchored because -fuzz must match one fuzzer.
FUZZERS := \
	./internal/bbr/scan:FuzzScannerMatchesEncodingJSON:1500000x \
	./internal/bbr/scan:FuzzSkipString:200000x \
	./internal/bbr/wire:FuzzDecodeRequest:400000x \
	./internal/bbr/wire:FuzzDecodeRequestShapes:200000x \
	./internal/bbr/wire:FuzzMutation:200000x \
	./internal/bbr/wire:FuzzStreamed:200000x

fuzz: ## fuzz the scanner against encoding/json and the wire codec against protobuf (FUZZTIME=Nx for every fuzzer)
	@set -e; for f in $(FUZZERS); do \
	  IFS=: read -r pkg name count <<<"$$f"; \
	  echo "$$name: $${FUZZTIME:-$$count}"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime "$${FUZZTIME:-$$count}" "$$pkg"; \
	done

lint: ## gofmt, go vet and staticcheck
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed on:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(STATICCHECK) ./...

generate: ## regenerate deepcopy code and CRDs (controller-gen), copy the Gateway API CRDs, write docs/findings.md
	hack/generate.sh
	$(GO) run ./hack/findings

testbed: ## build kube-apiserver and etcd for the tests into the user cache, when missing
	hack/testbed.sh build

release-check: ## validate goreleaser.yaml
	$(GORELEASER) check

snapshot: ## build release archives for every platform into dist/ (no publishing)
	$(GORELEASER) release --snapshot --clean

# Built with go-containerregistry, no Docker daemon: timestamps come from SOURCE_DATE_EPOCH or
# the commit, so a commit always gives the same digests.
image: ## build and push the bbr and igwctl images, linux/amd64+arm64 (IMAGE_REPO=registry/path, BASE_IMAGE optional)
	@test -n "$(IMAGE_REPO)" || { echo "make image needs IMAGE_REPO, e.g. make image IMAGE_REPO=ghcr.io/igw-dev"; exit 1; }
	IMAGE_REPO='$(IMAGE_REPO)' BASE_IMAGE='$(BASE_IMAGE)' $(GO) run ./hack/image -version '$(VERSION)'

clean:
	rm -rf bin dist

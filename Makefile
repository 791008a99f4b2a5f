# igw: the two binaries, their tests and benchmarks. `make help` lists targets.
SHELL := bash
GO ?= go
GORELEASER ?= $(GO) run github.com/goreleaser/goreleaser/v2@v2.15.1
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
# The commit's date, not the build's, as the release and the images stamp it.
DATE ?= $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
LDFLAGS := -s -w -X github.com/igw-dev/igw/internal/version.version=$(VERSION) \
	-X github.com/igw-dev/igw/internal/version.commit=$(COMMIT) -X github.com/igw-dev/igw/internal/version.date=$(DATE)

.PHONY: help build test bench bench-instructions bench-go fuzz lint generate testbed release-check snapshot release image clean

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

generate: ## regenerate deepcopy code and CRDs (controller-gen), copy the Gateway API CRDs, write docs/findings.md and the chart README values table
	hack/generate.sh
	$(GO) run ./hack/findings
	$(GO) run ./hack/chartdoc

testbed: ## build kube-apiserver and etcd for the tests into the user cache, when missing
	hack/testbed.sh build

release-check: ## validate goreleaser.yaml
	$(GORELEASER) check

# The whole release without publishing, in dist/: goreleaser's archives, checksums, SBOMs, Homebrew
# cask and krew manifest, then the images as an OCI image layout (dist/images; `crane push` or
# `skopeo copy oci:dist/images:REF docker://...` publishes them later, digests unchanged) and the
# chart, all at the snapshot's version. BASE_IMAGE as for `make image`; hack/registry serves a
# stand-in where gcr.io cannot be reached. `go run ./hack/distcheck` checks the result.
# SNAPSHOT_FLAGS=--single-target builds the archives for this machine's platform only (CI).
snapshot: ## the whole release into dist/ without publishing: archives, SBOMs, cask, krew manifest, images, chart
	$(GORELEASER) release --snapshot --clean $(SNAPSHOT_FLAGS)
	@v=$$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' dist/metadata.json); \
	  echo "images and chart at version $$v"; set -ex; \
	  IMAGE_REPO='$(or $(IMAGE_REPO),ghcr.io/igw-dev)' BASE_IMAGE='$(BASE_IMAGE)' $(GO) run ./hack/image -version "v$$v" -layout dist/images -digests dist/image-digests.txt; \
	  $(GO) run ./hack/chart -version "$$v" -out dist/charts

# Publishes the tag at HEAD. The images go first: they are reproducible, so the bbr digest they
# print is the one igwctl records (version.bbrDigest) and `igwctl install bbr` pins. A rehearsal
# against a local registry: IMAGE_REPO=127.0.0.1:PORT/igw-dev CHART_REPO=oci://127.0.0.1:PORT/charts
# CHART_FLAGS=-plain-http RELEASE_FLAGS=--skip=publish,announce (and any GITHUB_TOKEN).
release: ## publish the tag at HEAD: images (IMAGE_REPO), archives, cask and krew (goreleaser, GITHUB_TOKEN), chart (CHART_REPO)
	@git describe --tags --exact-match HEAD >/dev/null 2>&1 || { echo "make release publishes the tag at HEAD: tag it first (git tag -a v0.2.0)"; exit 1; }
	@test -n "$(IMAGE_REPO)" -a -n "$(CHART_REPO)" || { echo "make release needs IMAGE_REPO=ghcr.io/igw-dev CHART_REPO=oci://ghcr.io/igw-dev/charts"; exit 1; }
	mkdir -p .cache
	IMAGE_REPO='$(IMAGE_REPO)' BASE_IMAGE='$(BASE_IMAGE)' $(GO) run ./hack/image -version '$(VERSION)' -digests .cache/release-digests.txt
	BBR_IMAGE_DIGEST=$$(awk '$$1 == "bbr" {print $$2}' .cache/release-digests.txt) $(GORELEASER) release --clean $(RELEASE_FLAGS)
	$(GO) run ./hack/chart -version '$(VERSION)' -push '$(CHART_REPO)' $(CHART_FLAGS)

# Built with go-containerregistry, no Docker daemon: timestamps come from SOURCE_DATE_EPOCH or
# the commit, so a commit always gives the same digests. The tag is the version without its "v".
image: ## build and push the bbr and igwctl images, linux/amd64+arm64 (IMAGE_REPO=registry/path, BASE_IMAGE optional)
	@test -n "$(IMAGE_REPO)" || { echo "make image needs IMAGE_REPO, e.g. make image IMAGE_REPO=ghcr.io/igw-dev"; exit 1; }
	IMAGE_REPO='$(IMAGE_REPO)' BASE_IMAGE='$(BASE_IMAGE)' $(GO) run ./hack/image -version '$(VERSION)'

clean:
	rm -rf bin dist

# eci-commit-operator. `make help` lists the targets.
#
# The two commands a newcomer needs:
#   make demo   run the operator end to end on this machine (no cluster, no cloud account)
#   make test   run every check and test (what CI runs)

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

IMG ?= eci-commit-operator:latest
GO_TEST_FLAGS ?= -race -count=1
CONTROLLER_GEN := go tool controller-gen

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Run

.PHONY: demo
demo: ## Run a ContainerCommit to Succeeded against a local API server and the simulated ECI endpoint.
	go run ./hack/demo

.PHONY: run-simulator
run-simulator: ## Serve the simulated ECI endpoint on 127.0.0.1:18080.
	go run ./cmd/ecisim --instance eci-bp1do4xz75fa5sdemo1=cn-hangzhou:notebook,sidecar

##@ Develop

.PHONY: manifests
manifests: ## Generate the CRD and RBAC manifests under config/ and the chart's copies.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./..." \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	hack/sync-chart.sh

.PHONY: generate
generate: ## Generate the DeepCopy methods of the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./..."

.PHONY: fmt
fmt: ## Format the code.
	gofmt -w $$(git ls-files '*.go')

.PHONY: build
build: ## Build the manager binary into bin/manager.
	CGO_ENABLED=0 go build -trimpath -o bin/manager .

.PHONY: docker-build
docker-build: ## Build the container image (needs a Docker engine).
	docker build -t $(IMG) .

##@ Check

.PHONY: test
test: verify lint unit fuzz system-tests demo-smoke ## Run every check and test: generated files, formatting, vet, lint, tests, fuzzing, system suites, demo.

.PHONY: verify
verify: ## Fail if generated files or formatting drifted from the source; go vet.
	hack/verify-generated.sh
	@unformatted=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	if [[ -n "$$unformatted" ]]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	go vet ./...

.PHONY: lint
lint: ## Run golangci-lint (built from a pinned module on first use).
	"$$(hack/build-tools.sh lint)" run ./...

.PHONY: unit
unit: ## Run the Go tests (tools built from pinned modules on first use).
	KUBEBUILDER_ASSETS="$$(hack/build-tools.sh kube)" HELM="$$(hack/build-tools.sh helm)" \
		KUSTOMIZE="$$(hack/build-tools.sh kustomize)" go test $(GO_TEST_FLAGS) $$(go list ./... | grep -v -e /test/faultinjection -e /test/security)

FUZZTIME ?= 10s

.PHONY: fuzz
fuzz: ## Fuzz the cloud client's parameter encoding and answer parsing briefly (FUZZTIME each).
	go test -run='^$$' -fuzz=FuzzCommitParametersAreSentVerbatim -fuzztime=$(FUZZTIME) ./internal/eci/
	go test -run='^$$' -fuzz=FuzzDescribeAnswersNeverPanic -fuzztime=$(FUZZTIME) ./internal/eci/

.PHONY: system-tests
system-tests: ## Run the manager binary under kills and cloud chaos, a leak check, RRSA and a namespaced install with its own RBAC only; print their figures (about 2 minutes).
	KUBEBUILDER_ASSETS="$$(hack/build-tools.sh kube)" go test $(GO_TEST_FLAGS) -v ./test/faultinjection/ ./test/security/ \
		| grep -E '^(fault injection:|leak check:|rrsa:|least privilege:|--- |ok |FAIL|PASS$$)|_test.go:'


.PHONY: bench
bench: ## Measure cloud calls per commit, status delay, submission time and memory (about 3 minutes).
	go run ./hack/bench

.PHONY: demo-smoke
demo-smoke: ## Run the demo until the sample succeeds, then exit.
	go run ./hack/demo --exit-when-done --phase-duration 300ms --timeout 2m

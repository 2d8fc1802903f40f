# attune — every entry point. `make demo` and `make test` install everything they need on a fresh
# machine: Node 24 (into .tools/), npm packages, the Kubernetes control plane built from the Go
# module proxy and etcd + Prometheus from Debian packages (into ~/.cache/attune, outside the repo).
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NODE_BIN := $(CURDIR)/.tools/node/bin
export PATH := $(NODE_BIN):$(CURDIR)/node_modules/.bin:$(PATH)
CLUSTER ?= dev
NODES ?= 2
SCENARIO ?=
HISTORY_DAYS ?= 7
DEMO_SCENARIO ?= oversized
VITEST := vitest run

.PHONY: help node deps tools build lint typecheck check test test-unit test-integration test-e2e bench \
        cluster-up cluster-down cluster-status demo clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(NODE_BIN)/node:
	@bash hack/ensure-node.sh >/dev/null

node: $(NODE_BIN)/node ## install Node 24 into .tools/ when the system node is older

node_modules/.package-lock.json: package.json package-lock.json | $(NODE_BIN)/node
	npm ci --no-audit --no-fund --loglevel=error

deps: node_modules/.package-lock.json ## install npm packages

tools: ## build/install the local cluster binaries into ~/.cache/attune (cached)
	@bash hack/build-k8s-bins.sh
	@bash hack/install-debs.sh

build: deps ## compile the operator and plugin to dist/
	tsc -p tsconfig.build.json

lint: deps ## eslint (typescript-eslint, no floating promises)
	eslint .

typecheck: deps ## tsc --noEmit over everything
	tsc -p tsconfig.json

check: lint typecheck ## static checks

test-unit: deps ## unit tier: pure code, no processes
	$(VITEST) --project unit

test-integration: deps tools ## integration tier: a real local cluster
	$(VITEST) --project integration

test-e2e: deps tools ## e2e tier: CLI, process lifecycle, several clusters
	$(VITEST) --project e2e

test: check test-unit test-integration test-e2e ## everything CI runs

cluster-up: deps tools ## start the local cluster in the background (CLUSTER=dev NODES=2 SCENARIO=… HISTORY_DAYS=7)
	node hack/cluster/cli.ts up --name $(CLUSTER) --nodes $(NODES) --history-days $(HISTORY_DAYS) $(if $(SCENARIO),--scenario $(SCENARIO))

cluster-down: deps ## stop it, and every process it started
	node hack/cluster/cli.ts down --name $(CLUSTER)

cluster-status: deps
	node hack/cluster/cli.ts status --name $(CLUSTER)

demo: SCENARIO = $(DEMO_SCENARIO)
demo: cluster-up ## the local cluster with a week of history, then the operator: canary → promotion → an OOM reverted (DEMO_SCENARIO=oversized)
	node hack/demo.ts --run-dir $(CURDIR)/.run/$(CLUSTER) --namespace $(DEMO_SCENARIO)

clean: ## remove build output and local run folders (caches in ~/.cache/attune stay)
	-node hack/cluster/cli.ts down --name $(CLUSTER) 2>/dev/null
	rm -rf dist .run coverage

bench: deps tools ## benchmarks; figures go to bench/results/
	node bench/kubelet-scale.ts
	node bench/recommend-pass.ts
	node bench/canary-revert-latency.ts
	node bench/canary-promotion.ts

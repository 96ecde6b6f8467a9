# Edge Sync: build, test, demo and bench entry points.
# `make demo` and `make test` install missing system packages themselves (apt-get when root,
# otherwise the exact command is printed and make stops).

SWIFT ?= swift
APT_PACKAGES := libncursesw5-dev libcurl4-openssl-dev libsqlite3-dev libzstd-dev pkg-config curl jq sqlite3 \
                mosquitto mosquitto-clients tmux openssl gdb postgresql haproxy systemd strace
# Stamp so `deps` runs dpkg once per clone; delete it to re-check.
DEPS_STAMP := .build/.deps-ok

.PHONY: deps build release lint format test cluster-test fuzz-api demo bench goldens agent-dist clean

deps: $(DEPS_STAMP)

$(DEPS_STAMP):
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "deps: installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends$$missing >/dev/null || exit 1; \
	  else \
	    echo "deps: missing system packages. Run:"; \
	    echo "  sudo apt-get update && sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi
	@mkdir -p $(dir $(DEPS_STAMP)) && touch $(DEPS_STAMP)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The style is swift-nio's (.swift-format, line length 120); `make format` applies it.
FORMAT_PATHS := Package.swift Sources Tests Benchmarks

lint:
	$(SWIFT) format lint --strict --parallel --recursive $(FORMAT_PATHS)

format:
	$(SWIFT) format --in-place --parallel --recursive $(FORMAT_PATHS)

# The tests run under a watchdog: a hang fails after TEST_TIMEOUT seconds (default 1200) with the
# names of the tests still running and every thread's stack, instead of a run that never ends.
# Three passes: every suite on the SQLite store; the store-backed suites again on a throw-away
# PostgreSQL cluster (EDGESYNC_TEST_STORE=postgres); the cluster test. Then the API fuzz.
#
# Before them the device tarball is packed from the debug build (scripts/agent-dist), and a test
# runs the agent from it unpacked.
test: deps lint
	$(SWIFT) build --build-tests
	rm -rf $(AGENT_DIST_TEST) && SWIFT=$(SWIFT) scripts/agent-dist --configuration debug --out $(AGENT_DIST_TEST)
	EDGESYNC_AGENT_DIST=$(AGENT_DIST_TEST) SWIFT=$(SWIFT) scripts/test-with-watchdog
	EDGESYNC_TEST_STORE=postgres SWIFT=$(SWIFT) scripts/test-with-watchdog $(POSTGRES_PASS)
	$(CLUSTER_TEST)
	SWIFT=$(SWIFT) scripts/fuzz-api

AGENT_DIST_TEST := .build/agent-dist-test
POSTGRES_PASS := --filter 'ServerTests|AgentTests|PlatformTUITests' --skip 'ReplicaTests|DatabaseCrashTests'
CLUSTER_TEST := EDGESYNC_CLUSTER_TEST=1 SWIFT=$(SWIFT) scripts/test-with-watchdog --filter ClusterTests

# 3 replicas behind HAProxy on one throw-away PostgreSQL cluster, 10 edge-agent processes, a
# replica killed and PostgreSQL crashed mid-stream; part of `make test`.
cluster-test: deps
	$(SWIFT) build --build-tests
	$(CLUSTER_TEST)

# Every route of the OpenAPI document fuzzed with schemathesis (PyPI) against a throw-away
# server, bounded by FUZZ_SECONDS; part of `make test`.
fuzz-api: build
	SWIFT=$(SWIFT) scripts/fuzz-api

# The whole stack on this machine: embedded server, 3 simulated devices with real agents, the
# console on the queued reviews. DEMO_FLAGS passes more (e.g. DEMO_FLAGS=--reset, or --no-tui).
demo: build
	"$$($(SWIFT) build --show-bin-path)/platform-tui" demo $(DEMO_FLAGS)

# Every benchmark against a reference measured in the same run; writes BENCHMARKS.md. `sync`
# first: the build's dirty pages flushing during the run would slow every figure that commits.
bench: release
	sync
	"$$($(SWIFT) build -c release --show-bin-path)/edge-bench"

# The device's release artifact: dist/edge-agent-VERSION-linux-ARCH.tar.gz (a stripped agent with
# the Swift runtime linked in, its configuration, unit and README); fails past 20 MiB or when the
# agent needs a shared library a base Debian lacks.
agent-dist: deps
	SWIFT=$(SWIFT) scripts/agent-dist

# Regenerates Screens/ (the console goldens) after an intended change to a screen.
goldens: deps
	$(SWIFT) build --build-tests
	UPDATE_GOLDENS=1 $(SWIFT) test --skip-build --filter ScreenGoldenTests

clean:
	rm -rf .build

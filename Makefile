# claude-api — the two commands a user needs are `make run` and `make test` (see README.md).
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test fmt-check clippy test-rust e2e-setup test-e2e fuzz bench demo clean

## run: build the release binary and start claude-server on port 62311
run:
	$(CARGO) build --release -p gateway --bin claude-server
	./target/release/claude-server

## test: everything CI runs (formatting, lints, unit, integration and e2e tests)
test: fmt-check clippy test-rust test-e2e

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
test-e2e: e2e-setup
	$(CARGO) build -p gateway -p amazonq-sim
	bash e2e/run.sh

## fuzz: run the event-stream decoder fuzzer (needs the nightly toolchain and cargo-fuzz)
FUZZ_SECONDS ?= 600
fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	cd crates/amazonq && $(CARGO) +nightly fuzz run decode_frames -- -max_total_time=$(FUZZ_SECONDS)

## bench: criterion benchmarks (release builds)
bench:
	$(CARGO) bench -p amazonq --bench decode

clean:
	$(CARGO) clean

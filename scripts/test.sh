#!/usr/bin/env bash
# Every test: formatting and lints, the core, the CLI and the desktop app's end-to-end test (which starts
# its own Xvfb when DISPLAY is unset; the core's server tests use a throw-away PostgreSQL cluster
# started here, scripts/pg-cluster.sh), then the Windows product (scripts/windows.sh): the app
# cross-built, the installer made and run under Wine, the core's and the CLI's tests under Wine.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# Each step says when it starts (CI prints only part of the output: the times show what is slow).
step() { echo "== test.sh $(date -u +%T) (+${SECONDS}s): $*"; }

step formatting and lints
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The startup benchmark and its minimal Tauri app are built only with their feature: lint them too.
cargo clippy -p huce-app --all-targets --features bench-minimal --locked -- -D warnings
HUCE_TEST_PG="$(bash scripts/pg-cluster.sh start)"
export HUCE_TEST_PG
trap 'bash scripts/pg-cluster.sh stop' EXIT
step "the workspace's tests (the end-to-end test among them)"
cargo test --workspace --locked
# The core's suite once more, every test on the server database (#18); the tests about the file
# itself say so and run on the file.
step "the core's tests on the server database"
HUCE_TEST_ENGINE=server cargo test -p huce-core --test core --locked
step "the Windows product"
bash scripts/windows.sh
step done

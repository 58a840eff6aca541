#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine or a developer's.
# Installs what is missing (Debian packages for the DNS testbed, Python packages
# for the Parquet interoperability and notebook tests), then runs the lints and
# every test. Idempotent: run it as often as you like.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked

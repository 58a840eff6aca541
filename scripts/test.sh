#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine or a developer's (what CI runs).
# Installs what is missing — Debian packages for the DNS testbed and the HTML
# render test, a Python venv with the pinned packages of python/requirements.txt —
# then runs the lints, every Rust test (the DNS tests start their own Knot and
# Unbound on 127.0.0.1), scans the sample universe, and runs the Python tests
# (Parquet interoperability, the notebook against `report --format json`, the
# HTML report rendered in headless Chromium, the Kubernetes manifests against
# the Kubernetes schemas), and submits a scan as a Slurm job array to a one-node
# Slurm cluster on 127.0.0.1 (deploy/slurm/local-cluster.sh). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

bash scripts/install-deps.sh --with-test-tools

echo "== python venv (.venv)"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r python/requirements.txt

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked

mkdir -p "${CARGO_TARGET_DIR:-target}"
target=$(realpath "${CARGO_TARGET_DIR:-target}")
echo "== scanning the sample universe for the Python tests"
bash scripts/scan-sample.sh "$target/debug/mailcensus" "$target/sample-scan" >/dev/null

echo "== python tests (fixture data)"
export MAILCENSUS_BIN="$target/debug/mailcensus"
.venv/bin/python -m pytest -q python/tests
echo "== python tests (the scanned sample universe)"
MAILCENSUS_DATA="$target/sample-scan" MAILCENSUS_SECTORS="$PWD/datasets/sectors.csv" \
  .venv/bin/python -m pytest -q python/tests/test_notebooks.py python/tests/test_report_html.py \
    python/tests/test_checkdmarc_oracle.py
echo "== Slurm job array on a one-node loopback cluster (deploy/slurm)"
MAILCENSUS_SLURM_TEST=1 MAILCENSUS_TESTBED="$target/debug/mailcensus-testbed" \
  timeout 900 .venv/bin/python -m pytest -q python/tests/test_cluster_slurm.py

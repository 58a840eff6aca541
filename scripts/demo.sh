#!/usr/bin/env bash
# The main job end to end on a fresh Debian machine: install what is missing,
# build, start the loopback testbed (Knot + Unbound on 127.0.0.1), scan the
# 10,000-domain sample universe, write Parquet, print the report.
#
# Output: out/demo/scan_date=*/part-*.parquet (the dataset), out/demo/summary.json,
# out/demo/report.md and out/demo/report.html (open it in a browser).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
echo "== building mailcensus (release)"
cargo build --release --locked -p mailcensus-cli
bin="${CARGO_TARGET_DIR:-target}/release/mailcensus"

echo "== scanning datasets/sample through Unbound -> Knot"
bash scripts/scan-sample.sh "$bin" out/demo

echo "== report"
"$bin" report out/demo --sectors datasets/sectors.csv --format html --out out/demo/report.html
"$bin" report out/demo --sectors datasets/sectors.csv --format md --out out/demo/report.md
cat out/demo/report.md
echo
echo "dataset: out/demo/ (Parquet, hive-partitioned by scan_date); report: out/demo/report.html"

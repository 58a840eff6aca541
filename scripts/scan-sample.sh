#!/usr/bin/env bash
# Scans the committed sample universe (datasets/sample, 10,000 domains of the
# made-up .mctest TLD) through the loopback testbed: starts Knot and Unbound on
# 127.0.0.1, runs `mailcensus scan` on the zone dump, stops the servers.
#
#   scripts/scan-sample.sh BINARY OUT_DIR [extra scan flags...]
#
# The Parquet lands in OUT_DIR/scan_date=YYYY-MM-DD/ and the summary JSON in
# OUT_DIR/summary.json. Used by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 2 ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
bin=$1 out=$2
shift 2

state=$(mktemp -d "${TMPDIR:-/tmp}/mailcensus-testbed.XXXXXX")
cleanup() { bash scripts/testbed.sh stop "$state" >/dev/null 2>&1 || true; rm -rf "$state"; }
trap cleanup EXIT

bash scripts/testbed.sh start datasets/sample "$state"
rm -rf "$out"
mkdir -p "$out"
"$bin" scan datasets/sample/dump.zone \
  --resolver "$(cat "$state/unbound.addr")" \
  --out "$out" \
  --summary-json "$out/summary.json" \
  "$@"

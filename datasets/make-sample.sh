#!/usr/bin/env bash
# Regenerates datasets/sample (10,000 domains, seed 1) and datasets/sectors.csv.
# The plan and the truth are a pure function of the seed; keys and signatures are
# new on every run, so zones.tar.gz changes while truth.jsonl.gz does not.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build -q -p mailcensus-testbed --bin mailcensus-testbed
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
"$CARGO_TARGET_DIR/debug/mailcensus-testbed" generate --domains 10000 --seed 1 --out "$tmp/u"
out="$root/datasets/sample"
rm -rf "$out"; mkdir -p "$out"
cp "$tmp/u/dump.zone" "$tmp/u/summary.json" "$out/"
gzip -9n < "$tmp/u/truth.jsonl" > "$out/truth.jsonl.gz"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$tmp/u" \
  -cf - zones.list trust-anchors zones | gzip -9n > "$out/zones.tar.gz"
cp "$tmp/u/sectors.csv" "$root/datasets/sectors.csv"
du -sh "$out"/* "$root/datasets/sectors.csv"

#!/usr/bin/env bash
# The main job end to end on a fresh Debian machine: install what is missing,
# build, start the loopback testbed (Knot + Unbound on 127.0.0.1), scan the
# 10,000-domain sample universe on two dates with a planted change in between,
# write Parquet, print the report.
#
# The planted change (the second date's zones, everything else as served on
# the first date):
#   * the DNS operator registrar-x publishes a default DMARC record,
#     `v=DMARC1; p=quarantine; rua=mailto:rua@dmarc-reports.mctest`, in every
#     unsigned customer zone that has an SPF record and no `_dmarc` record
#     (signed zones are left alone: editing them would break their signatures);
#   * the DNS operator dnsops-b loses the SPF record of 40 unsigned customer
#     zones (the first 40 by name), as a botched migration would.
# The two scans run minutes apart; they are labelled a week apart with
# `--scan-date` (DEMO_FIRST_DATE, DEMO_SECOND_DATE), so the report's trend has
# two dates. The report attributes the DMARC jump to registrar-x and lists the
# SPF losses under dnsops-b as regressions (`--compare`, exported to
# out/demo/changes/). The sample's own mail provider mailhost-a and DNS
# operator dnsops-a stand in for brands (`--brands`): mailhost-b and dnsops-b
# are one letter away.
#
# MAILCENSUS_BIN names an already built binary to use instead of a release build.
#
# Output: out/demo/scan_date=*/part-*.parquet (the dataset), out/demo/summary-*.json,
# out/demo/report.md and out/demo/report.html (open it in a browser),
# out/demo/report.json, out/demo/changes/*.csv.
set -euo pipefail
cd "$(dirname "$0")/.."

first=${DEMO_FIRST_DATE:-$(date -u -d '7 days ago' +%F)}
second=${DEMO_SECOND_DATE:-$(date -u +%F)}
out=out/demo

bash scripts/install-deps.sh
# MAILCENSUS_BIN: an already built binary (skips the release build).
bin=${MAILCENSUS_BIN:-}
if [ -z "$bin" ]; then
  echo "== building mailcensus (release)"
  cargo build --release --locked -p mailcensus-cli
  bin="${CARGO_TARGET_DIR:-target}/release/mailcensus"
fi

echo "== scanning datasets/sample through Unbound -> Knot ($first)"
bash scripts/scan-sample.sh "$bin" "$out" --scan-date "$first"
mv "$out/summary.json" "$out/summary-$first.json"

echo "== planting a change in the served zones"
work=$(mktemp -d "${TMPDIR:-/tmp}/mailcensus-demo.XXXXXX")
state="$work/state"
cleanup() { bash scripts/testbed.sh stop "$state" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/zones"
tar -xzf datasets/sample/zones.tar.gz -C "$work/zones"
spf='^@ TXT "v=spf1[ "]'
added=0
for f in $(grep -l '^@ NS dns1\.registrar-x\.mctest\.' "$work"/zones/zones/children/*.zone | sort); do
  if ! grep -q RRSIG "$f" && ! grep -q '^_dmarc' "$f" && grep -q "$spf" "$f"; then
    echo '_dmarc TXT "v=DMARC1; p=quarantine; rua=mailto:rua@dmarc-reports.mctest"' >> "$f"
    added=$((added + 1))
  fi
done
removed=0
for f in $(grep -l '^@ NS ns\.dnsops-b\.mctest\.' "$work"/zones/zones/children/*.zone | sort); do
  if [ "$removed" -lt 40 ] && ! grep -q RRSIG "$f" && grep -q "$spf" "$f"; then
    sed -i "/$spf/d" "$f"
    removed=$((removed + 1))
  fi
done
echo "registrar-x: DMARC p=quarantine added to $added zones; dnsops-b: SPF removed from $removed zones"

echo "== scanning the changed universe ($second)"
bash scripts/testbed.sh start "$work/zones" "$state"
"$bin" scan datasets/sample/dump.zone \
  --resolver "$(cat "$state/unbound.addr")" \
  --out "$out" \
  --scan-date "$second" \
  --summary-json "$out/summary-$second.json"
bash scripts/testbed.sh stop "$state"

echo "== report"
printf '# brands to watch (the sample stands in)\nmailhost-a.mctest\ndnsops-a.mctest\n' > "$out/brands.txt"
flags=(--sectors datasets/sectors.csv --brands "$out/brands.txt" --compare "$first" "$second")
"$bin" report "$out" "${flags[@]}" --export "$out/changes" --format html --out "$out/report.html"
"$bin" report "$out" "${flags[@]}" --format json --out "$out/report.json"
"$bin" report "$out" "${flags[@]}" --format md --out "$out/report.md"
cat "$out/report.md"
echo
echo "dataset: $out/ (Parquet, hive-partitioned by scan_date); report: $out/report.html"

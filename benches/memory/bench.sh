#!/usr/bin/env bash
# Peak memory (max RSS, from /usr/bin/time -v) of mailcensus as the input grows:
# the scan of 1 M and 10 M domains against Knot serving a flat universe,
# `mailcensus domains` and `report` at 10 M, one shard of four at 10 M, and the
# universe generator itself. A benchmark, not a test: figures go to
# BENCHMARKS.md ("Memory"); nothing here asserts.
#
#   benches/memory/bench.sh [STEP...]
#
# Steps, run in the order given (default: gen-1m scan-1m):
#   gen-1m       generate the 1 M flat universe (seed 1, no silent lame domains)
#   gen-10m      generate the dump of the 10 M flat universe (--dump-only); its
#                first 1 M domains are the 1 M universe's (same seed, same blocks)
#   scan-1m      scan the 1 M dump against Knot serving the 1 M zone
#   domains-1m   `mailcensus domains` of the 1 M dump
#   domains-10m  `mailcensus domains` of the 10 M dump, and of shard 0/4
#   scan-10m     scan the 10 M dump against Knot serving the 1 M zone: the first
#                1 M domains resolve, the other 9 M are NXDOMAIN (deleted since
#                the dump, one query each); writes the dataset report-10m reads
#   shard-10m    scan shard 0/4 of the 10 M dump (same server)
#   report-10m   `mailcensus report --format json` over the scan-10m dataset
#   clean        stop Knot, delete WORK
#
# Environment: WORK (/tmp/mailcensus-membench; needs ~1.1 GB for 1 M, ~2.5 GB
# more with 10 M), RUNS (repetitions of each measured command, default 1; the
# median is printed), BIN_DIR (prebuilt release binaries; otherwise cargo
# builds them), SCAN_ARGS (extra scan flags). Knot runs on 127.0.0.1, a high
# port, via `mailcensus-testbed start`; every command is bounded by its input.
# Results are appended to WORK/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/sbin"

WORK=${WORK:-/tmp/mailcensus-membench}
RUNS=${RUNS:-1}
STEPS=("${@:-gen-1m}")
[ $# -gt 0 ] || STEPS=(gen-1m scan-1m)
DATE=2026-01-01
mkdir -p "$WORK"

[ -x /usr/bin/time ] || apt-get install -y -q time >&2
if [ -z "${BIN_DIR:-}" ]; then
  cargo build --release -q -p mailcensus-cli -p mailcensus-testbed
  BIN_DIR="${CARGO_TARGET_DIR:-target}/release"
fi
MC="$BIN_DIR/mailcensus"
TB="$BIN_DIR/mailcensus-testbed"

# measure LABEL CMD...: runs CMD RUNS times under /usr/bin/time -v, prints each
# run's max RSS and wall time and the medians, appends them to results.tsv.
# PREP, if set, is run (untimed) before each run.
measure() {
  local label=$1; shift
  local rss=() wall=() i
  for i in $(seq 1 "$RUNS"); do
    [ -n "${PREP:-}" ] && eval "$PREP"
    /usr/bin/time -v -o "$WORK/time.txt" "$@" > "$WORK/stdout.txt" 2> "$WORK/stderr.txt" || {
      echo "$label: failed:" >&2; tail -n 20 "$WORK/stderr.txt" >&2; return 1; }
    rss+=("$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")")
    wall+=("$(awk -F'): ' '/Elapsed \(wall clock\)/ { print $2 }' "$WORK/time.txt")")
    printf '%s\trun %d\tmax_rss_kib %s\twall %s\n' "$label" "$i" "${rss[-1]}" "${wall[-1]}"
    tail -n 3 "$WORK/stdout.txt" | sed 's/^/    /'
  done
  local median
  median=$(printf '%s\n' "${rss[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  printf '%s\tmedian of %d\tmax_rss_kib %s\t(%s MiB)\twalls %s\n' "$label" "$RUNS" "$median" \
    "$((median / 1024))" "${wall[*]}" | tee -a "$WORK/results.tsv"
}

serve_1m() {
  [ -f "$WORK/u1m/dump.zone" ] || { echo "run gen-1m first" >&2; exit 1; }
  KNOT_LOAD_TIMEOUT=900 "$TB" start "$WORK/u1m" "$WORK/testbed" >&2
  KNOT=$(cat "$WORK/testbed/knot.addr")
}

scan_into() {
  local out=$1; shift
  # shellcheck disable=SC2086
  measure "$LABEL" "$MC" scan "$@" --resolver "$KNOT" --out "$out" --scan-date "$DATE" \
    ${SCAN_ARGS:-}
}

for step in "${STEPS[@]}"; do
  echo "== $step"
  case "$step" in
    gen-1m)
      PREP="rm -rf '$WORK/u1m'" measure "generate 1M flat" \
        "$TB" generate --domains 1000000 --seed 1 --layout flat --dead-lame 0 --out "$WORK/u1m"
      du -sh "$WORK/u1m"
      # Served and scanned: the zone and the dump; not the truth (0.8 GB).
      rm -f "$WORK/u1m/truth.jsonl" "$WORK/u1m/sectors.csv" ;;
    gen-10m)
      # Only the dump is used (the 1 M universe serves its first 1 M names):
      # the whole universe would need ~10 GB of disk for its zone and truth.
      PREP="rm -rf '$WORK/u10m'" measure "generate 10M flat, dump only" \
        "$TB" generate --domains 10000000 --seed 1 --layout flat --dead-lame 0 --dump-only \
        --out "$WORK/u10m"
      du -sh "$WORK/u10m" ;;
    scan-1m)
      serve_1m
      PREP="rm -rf '$WORK/scan1m'" LABEL="scan 1M" scan_into "$WORK/scan1m" "$WORK/u1m/dump.zone"
      rm -rf "$WORK/scan1m" ;;
    domains-1m)
      measure "domains 1M" "$MC" domains "$WORK/u1m/dump.zone" ;;
    domains-10m)
      measure "domains 10M" "$MC" domains "$WORK/u10m/dump.zone"
      measure "domains 10M shard 0/4" "$MC" domains --shard 0/4 "$WORK/u10m/dump.zone" ;;
    scan-10m)
      serve_1m
      PREP="rm -rf '$WORK/scan10m'" LABEL="scan 10M" scan_into "$WORK/scan10m" "$WORK/u10m/dump.zone" ;;
    shard-10m)
      serve_1m
      PREP="rm -rf '$WORK/shard10m'" LABEL="scan 10M shard 0/4" scan_into "$WORK/shard10m" \
        "$WORK/u10m/dump.zone" --shard 0/4
      rm -rf "$WORK/shard10m" ;;
    report-10m)
      measure "report 10M" "$MC" report "$WORK/scan10m" --format json --out "$WORK/report.json" ;;
    clean)
      "$TB" stop "$WORK/testbed" >&2 || true
      rm -rf "$WORK" ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done

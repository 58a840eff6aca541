#!/usr/bin/env bash
# Input throughput on a synthetic zone dump (issue 3).
#
# Generates an N-delegation gzip dump under /tmp (reused if present), then
# times `zcat FILE > /dev/null` and `mailcensus domains FILE > /dev/null`
# (release; default two threads, and --single-thread) RUNS times each, and
# prints medians, names/s, MB/s and the ratio to zcat.
#
#   benches/input/bench.sh            # N=10000000 RUNS=3
#   N=1000000 RUNS=5 benches/input/bench.sh
#   BIN=/path/to/old/mailcensus benches/input/bench.sh   # compare another build
set -euo pipefail

N=${N:-10000000}
RUNS=${RUNS:-3}
SEED=${SEED:-1}
DIR=${BENCH_DIR:-/tmp/mailcensus-bench}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
DUMP=$DIR/zone-$N-$SEED.txt.gz
META=$DUMP.meta

mkdir -p "$DIR"
(cd "$ROOT" && cargo build --release -q -p mailcensus-cli && cargo build --release -q -p mailcensus-input --example gen_zone)
BIN=${BIN:-$TARGET/release/mailcensus}
GEN=$TARGET/release/examples/gen_zone

if [[ ! -s $DUMP || ! -s $META ]]; then
    echo "generating $N delegations into $DUMP ..." >&2
    "$GEN" "$N" "$SEED" test 2>"$META" | gzip -6 >"$DUMP.tmp"
    mv "$DUMP.tmp" "$DUMP"
fi
RAW_BYTES=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' "$META")
GZ_BYTES=$(stat -c %s "$DUMP")

# Wall-clock seconds of one run of "$@" with stdout to /dev/null.
one() {
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>/tmp/mailcensus-bench-stderr
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}

median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }

run() {
    local label=$1; shift
    local times=()
    for ((i = 0; i < RUNS; i++)); do times+=("$(one "$@")"); done
    printf '%s\n' "${times[@]}" | median
}

echo "dump: $DUMP  delegations=$N  raw=$((RAW_BYTES / 1000000)) MB  gz=$((GZ_BYTES / 1000000)) MB  runs=$RUNS  cpus=$(nproc)"
T_ZCAT=$(run zcat zcat "$DUMP")
T_TWO=$(run domains "$BIN" domains --quiet "$DUMP")
T_ONE=$(run domains1 "$BIN" domains --quiet --single-thread "$DUMP")
# Check the count once (not timed).
COUNT=$("$BIN" domains --quiet "$DUMP" | wc -l)

report() {
    local label=$1 t=$2
    awk -v l="$label" -v t="$t" -v n="$COUNT" -v raw="$RAW_BYTES" -v gz="$GZ_BYTES" -v z="$T_ZCAT" 'BEGIN {
        printf "%-34s median %7.3f s  %6.2f M names/s  %6.1f MB/s text  %5.1f MB/s gz  ratio to zcat %.2f\n",
            l, t, n / t / 1e6, raw / t / 1e6, gz / t / 1e6, t / z }'
}
echo "domains found: $COUNT (expected $N)"
report "zcat > /dev/null" "$T_ZCAT"
report "mailcensus domains (2 threads)" "$T_TWO"
report "mailcensus domains --single-thread" "$T_ONE"
[[ $COUNT -eq $N ]] || { echo "domain count mismatch" >&2; exit 1; }

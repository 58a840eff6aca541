#!/usr/bin/env bash
# Resolver-engine throughput against Knot, side by side with dnsperf.
#
# Serves a flat, unsigned synthetic universe from a private knotd on
# 127.0.0.1 (high port), runs the engine's full probe mix with classification
# (crates/dns/examples/engine_bench.rs), then dnsperf against the same server
# with the same query mix, and prints qps, domains/s, latency percentiles and
# the engine/dnsperf ratio. Bounded: N domains (default 20000), each tool runs
# once through its input, dnsperf also capped at 120 s.
#
# Usage: benches/dns/bench.sh [DOMAINS] [CONCURRENCY...]
#   BENCH_BIN=path/to/engine_bench  use a prebuilt binary instead of cargo
#   RUNS=3                          repetitions of the engine/dnsperf pair
#   ENGINE_ARGS='--timeout-ms 500'  extra engine_bench flags
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20000}
shift || true
CONCURRENCIES=("${@:-1000}")
RUNS=${RUNS:-1}

for tool in knotd dnsperf python3; do
  command -v "$tool" >/dev/null || PATH="$PATH:/usr/sbin" command -v "$tool" >/dev/null \
    || { echo "missing $tool: run scripts/install-deps.sh" >&2; exit 1; }
done
export PATH="$PATH:/usr/sbin"

if [[ -z "${BENCH_BIN:-}" ]]; then
  cargo build --release -q -p mailcensus-dns --example engine_bench
  BENCH_BIN="${CARGO_TARGET_DIR:-target}/release/examples/engine_bench"
fi

WORK=$(mktemp -d /tmp/mailcensus-dnsbench.XXXXXX)
KNOT_PID=
cleanup() { [[ -n "$KNOT_PID" ]] && kill "$KNOT_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# The universe: 90% of the names exist with MX, SPF (include of one of 20
# shared targets), DMARC, and some BIMI / MTA-STS / TLS-RPT / DKIM; 10% do not
# exist. 50 shared MX hosts, half with TLSA. Also writes the domain list and
# the dnsperf query file: for each name, the queries the engine sends.
python3 - "$N" "$WORK" <<'PY'
import sys
n, work = int(sys.argv[1]), sys.argv[2]
z = open(f"{work}/mcbench.zone", "w")
z.write("$ORIGIN mcbench.\n$TTL 3600\n@ SOA ns.mcbench. h.mcbench. 1 7200 3600 1209600 300\n@ NS ns.mcbench.\nns A 127.0.0.1\n")
q = open(f"{work}/queries.txt", "w")
d = open(f"{work}/domains.txt", "w")
for k in range(50):
    z.write(f"mx{k}.hosts A 127.0.0.1\n")
    if k % 2 == 0:
        z.write(f"_25._tcp.mx{k}.hosts TLSA 3 1 1 {'ab'*32}\n")
    q.write(f"_25._tcp.mx{k}.hosts.mcbench TLSA\n")
for j in range(20):
    z.write(f'_spf.p{j} TXT "v=spf1 ip4:192.0.2.0/24 -all"\n')
    q.write(f"_spf.p{j}.mcbench TXT\n")
for i in range(n):
    name = f"d{i}"
    fq = f"{name}.mcbench"
    d.write(fq + "\n")
    if i % 10 == 9:          # does not exist: only MX is asked (RFC 8020)
        q.write(f"{fq} MX\n")
        continue
    z.write(f"{name} MX 10 mx{i % 50}.hosts.mcbench.\n")
    z.write(f'{name} TXT "v=spf1 include:_spf.p{i % 20}.mcbench -all"\n')
    z.write(f'_dmarc.{name} TXT "v=DMARC1; p={("none","quarantine","reject")[i % 3]}"\n')
    if i % 3 == 0:
        z.write(f'default._bimi.{name} TXT "v=BIMI1; l=https://{fq}/l.svg"\n')
    if i % 4 == 0:
        z.write(f'_mta-sts.{name} TXT "v=STSv1; id=1"\n_smtp._tls.{name} TXT "v=TLSRPTv1; rua=mailto:t@{fq}"\n')
    if i % 2 == 0:
        z.write(f'sel._domainkey.{name} TXT "v=DKIM1; p=MIIB"\n')
    for qname, qtype in ((fq, "MX"), (fq, "TXT"), ("_dmarc." + fq, "TXT"), (fq, "DS"), (fq, "DNSKEY"),
                         ("default._bimi." + fq, "TXT"), ("_mta-sts." + fq, "TXT"),
                         ("_smtp._tls." + fq, "TXT"), ("_domainkey." + fq, "TXT")):
        q.write(f"{qname} {qtype}\n")
PY

PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$WORK/run" "$WORK/db"
cat > "$WORK/knot.conf" <<CONF
server:
    rundir: "$WORK/run"
    listen: 127.0.0.1@$PORT
database:
    storage: "$WORK/db"
log:
  - target: stderr
    any: warning
template:
  - id: default
    zonefile-sync: -1
    journal-content: none
    semantic-checks: off
zone:
  - domain: mcbench.
    file: "$WORK/mcbench.zone"
CONF
knotd -c "$WORK/knot.conf" 2>"$WORK/knot.log" &
KNOT_PID=$!
for _ in $(seq 100); do
  kdig @127.0.0.1 -p "$PORT" +short +timeout=1 +retry=0 SOA mcbench. 2>/dev/null | grep -q ns.mcbench && break
  sleep 0.2
done
kdig @127.0.0.1 -p "$PORT" +short SOA mcbench. | grep -q ns.mcbench || { echo "knotd did not come up" >&2; cat "$WORK/knot.log" >&2; exit 1; }
QUERIES=$(wc -l < "$WORK/queries.txt")
echo "universe: $N domains, $QUERIES queries per pass, knotd pid $KNOT_PID on 127.0.0.1:$PORT"

for run in $(seq "$RUNS"); do
  for c in "${CONCURRENCIES[@]}"; do
    engine=$("$BENCH_BIN" --server "127.0.0.1:$PORT" --domains "$WORK/domains.txt" --concurrency "$c" ${ENGINE_ARGS:-})
    echo "run=$run engine: $engine"
    e_qps=$(sed -n 's/.* qps=\([0-9.]*\).*/\1/p' <<<"$engine")
    out=$(dnsperf -s 127.0.0.1 -p "$PORT" -d "$WORK/queries.txt" -n 1 -l 120 -e -c 4 -q 1000 2>&1)
    p_qps=$(sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' <<<"$out")
    p_lost=$(sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p' <<<"$out")
    p_lat=$(sed -n 's/.*Average Latency (s): *\([0-9.]*\).*/\1/p' <<<"$out")
    ratio=$(python3 -c "print(f'{$e_qps / $p_qps:.3f}')")
    echo "run=$run dnsperf: qps=$p_qps lost=$p_lost avg_latency_s=$p_lat"
    echo "run=$run concurrency=$c engine_qps=$e_qps dnsperf_qps=$p_qps ratio=$ratio"
  done
done

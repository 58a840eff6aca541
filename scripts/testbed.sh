#!/usr/bin/env bash
# The loopback DNS testbed: Knot (authoritative) serving a generated universe and
# Unbound (validating resolver) in front of it, both on 127.0.0.1 high ports.
#
#   scripts/testbed.sh start  ZONES_DIR STATE_DIR   # idempotent
#   scripts/testbed.sh stop   STATE_DIR             # idempotent
#   scripts/testbed.sh status STATE_DIR             # exit 0 when both answer
#
# ZONES_DIR holds `zones.list` (lines `name file`, file relative to ZONES_DIR) and,
# optionally, `trust-anchors` (DS or DNSKEY RRs; validation is always on) — or,
# as in datasets/sample, a `zones.tar.gz` of those, unpacked into STATE_DIR/zones.
# STATE_DIR receives knot.addr and unbound.addr (IP:PORT), knot.pid, unbound.pid,
# and the servers' configurations and logs (STATE_DIR/knot, STATE_DIR/unbound).
# Ports: free high ports picked at random, or KNOT_PORT / UNBOUND_PORT. Tuning:
# UNBOUND_THREADS (1), UNBOUND_MSG_CACHE_MB (64), UNBOUND_RRSET_CACHE_MB (128),
# KNOT_UDP_WORKERS (2), KNOT_LOAD_TIMEOUT (300 s).
#
# A thin wrapper: the work is `mailcensus-testbed start|stop|status`, which
# starts the servers of crates/testbed/src/servers.rs (the one place their
# configurations are written) detached. Every zone, `.` included, is a stub zone
# pointing at Knot, so nothing is ever sent outside 127.0.0.0/8 (DESIGN.md,
# "Testing ground"). MAILCENSUS_TESTBED names a built binary; otherwise cargo
# builds it (debug) first.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$PATH:/usr/sbin:/usr/local/sbin:/sbin"

usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

case "${1:-}" in
  start)
    [ $# -eq 3 ] || usage
    command -v knotd >/dev/null && command -v unbound >/dev/null && command -v kdig >/dev/null \
      || "$root/scripts/install-deps.sh"
    ;;
  stop|status) [ $# -eq 2 ] || usage ;;
  *) usage ;;
esac

bin="${MAILCENSUS_TESTBED:-}"
if [ -z "$bin" ]; then
  target="${CARGO_TARGET_DIR:-target}"
  case "$target" in /*) ;; *) target="$root/$target" ;; esac
  (cd "$root" && cargo build --quiet -p mailcensus-testbed --bin mailcensus-testbed) >&2
  bin="$target/debug/mailcensus-testbed"
fi
exec "$bin" "$@"

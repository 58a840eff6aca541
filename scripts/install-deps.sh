#!/usr/bin/env bash
# Installs the Debian packages mailcensus needs, only those missing.
#   scripts/install-deps.sh                     # the DNS testbed (demo)
#   scripts/install-deps.sh --with-test-tools   # plus what the test suite uses
set -euo pipefail
pkgs=(knot knot-dnsutils unbound dnsperf ldnsutils iproute2)
if [ "${1:-}" = "--with-test-tools" ]; then
  pkgs+=(chromium)
  python3 -m venv --help >/dev/null 2>&1 || pkgs+=(python3-venv)
fi
need=()
for pkg in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

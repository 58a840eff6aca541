#!/usr/bin/env bash
# Installs the Debian packages the testbed needs, only when missing.
set -euo pipefail
need=()
for pkg in knot knot-dnsutils unbound dnsperf ldnsutils; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# The Debian packages enable and start system services on port 53; the testbed
# runs its own instances on high ports, so the system ones are not needed.

#!/usr/bin/env bash
# Regenerates the pre-signed fixture zones of this directory (run from anywhere).
# Signatures expire in 2080 (DNSSEC time fields wrap in 2106) and were incepted in
# 2020, so the files stay valid and static; keys are thrown away after signing.
#
#   mctest.            signed TLD (trust anchor: trust-anchors)
#   secure.mctest.     signed, DS in mctest.          -> secure
#   insecure.mctest.   unsigned, no DS                -> insecure
#   bogus.mctest.      signed, DS of another key      -> bogus (SERVFAIL, answer with +cd)
#   expired.mctest.    signed, signatures expired     -> bogus
#   lame.mctest.       delegated to 127.0.0.2:53 where nothing listens: Unbound
#                      retries with back-off and the client times out (minutes)
#   noaddr.mctest.     NS host in a domain that does not exist -> fast SERVFAIL
#   nothere.mctest.    not delegated                  -> NXDOMAIN
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
INC=20200101000000; EXP=20800101000000
key() { (cd "$tmp" && ldns-keygen -a ECDSAP256SHA256 -k "$1"); }

child_common() { # $1 = apex
cat <<Z
\$ORIGIN $1.
\$TTL 3600
@       SOA ns.mctest. hostmaster.mctest. 1 3600 600 864000 300
@       NS  ns.$1.
ns      A   127.0.0.1
@       MX  10 mail.$1.
mail    A   127.0.0.1
@       TXT "v=spf1 mx -all"
_dmarc  TXT "v=DMARC1; p=reject; rua=mailto:dmarc@$1"
_25._tcp.mail TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
Z
}

for c in secure bogus expired; do
  child_common "$c.mctest" > "$tmp/$c.mctest.zone"
  k=$(key "$c.mctest")
  if [ "$c" = expired ]; then
    ldns-signzone -i 20100101000000 -e 20110101000000 -f "$c.mctest.zone" "$tmp/$c.mctest.zone" "$tmp/$k"
  else
    ldns-signzone -i $INC -e $EXP -f "$c.mctest.zone" "$tmp/$c.mctest.zone" "$tmp/$k"
  fi
  if [ "$c" = bogus ]; then
    # The parent publishes the DS of a key the child never uses.
    other=$(key "$c.mctest"); cp "$tmp/$other.ds" "$tmp/$c.ds"
  else
    cp "$tmp/$k.ds" "$tmp/$c.ds"
  fi
done

{
  child_common insecure.mctest
  # Larger than a 1232-byte EDNS buffer: truncated over UDP, complete over TCP.
  printf 'big TXT'
  for i in $(seq 1 12); do printf ' "%s"' "$(printf 'x%.0s' $(seq 1 200))"; done
  printf '\n'
} > insecure.mctest.zone

{
cat <<Z
\$ORIGIN mctest.
\$TTL 3600
@       SOA ns.mctest. hostmaster.mctest. 1 3600 600 864000 300
@       NS  ns.mctest.
ns      A   127.0.0.1
insecure NS ns.insecure.mctest.
ns.insecure A 127.0.0.1
lame    NS  ns.lame.mctest.
ns.lame A   127.0.0.2
noaddr  NS  ns.gone.mctest.
Z
for c in secure bogus expired; do
  echo "$c NS ns.$c.mctest."
  echo "ns.$c A 127.0.0.1"
  cat "$tmp/$c.ds"
done
} > "$tmp/mctest.zone"
k=$(key mctest)
ldns-signzone -i $INC -e $EXP -f mctest.zone "$tmp/mctest.zone" "$tmp/$k"
cp "$tmp/$k.ds" trust-anchors

cat > zones.list <<L
mctest mctest.zone
secure.mctest secure.mctest.zone
insecure.mctest insecure.mctest.zone
bogus.mctest bogus.mctest.zone
expired.mctest expired.mctest.zone
L

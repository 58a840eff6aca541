#!/bin/sh
# Re-signs the test zones of mailcensus-dns with the committed keys (a key is
# made only for a zone that has none yet). Run after editing a zone; the keys
# and the signed files are committed so tests are static (no signing at test
# time). Signatures expire in 2080 (DNSSEC time wraps in 2106, RFC 4034
# §3.1.5), except where a zone's expired signatures are the point.
# Needs ldns-keygen and ldns-signzone (Debian: ldnsutils).
set -eu
cd "$(dirname "$0")"
ALG=ECDSAP256SHA256
EXP=20800101000000
INC=20250101000000
# expired.mcdns and island.mcdns: valid for two months of 2025 only.
OLD_EXP=20250301000000

# The base name of the zone's signing key (one with a private part).
key() {
  for k in K"$1".+013+*.private; do
    if [ -e "$k" ]; then echo "${k%.private}"; return; fi
  done
  ldns-keygen -a "$ALG" -k "$1"
}

# The key whose DS the parent publishes for bogus.mcdns: its private part is
# thrown away and the child is signed with another key, so the DS matches no
# DNSKEY and the chain breaks: bogus (RFC 4035 §5.2).
decoy() {
  for k in Kbogus.mcdns.+013+*.key; do
    if [ -e "$k" ] && [ ! -e "${k%.key}.private" ]; then echo "${k%.key}"; return; fi
  done
  d=$(ldns-keygen -a "$ALG" -k bogus.mcdns)
  rm -f "$d.private"
  echo "$d"
}

tld_key=$(key mcdns)
secure_key=$(key secure.mcdns)
bogus_key=$(key bogus.mcdns)
decoy_key=$(decoy)
expired_key=$(key expired.mcdns)
island_key=$(key island.mcdns)

# Parent zone: the test TLD, signed; DS for secure, expired and (mismatched)
# bogus; none for insecure and island.
{
  cat mcdns.zone.in
  cat "$secure_key.ds"
  cat "$decoy_key.ds"
  cat "$expired_key.ds"
} > mcdns.zone
ldns-signzone -e "$EXP" -i "$INC" -f mcdns.zone.signed mcdns.zone "$tld_key"
ldns-signzone -e "$EXP" -i "$INC" -f secure.mcdns.zone.signed secure.mcdns.zone "$secure_key"
ldns-signzone -e "$EXP" -i "$INC" -f bogus.mcdns.zone.signed bogus.mcdns.zone "$bogus_key"
ldns-signzone -e "$OLD_EXP" -i "$INC" -f expired.mcdns.zone.signed expired.mcdns.zone "$expired_key"
ldns-signzone -e "$OLD_EXP" -i "$INC" -f island.mcdns.zone.signed island.mcdns.zone "$island_key"
cp "$tld_key.ds" trust-anchor.ds
rm -f mcdns.zone
echo "signed: trust anchor $(cat trust-anchor.ds)"

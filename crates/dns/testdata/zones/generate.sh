#!/bin/sh
# Regenerates the signed test zones of mailcensus-dns. Run once; the keys and
# the signed files are committed so tests are static (no signing at test time).
# Signatures expire in 2080 (DNSSEC time wraps in 2106, RFC 4034 §3.1.5).
# Needs ldns-keygen and ldns-signzone (Debian: ldnsutils).
set -eu
cd "$(dirname "$0")"
rm -f K*.key K*.private K*.ds *.signed trust-anchor.ds
ALG=ECDSAP256SHA256
EXP=20800101000000
INC=20250101000000

key() { ldns-keygen -a "$ALG" -k "$1"; }   # prints the key's base name

tld_key=$(key mcdns)
secure_key=$(key secure.mcdns)
bogus_key=$(key bogus.mcdns)
# The key whose DS the parent publishes for bogus.mcdns; the child is signed
# with another one, so the chain breaks: bogus (RFC 4035 §5.2).
decoy_key=$(key bogus.mcdns)

# Parent zone: the test TLD, signed; DS for secure and (mismatched) bogus.
{
  cat mcdns.zone.in
  cat "$secure_key.ds"
  cat "$decoy_key.ds"
} > mcdns.zone
ldns-signzone -e "$EXP" -i "$INC" -f mcdns.zone.signed mcdns.zone "$tld_key"
ldns-signzone -e "$EXP" -i "$INC" -f secure.mcdns.zone.signed secure.mcdns.zone "$secure_key"
ldns-signzone -e "$EXP" -i "$INC" -f bogus.mcdns.zone.signed bogus.mcdns.zone "$bogus_key"
cp "$tld_key.ds" trust-anchor.ds
rm -f "$decoy_key.private" mcdns.zone
echo "generated: trust anchor $(cat trust-anchor.ds)"

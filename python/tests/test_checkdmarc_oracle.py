"""An independent second opinion on the SPF and DMARC columns: checkdmarc.

checkdmarc (PyPI, pinned in python/requirements.txt) is a widely used checker
written without reference to mailcensus. This test starts the loopback testbed
serving the committed sample universe, points checkdmarc at its Unbound
(`Do53Nameserver("127.0.0.1", port)`), asks it about a stratified sample of the
scanned domains, and compares its verdicts with the Parquet rows a scan wrote
(`MAILCENSUS_DATA`).

Agreement is asserted on every case where checkdmarc follows the RFC. Where it
does not, the case is named in KNOWN_DISAGREEMENTS with the RFC section that
decides it; that list is asserted too, both ways: a disagreement no entry
explains fails the test, and so does an entry that no longer matches anything,
so the list can neither grow nor go stale silently.

Only SPF and DMARC are compared (checkdmarc's other checks reach the network:
MTA-STS over HTTPS, SMTP, BIMI certificates).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "datasets" / "sample"
DATA = os.environ.get("MAILCENSUS_DATA")

pytestmark = pytest.mark.skipif(
    not DATA,
    reason="needs MAILCENSUS_DATA: a scan of datasets/sample (scripts/test.sh sets it)",
)

# Strata are cut by what the verdicts depend on; this many domains of each.
PER_STRATUM = 6
# checkdmarc's per-query timeout: generous, the testbed answers in milliseconds.
DNS_TIMEOUT = 5.0


@dataclass(frozen=True)
class Verdict:
    status: str  # our vocabulary: valid, invalid, absent, error
    detail: str  # checkdmarc's exception class or "ok"


@dataclass(frozen=True)
class Known:
    """A class of domains on which checkdmarc departs from the RFC."""

    field: str
    rfc: str
    why: str
    matches: Callable[[dict, Verdict], bool]


# Each entry: which field, the RFC section that decides, and a predicate over
# (our row, checkdmarc's verdict) that picks out exactly that class.
KNOWN_DISAGREEMENTS: list[Known] = [
    Known(
        field="spf_status",
        rfc="RFC 7208 §4.6",
        why=(
            "a syntax error anywhere in the record is a permerror "
            "(`v=spf1 mx -all moo`, the RFC 7208 suite's detect-errors-anywhere); "
            "checkdmarc ignores unknown text after `all`"
        ),
        matches=lambda row, theirs: row["spf_status"] == "invalid"
        and theirs.status == "valid"
        and (row["spf_record"] or "").lower().endswith("-all moo"),
    ),
    Known(
        field="dmarc_status",
        rfc="RFC 7489 §6.6.3 steps 2 and 4",
        why=(
            "TXT records at _dmarc that do not start with v=DMARC1 are discarded "
            "(a google-site-verification token beside the record, a wildcard's "
            "SPF record); checkdmarc reports them as an error "
            "(UnrelatedTXTRecordFoundAtDMARC)"
        ),
        matches=lambda row, theirs: row["dmarc_status"] in ("valid", "absent")
        and theirs.status == "invalid"
        and theirs.detail
        in ("UnrelatedTXTRecordFoundAtDMARC", "SPFRecordFoundWhereDMARCRecordShouldBe"),
    ),
    Known(
        field="dmarc_status",
        rfc="RFC 7489 §6.4 (dmarc-adkim = \"adkim\" *WSP \"=\" *WSP (\"r\" / \"s\"))",
        why="adkim=relaxed is not a valid value; checkdmarc accepts it",
        matches=lambda row, theirs: row["dmarc_status"] == "invalid"
        and theirs.status == "valid"
        and re.search(r"\badkim\s*=\s*(?![rs]\s*(;|$))", row["dmarc_record"] or "") is not None,
    ),
]


def _rows() -> list[dict]:
    import duckdb

    con = duckdb.connect()
    query = f"""
        select domain, resolution, spf_status, spf_record, spf_all, spf_lookups,
               spf_void_lookups, dmarc_status, dmarc_record, dmarc_p
        from read_parquet('{DATA}/*/*.parquet', hive_partitioning=true)
    """
    columns = [d[0] for d in con.execute(query).description]
    return [dict(zip(columns, values)) for values in con.execute(query).fetchall()]


def _stratum(row: dict) -> tuple:
    voids = row["spf_void_lookups"]
    return (
        row["resolution"],
        row["spf_status"],
        row["spf_all"],
        None if voids is None else min(voids, 3),
        row["spf_lookups"] is not None and row["spf_lookups"] > 10,
        row["dmarc_status"],
        row["dmarc_p"],
    )


def stratified(rows: list[dict]) -> list[dict]:
    """Up to PER_STRATUM domains of each stratum, chosen by a hash of the name
    so the sample is stable across runs. Domains whose resolution failed are
    left out: their servers never answer and checkdmarc would only wait."""
    by_stratum: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        if row["resolution"] == "error":
            continue
        by_stratum[_stratum(row)].append(row)
    chosen = []
    for members in by_stratum.values():
        members.sort(key=lambda r: hashlib.sha256(r["domain"].encode()).hexdigest())
        chosen.extend(members[:PER_STRATUM])
    return sorted(chosen, key=lambda r: r["domain"])


@pytest.fixture(scope="module")
def resolver(tmp_path_factory):
    """The testbed serving the sample universe; yields checkdmarc's nameserver."""
    import dns.nameserver

    state = tmp_path_factory.mktemp("testbed")
    script = ROOT / "scripts" / "testbed.sh"
    subprocess.run(["bash", str(script), "start", str(SAMPLE), str(state)], check=True)
    try:
        host, port = (state / "unbound.addr").read_text().strip().rsplit(":", 1)
        assert host.startswith("127."), host  # loopback only
        yield dns.nameserver.Do53Nameserver(host, int(port))
    finally:
        subprocess.run(["bash", str(script), "stop", str(state)], check=False)


def _dns_failed(error: Exception) -> bool:
    """checkdmarc folds "no record" and "the query failed" into one exception
    (SPFRecordNotFound, DMARCRecordNotFound); the DNS exception it wraps tells
    them apart."""
    import dns.resolver

    cause = getattr(error, "error", None)
    return isinstance(cause, Exception) and not isinstance(
        cause, (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN)
    )


def spf_verdict(domain: str, nameserver) -> Verdict:
    from checkdmarc import spf

    options = dict(nameservers=[nameserver], timeout=DNS_TIMEOUT)
    try:
        record = spf.query_spf_record(domain, **options)["record"]
    except spf.SPFRecordNotFound as error:
        return Verdict("error" if _dns_failed(error) else "absent", type(error).__name__)
    except spf.SPFError as error:
        return Verdict("invalid", type(error).__name__)
    try:
        parsed = spf.parse_spf_record(record, domain, **options)
    except spf.SPFRecordNotFound as error:
        # An include or redirect target without an SPF record: RFC 7208 §5.2
        # and §6.1 make that a permerror, unless the query itself failed.
        return Verdict("error" if _dns_failed(error) else "invalid", type(error).__name__)
    except spf.SPFError as error:
        return Verdict("invalid", type(error).__name__)
    if "error" in parsed:
        return Verdict("invalid", "parse error")
    return Verdict("valid", "ok")


def dmarc_verdict(domain: str, nameserver) -> tuple[Verdict, str | None]:
    from checkdmarc import dmarc

    options = dict(nameservers=[nameserver], timeout=DNS_TIMEOUT)
    try:
        found = dmarc.query_dmarc_record(domain, **options)
    except dmarc.DMARCRecordNotFound as error:
        return Verdict("absent", type(error).__name__), None
    except dmarc.DMARCError as error:
        return Verdict("invalid", type(error).__name__), None
    record = found.get("record")
    if record is None:
        return Verdict("absent", "no record"), None
    try:
        parsed = dmarc.parse_dmarc_record(record, domain, **options)
    except dmarc.DMARCError as error:
        return Verdict("invalid", type(error).__name__), None
    # checkdmarc fills in defaults; only a `p` the record states is compared
    # (what receivers apply without one is RFC 7489 §6.6.3 step 6's business,
    # and checked against the planted truth instead).
    p = parsed["tags"].get("p", {})
    return Verdict("valid", "ok"), p.get("value") if p.get("explicit") else None


def test_checkdmarc_agrees_except_where_the_rfc_decides(resolver):
    sample = stratified(_rows())
    assert len(sample) >= 50, f"stratified sample too small: {len(sample)}"

    unexplained: list[str] = []
    seen_known: set[int] = set()
    agreed = 0
    for row in sample:
        domain = row["domain"]
        spf = spf_verdict(domain, resolver)
        dmarc, policy = dmarc_verdict(domain, resolver)
        comparisons = [
            ("spf_status", row["spf_status"], spf.status, spf),
            ("dmarc_status", row["dmarc_status"], dmarc.status, dmarc),
        ]
        if row["dmarc_status"] == "valid" and dmarc.status == "valid" and policy:
            comparisons.append(("dmarc_p", row["dmarc_p"], policy, dmarc))
        for field, ours, theirs, verdict in comparisons:
            if ours == theirs:
                agreed += 1
                continue
            known = [
                i
                for i, k in enumerate(KNOWN_DISAGREEMENTS)
                if k.field == field and k.matches(row, verdict)
            ]
            if known:
                seen_known.update(known)
            else:
                unexplained.append(
                    f"{domain} {field}: mailcensus {ours!r}, checkdmarc {theirs!r} "
                    f"({verdict.detail}); spf_record={row['spf_record']!r} "
                    f"dmarc_record={row['dmarc_record']!r}"
                )

    stale = [
        f"{k.field} ({k.rfc}): {k.why}"
        for i, k in enumerate(KNOWN_DISAGREEMENTS)
        if i not in seen_known
    ]
    print(f"checkdmarc oracle: {len(sample)} domains, {agreed} verdicts agree")
    assert not unexplained, "disagreements no RFC entry explains:\n" + "\n".join(unexplained)
    assert not stale, "known disagreements that no longer occur:\n" + "\n".join(stale)

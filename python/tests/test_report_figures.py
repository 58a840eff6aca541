"""The report's coverage, DMARCbis readiness and trend figures (issue 16)
recomputed independently with DuckDB over the same Parquet, and the
change attribution checked for its own invariant (the parts add up to the
change).

Data and binary as in test_notebooks.py (MAILCENSUS_DATA, MAILCENSUS_BIN, or
the synthetic two-snapshot fixture).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))
from test_notebooks import dataset, run_report  # noqa: E402,F401  (fixture re-used)

STATUS = [
    "mx_status",
    "spf_status",
    "dmarc_status",
    "dnssec_status",
    "bimi_status",
    "mta_sts_status",
    "tlsrpt_status",
    "dkim_status",
    "dane_status",
]


def pct(count: int, total: int) -> float:
    """One decimal, rounded half up in integers (as the report does)."""
    return 0.0 if total == 0 else ((2000 * count + total) // (2 * total)) / 10


def report_json(data: Path, sectors: Path | None, tmp: Path) -> dict:
    out = tmp / "report.json"
    run_report(data, sectors, "json", out)
    return json.loads(out.read_text())


def scans(data: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        f"""CREATE VIEW scans AS
        SELECT CAST(scan_date AS VARCHAR) AS scan_date, * EXCLUDE (scan_date)
        FROM read_parquet('{data}/scan_date=*/part-*.parquet', hive_partitioning = true)"""
    )
    return con


def test_coverage_and_dmarcbis_equal_duckdb(dataset, tmp_path):
    data, sectors = dataset
    report = report_json(data, sectors, tmp_path)
    any_error = " OR ".join(f"{c} = 'error'" for c in ["resolution", *STATUS])
    rows = scans(data).execute(
        f"""SELECT scan_date, COUNT(*),
            COUNT(*) FILTER (WHERE resolution = 'error'),
            COUNT(*) FILTER (WHERE {any_error}),
            COUNT(*) FILTER (WHERE dmarc_status IN ('valid', 'invalid')),
            COUNT(*) FILTER (WHERE dmarc_status IN ('valid', 'invalid') AND dmarc_np IS NOT NULL),
            COUNT(*) FILTER (WHERE dmarc_status IN ('valid', 'invalid') AND dmarc_t IS NOT NULL),
            COUNT(*) FILTER (WHERE dmarc_status IN ('valid', 'invalid') AND dmarc_t),
            COUNT(*) FILTER (WHERE dmarc_status IN ('valid', 'invalid') AND dmarc_pct <> 100)
        FROM scans GROUP BY scan_date ORDER BY scan_date"""
    ).fetchall()
    assert [r[0] for r in rows] == [s["date"] for s in report["snapshots"]]
    for row, snap in zip(rows, report["snapshots"]):
        _, n, unresolved, errors, base, np_, t, t_test, pct_not_100 = row
        cov = snap["coverage"]
        assert cov["domains"] == n
        assert cov["unresolved"] == {"count": unresolved, "pct": pct(unresolved, n)}
        assert cov["any_error"] == {"count": errors, "pct": pct(errors, n)}
        d = snap["dmarcbis"]
        assert d["base"] == base
        for key, count in [("np", np_), ("t", t), ("t_test", t_test), ("pct_not_100", pct_not_100)]:
            assert d[key] == {"count": count, "pct": pct(count, base)}, key
        # Every warning names an error share above the threshold, and every
        # error share above it is warned about.
        threshold = report["max_error_share"]
        warned = {w["error_metric"] for w in cov["warnings"]}
        above = {k for k, f in snap["headline"].items() if k.endswith("_error") and f["pct"] > threshold}
        assert warned == above


def test_changes_add_up_and_follow_the_trend(dataset, tmp_path):
    data, sectors = dataset
    report = report_json(data, sectors, tmp_path)
    trend = {m["metric"]: m for m in report["trend"]["metrics"]}
    assert len(report["changes"]) == len(report["snapshots"]) - 1
    for k, change in enumerate(report["changes"]):
        assert (change["from"], change["to"]) == tuple(report["trend"]["dates"][k : k + 2])
        for m in change["metrics"]:
            t = trend[m["metric"]]
            assert (m["count_from"], m["count_to"]) == tuple(t["counts"][k : k + 2])
            assert m["delta_points"] == round(t["pct"][k + 1] - t["pct"][k], 1)
            for dim in ("by_dns_operator", "by_mx_provider"):
                parts = m[dim]
                # Listed parts (and `other`) add up to the counts that moved.
                moved = sum(p["count_to"] - p["count_from"] for p in parts)
                assert moved == m["count_to"] - m["count_from"] or change["domains_from"] != change["domains_to"]
                if parts and all(p["share_of_change"] is not None for p in parts):
                    assert abs(sum(p["share_of_change"] for p in parts) - 100) < 0.1 * len(parts) + 0.05

"""The Parquet a scan writes opens unchanged in pyarrow, DuckDB and polars.

Runs the store's `write_sample` example (500 synthetic rows in three parts)
and reads the directory as analysts do, checking the contract schema (names,
types) and a few values against the generator's rules and the run manifest.

Set MAILCENSUS_WRITE_SAMPLE to a built `write_sample` binary to skip cargo.
"""

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[2]
ROWS = 500
DATE = "2026-11-23"

# DESIGN.md "Output contract": name -> (pyarrow type, nullable).
CONTRACT = [
    ("domain", pa.string(), False),
    ("suffix", pa.string(), False),
    ("scan_id", pa.string(), False),
    ("scanned_at", pa.timestamp("ms", tz="UTC"), False),
    ("resolution", pa.string(), False),
    ("ns_hosts", pa.list_(pa.string()), False),
    ("mx_status", pa.string(), True),
    ("mx_hosts", pa.list_(pa.string()), True),
    ("spf_status", pa.string(), True),
    ("spf_record", pa.string(), True),
    ("spf_all", pa.string(), True),
    ("spf_lookups", pa.int32(), True),
    ("spf_void_lookups", pa.int32(), True),
    ("spf_error", pa.string(), True),
    ("dmarc_status", pa.string(), True),
    ("dmarc_record", pa.string(), True),
    ("dmarc_error", pa.string(), True),
    ("dmarc_p", pa.string(), True),
    ("dmarc_sp", pa.string(), True),
    ("dmarc_np", pa.string(), True),
    ("dmarc_pct", pa.int32(), True),
    ("dmarc_t", pa.bool_(), True),
    ("dmarc_rua", pa.list_(pa.string()), True),
    ("dmarc_ruf", pa.list_(pa.string()), True),
    ("dmarc_rua_authorized", pa.bool_(), True),
    ("dnssec_status", pa.string(), True),
    ("dnssec_algorithms", pa.list_(pa.uint8()), True),
    ("dnssec_reason", pa.string(), True),
    ("bimi_status", pa.string(), True),
    ("bimi_logo", pa.string(), True),
    ("bimi_authority", pa.string(), True),
    ("mta_sts_status", pa.string(), True),
    ("tlsrpt_status", pa.string(), True),
    ("dkim_status", pa.string(), True),
    ("dane_status", pa.string(), True),
    ("parked", pa.bool_(), False),
    ("queries", pa.int32(), False),
    ("elapsed_ms", pa.int32(), False),
]
NAMES = [name for name, _, _ in CONTRACT]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    binary = os.environ.get("MAILCENSUS_WRITE_SAMPLE")
    if binary:
        cmd = [binary, str(out)]
    else:
        cmd = ["cargo", "run", "--quiet", "-p", "mailcensus-store",
               "--example", "write_sample", "--", str(out)]
    subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.PIPE)
    partition = out / f"scan_date={DATE}"
    manifest = json.loads((partition / "_manifest-00000.json").read_text())
    return out, partition, manifest


def test_layout_and_manifest(dataset):
    out, partition, manifest = dataset
    files = sorted(p.name for p in partition.iterdir())
    assert files == ["_manifest-00000.json", "part-00000-00000.parquet",
                     "part-00000-00001.parquet", "part-00000-00002.parquet"]
    assert manifest["complete"] is True
    assert manifest["rows"] == ROWS
    assert [(p["seq_start"], p["seq_end"]) for p in manifest["parts"]] == [
        (0, 200), (200, 400), (400, 500)]


def test_pyarrow_schema_metadata_and_dataset(dataset):
    out, partition, manifest = dataset
    part = partition / "part-00000-00000.parquet"
    schema = pq.read_schema(part)
    assert schema.names == NAMES
    for name, typ, nullable in CONTRACT:
        field = schema.field(name)
        assert field.type == typ, name
        assert field.nullable == nullable, name
    meta = pq.read_metadata(part)
    kv = {k.decode(): v.decode() for k, v in meta.metadata.items()}
    assert kv["mailcensus.schema_version"] == str(manifest["schema_version"])
    assert kv["mailcensus.scan_id"] == "sample-2026-11-23"
    assert kv["mailcensus.seq_end"] == "200"
    assert meta.row_group(0).column(0).compression == "ZSTD"

    # The whole directory as a Hive-partitioned dataset: the manifest (leading
    # underscore) is skipped, scan_date becomes a column.
    table = ds.dataset(out, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == ROWS
    assert table.schema.names[: len(NAMES)] == NAMES
    assert "scan_date" in table.schema.names
    rows = {r["domain"]: r for r in table.to_pylist()}
    assert len(rows) == ROWS
    parked = rows["d7.be"]
    assert parked["parked"] is True
    assert parked["mx_status"] == "null_mx"
    assert parked["spf_record"] == "v=spf1 -all"
    assert parked["dmarc_p"] == "reject"
    assert rows["d1.be"]["dmarc_status"] is None  # DMARC probe deselected
    assert rows["d3.be"]["resolution"] == "nxdomain"
    assert rows["d0.be"]["ns_hosts"] == []
    assert str(parked["scanned_at"].tzinfo) == "UTC"

    # pandas on the directory, as docs/schema.md suggests.
    df = pd.read_parquet(out)
    assert len(df) == ROWS
    assert df.spf_status.isin(["valid", "invalid"]).sum() == sum(
        manifest["counts"]["spf_status"].get(v, 0) for v in ["valid", "invalid"])


def test_duckdb_reads_and_counts_match_manifest(dataset):
    out, partition, manifest = dataset
    con = duckdb.connect()
    src = f"read_parquet('{out}/*/*.parquet', hive_partitioning=true)"
    described = {row[0]: row[1] for row in con.sql(f"DESCRIBE SELECT * FROM {src}").fetchall()}
    expected = {
        "domain": "VARCHAR", "scanned_at": "TIMESTAMP WITH TIME ZONE",
        "ns_hosts": "VARCHAR[]", "spf_lookups": "INTEGER", "dmarc_t": "BOOLEAN",
        "dnssec_algorithms": "UTINYINT[]", "parked": "BOOLEAN", "elapsed_ms": "INTEGER",
    }
    for name, typ in expected.items():
        assert described[name] == typ, name
    assert [n for n in described if n != "scan_date"] == NAMES
    [(total, distinct)] = con.sql(f"SELECT count(*), count(DISTINCT domain) FROM {src}").fetchall()
    assert (total, distinct) == (ROWS, ROWS)
    for column in ["spf_status", "dmarc_status", "mx_status", "dnssec_status", "dkim_status"]:
        got = {
            (value if value is not None else "null"): n
            for value, n in con.sql(f"SELECT {column}, count(*) FROM {src} GROUP BY 1").fetchall()
        }
        assert got == manifest["counts"][column], column
    scan_date = con.sql(f"SELECT DISTINCT CAST(scan_date AS VARCHAR) FROM {src}").fetchall()
    assert scan_date == [(DATE,)]


def test_polars_reads_with_contract_dtypes(dataset):
    out, partition, manifest = dataset
    df = pl.read_parquet(str(out / "*" / "*.parquet"), hive_partitioning=True)
    assert df.height == ROWS
    dtypes = dict(df.schema)
    assert dtypes["domain"] == pl.String
    assert dtypes["scanned_at"] == pl.Datetime("ms", "UTC")
    assert dtypes["ns_hosts"] == pl.List(pl.String)
    assert dtypes["dnssec_algorithms"] == pl.List(pl.UInt8)
    assert dtypes["dmarc_pct"] == pl.Int32
    assert dtypes["parked"] == pl.Boolean
    assert [c for c in df.columns if c != "scan_date"] == NAMES
    parked = df.filter(pl.col("parked"))
    assert parked.height == manifest["counts"]["parked"]["true"]
    assert set(parked["mx_status"].to_list()) == {"null_mx"}
    assert df.filter(pl.col("domain") == "d3.be")["resolution"].to_list() == ["nxdomain"]

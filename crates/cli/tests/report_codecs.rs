//! `mailcensus report` reads Parquet whatever codec its writer chose: the
//! dataset may have been rewritten by pyarrow (snappy by default), Spark
//! (snappy), Hive (gzip) or a user's own options (lz4, brotli).

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::fs::File;
use std::path::Path;
use std::process::Command;

use mailcensus_store::{
    DatasetWriter, RunConfig, Shard, part_file_name, partition_dir, sample, spawn,
};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{BrotliLevel, Compression, GzipLevel};
use parquet::file::properties::WriterProperties;

const ROWS: u64 = 50;

/// A part written by the store (zstd), rewritten with `codec` into `dir`
/// under the same contract name (as a user rewriting a dataset in place does).
fn rewrite(part: &Path, codec: Compression, dir: &Path) {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(part).unwrap()).unwrap();
    let schema = reader.schema().clone();
    let partition = partition_dir(dir, "2026-11-23");
    std::fs::create_dir_all(&partition).unwrap();
    let out = File::create(partition.join(part_file_name(Shard::SINGLE, 0))).unwrap();
    let props = WriterProperties::builder().set_compression(codec).build();
    let mut writer = ArrowWriter::try_new(out, schema, Some(props)).unwrap();
    for batch in reader.build().unwrap() {
        writer.write(&batch.unwrap()).unwrap();
    }
    writer.close().unwrap();
}

/// Issue 18: Parquet written with pyarrow's defaults (snappy) could not be
/// read by `report` ("Disabled feature at compile time: snap").
#[test]
fn report_reads_snappy_gzip_lz4_and_brotli_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RunConfig::new(
        dir.path().join("zstd"),
        "2026-11-23",
        Shard::SINGLE,
        "codecs",
    );
    config.tuning.rows_per_part = ROWS;
    let mut handle = spawn(DatasetWriter::create(config).unwrap()).unwrap();
    for seq in 0..ROWS {
        handle.send(sample::row(seq, "be")).unwrap();
    }
    let summary = handle.finish().unwrap();
    let part = summary
        .manifest_path
        .parent()
        .unwrap()
        .join(&summary.manifest.parts[0].file);
    for (name, codec) in [
        ("snappy", Compression::SNAPPY),
        ("gzip", Compression::GZIP(GzipLevel::default())),
        ("lz4_raw", Compression::LZ4_RAW),
        ("lz4", Compression::LZ4),
        ("brotli", Compression::BROTLI(BrotliLevel::default())),
    ] {
        let out = dir.path().join(name);
        rewrite(&part, codec, &out);
        let report = Command::new(env!("CARGO_BIN_EXE_mailcensus"))
            .arg("report")
            .arg(&out)
            .args(["--format", "json"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&report.stderr);
        assert!(report.status.success(), "{name}: {text}");
        assert!(text.contains(&format!("{ROWS} rows")), "{name}: {text}");
    }
}
